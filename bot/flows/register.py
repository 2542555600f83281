"""Register (인증서 등록): files → public summary → password → (identity) → confirm → stored.

The diagram is `register.mmd` beside this module (a test checks it against `states()`).
Secrets: the password and identity number live in local variables of one step; uploaded files
live in the in-memory registration sessions (`bot.vault`), one phase at a time; user_data
holds only the flow marker.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from typing import Literal

from telegram import Document, Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot import certs as core
from bot.flows import callbacks as cb
from bot.flows import faq
from bot.flows.common import (
    Context,
    Handler,
    Reply,
    answer_query,
    answer_stale,
    drop_markup,
    end_flow,
    format_date,
    format_time,
    keyboard,
    language,
    step,
    touch_flow,
    tr,
    yes_no,
)
from bot.flows.common import entry_points as flow_entry_points
from bot.flows.render import list_lines, short_label, summary
from bot.flows.secrets import take_secret
from bot.store import AlreadyActiveElsewhere, AlreadyActiveForUser, LimitReached
from bot.store.repository import NewCertificate
from bot.texts import Html
from bot.vault import AwaitingFiles, AwaitingPassword, Unlocked, Verified

log = logging.getLogger(__name__)

# The numbers are persisted by PTB (a restart resumes the step): never renumber them.
ASK_FILES, CHOOSE_CERT, ASK_PASSWORD, ASK_IDENTITY, CONFIRM = range(10, 15)
END = ConversationHandler.END
FLOW = "register"

# Error codes of the certificate core that have their own catalog message.
_ERROR_KEYS = {
    "not_a_certificate": "errors.not_a_certificate",
    "unsupported_format": "errors.unsupported_format",
    "iteration_limit": "errors.unsupported_format",
    "unsupported_key_size": "errors.unsupported_format",
    "pfx_certificate_encrypted": "errors.unsupported_format",
    "not_rsa": "errors.not_rsa",
    "file_too_large": "errors.file_too_large",
    "archive_rejected": "errors.archive_rejected",
    "key_mismatch": "errors.key_mismatch",
}
_NON_DIGITS = re.compile(r"[\s-]")


# ---- the steps (one per arrow of the diagram) -----------------------------------------------


@step
async def start(update: Update, context: Context) -> int:
    """Check the lock and the limit, then ask for the certificate files."""
    await answer_query(update)
    user = update.effective_user
    if user is None:
        return END
    reply = Reply(update, context)
    context.sessions.drop(user.id)
    if await _locked(reply, user.id) or await _at_limit(reply, user.id):
        return end_flow(update, context)
    touch_flow(context, FLOW)
    context.sessions.restart(user.id)
    await reply.tr("register.ask_files")
    return ASK_FILES


@step
async def receive_file(update: Update, context: Context) -> int | None:
    """Take one document (its size checked before downloading), classify it, assemble."""
    message, user = update.effective_message, update.effective_user
    if message is None or message.document is None or user is None:
        return None
    touch_flow(context, FLOW)
    reply = Reply(update, context)
    uploaded = await _download(reply, message.document)
    if uploaded is None:
        return None
    collecting = context.sessions.awaiting_files(user.id)
    collecting.files.append(uploaded)
    name = message.document.file_name or "-"
    reply.note(await tr(update, context, "register.got_file", name=name))
    if uploaded.kind in (core.FileKind.KM_CERT, core.FileKind.KM_KEY):
        await reply.tr("register.km_only")
        return None
    return await _assemble(reply, user.id, collecting)


@step
@cb.receives(cb.RegisterPick, answer_stale)
async def pick(update: Update, context: Context, data: cb.RegisterPick) -> int | None:
    """The user chose one certificate of a zip that held several."""
    user = update.effective_user
    assert user is not None
    phase = context.sessions.phase(user.id)
    if not isinstance(phase, AwaitingFiles) or not phase.bundles:
        await answer_query(update)
        return await _files_lost(Reply(update, context), user.id)
    if data.index >= len(phase.bundles):
        await answer_stale(update, context)
        return None
    await answer_query(update)
    await drop_markup(update)
    touch_flow(context, FLOW)
    return await _present(Reply(update, context), user.id, phase.bundles[data.index])


@step
async def receive_password(update: Update, context: Context) -> int | None:
    """Delete the password message at once, then unlock the key in memory."""
    user = update.effective_user
    assert user is not None
    secret = await take_secret(update, context, "password")
    reply = Reply(update, context, [secret.notice])
    phase = context.sessions.phase(user.id)
    if not isinstance(phase, AwaitingPassword):
        return await _files_lost(reply, user.id)
    touch_flow(context, FLOW)
    lock_id = _lock_id(phase)
    if await _locked(reply, user.id, lock_id):
        return end_flow(update, context)
    opened = await _unlock(phase, secret.value)
    del secret
    if isinstance(opened, core.WrongPassword):
        return await _wrong(reply, user.id, lock_id, "password")
    if isinstance(opened, core.CertificateError):
        return await _unlock_failed(reply, user.id, opened)
    await context.store.clear_wrong_attempts(user.id, lock_id)
    return await _unlocked(reply, user.id, phase, *opened)


@step
async def receive_identity(update: Update, context: Context) -> int | None:
    """Delete the identity-number message at once, then check the certificate's VID."""
    user = update.effective_user
    assert user is not None
    secret = await take_secret(update, context, "identity")
    number, reply = _NON_DIGITS.sub("", secret.value), Reply(update, context, [secret.notice])
    del secret
    phase = context.sessions.phase(user.id)
    if not isinstance(phase, Unlocked):
        del number
        return await _files_lost(reply, user.id)
    touch_flow(context, FLOW)
    outcome = _check_identity(phase, number)
    del number
    if outcome in ("format", "unavailable"):
        await reply.tr(f"register.identity_{outcome}")
        return None if outcome == "format" else end_flow(update, context)
    if outcome == "mismatch":
        return await _wrong(reply, user.id, phase.bundle.info.fingerprint_sha256, "identity")
    context.sessions.move(user.id, Verified(phase.bundle))
    return await _ask_confirm(reply, phase.bundle)


@step
async def confirm(update: Update, context: Context) -> int | None:
    """[등록]: store the public certificate and its metadata, audited, then show the list."""
    user = update.effective_user
    assert user is not None
    await drop_markup(update)
    await answer_query(update)
    reply = Reply(update, context)
    phase = context.sessions.phase(user.id)
    if not isinstance(phase, Verified):
        return await _files_lost(reply, user.id)
    info = phase.bundle.info
    if info.expired or info.not_after <= context.clock.now():
        lang = await language(update, context)
        await reply.tr("register.expired", date=format_date(info.not_after, lang))
        return end_flow(update, context)
    record = NewCertificate.of(
        info, key_format=phase.bundle.key_format, cert_der=phase.bundle.cert_der
    )
    end_flow(update, context)  # the key material is no longer needed, whatever happens next
    return await _store(reply, user.id, record)


@step
async def cancel_button(update: Update, context: Context) -> int:
    """[취소] on the confirmation: drop everything."""
    await answer_query(update)
    await drop_markup(update)
    await Reply(update, context).tr("register.cancelled")
    return end_flow(update, context)


@step
async def stray(update: Update, context: Context) -> int | None:
    """A photo, sticker or anything not a document while files are expected."""
    await Reply(update, context).tr("register.stray_input")
    return None


@step
async def not_text_password(update: Update, context: Context) -> int | None:
    """Something other than text at the password or identity prompt."""
    await Reply(update, context).tr("register.not_text_password")
    return None


# ---- what the steps share ------------------------------------------------------------------


async def _at_limit(reply: Reply, user_id: int) -> bool:
    """If the user has as many certificates as allowed, say so (offering release)."""
    active = await reply.context.store.active_certificates_of(user_id)
    limit = reply.context.settings.max_active_certificates
    if len(active) < limit:
        return False
    tr_ = reply.context.catalog.text
    lang = await language(reply.update, reply.context)
    button = (tr_(lang, "register.btn_go_revoke"), cb.Action("revoke").pack())
    text = tr_(lang, "register.limit_reached", count=len(active), limit=limit)
    await reply.say(text, keyboard([[button]]))
    return True


async def _locked(reply: Reply, user_id: int, certificate: str | None = None) -> bool:
    """If the user (or this certificate) is locked, say until when and return True."""
    state = await reply.context.store.registration_lock(user_id, certificate)
    if state.locked_until is None:
        return False
    lang = await language(reply.update, reply.context)
    await reply.tr("register.locked", until=format_time(state.locked_until, lang))
    return True


async def _download(reply: Reply, document: Document) -> core.UploadedFile | None:
    """The document's bytes classified, or None after saying why not."""
    limit = reply.context.settings.max_upload_bytes
    if document.file_size is not None and document.file_size > limit:
        await reply.tr("errors.file_too_large", limit=limit // 1024)
        return None
    try:
        data = bytes(await (await document.get_file()).download_as_bytearray())
    except Exception:
        log.warning("document download failed")
        await reply.tr("errors.download_failed")
        return None
    if len(data) > limit:
        await reply.tr("errors.file_too_large", limit=limit // 1024)
        return None
    try:
        return core.classify(document.file_name, data)
    except core.CertificateError as error:
        await _error(reply, error)
        return None
    finally:
        del data


async def _assemble(reply: Reply, user_id: int, collecting: AwaitingFiles) -> int | None:
    """Pair the files collected so far; one certificate is presented, several are offered."""
    try:
        assembly = core.assemble(collecting.files)
    except core.PfxCertificateEncrypted:
        # Nothing can be shown before the password opens it: ask for the password first.
        return await _ask_pfx_password(reply, user_id, collecting.files.pop().data)
    except core.CertificateError as error:
        collecting.files.pop()
        await _error(reply, error)
        return None
    if not assembly.bundles:
        key = "register.missing_key" if "key" in assembly.missing else "register.missing_cert"
        await reply.tr(key)
        return None
    collecting.bundles = list(assembly.bundles)
    if len(assembly.bundles) == 1:
        return await _present(reply, user_id, assembly.bundles[0])
    await _offer_choice(reply, assembly.bundles)
    return CHOOSE_CERT


async def _ask_pfx_password(reply: Reply, user_id: int, pfx: bytes) -> int:
    reply.context.sessions.move(user_id, AwaitingPassword(pfx=pfx))
    if await _locked(reply, user_id, _file_id(pfx)):
        return end_flow(reply.update, reply.context)
    await reply.tr("register.protected_pfx")
    return ASK_PASSWORD


async def _offer_choice(reply: Reply, bundles: Sequence[core.CertificateBundle]) -> None:
    lang = await language(reply.update, reply.context)
    cat = reply.context.catalog
    rows = [
        [(short_label(cat, lang, "register.choice_label", b.info), cb.RegisterPick(i).pack())]
        for i, b in enumerate(bundles[:10])
    ]
    await reply.say(
        cat.text(lang, "register.choose_certificate", count=len(bundles)), keyboard(rows)
    )


async def _present(reply: Reply, user_id: int, bundle: core.CertificateBundle) -> int:
    """Show the public summary; refuse what cannot be registered; else ask for the password."""
    lang = await language(reply.update, reply.context)
    reply.note(
        summary(reply.context.catalog, lang, bundle.info, reply.context.clock.now()), protect=True
    )
    if await _refused(reply, bundle.info) or await _locked(
        reply, user_id, bundle.info.fingerprint_sha256
    ):
        return end_flow(reply.update, reply.context)
    reply.context.sessions.move(user_id, AwaitingPassword(bundle=bundle))
    await reply.tr("register.ask_password")
    return ASK_PASSWORD


async def _refused(reply: Reply, info: core.CertificateInfo, *, show_summary: bool = False) -> bool:
    """If this certificate cannot be registered, say why (with the FAQ's advice)."""
    context = reply.context
    lang = await language(reply.update, context)
    refusal = _refusal(context, lang, info)
    if refusal is None:
        return False
    if show_summary:
        reply.note(summary(context.catalog, lang, info, context.clock.now()), protect=True)
    await reply.say(Html(refusal))
    return True


def _refusal(context: Context, lang: str, info: core.CertificateInfo) -> str | None:
    """Why this certificate cannot be registered, or None."""
    cat = context.catalog
    if info.is_financial_certificate:
        return cat.text(lang, "register.financial_certificate")
    if info.expired:
        refusal = cat.text(lang, "register.expired", date=format_date(info.not_after, lang))
        hint = context.faq.answer_html("expired-or-invalid", lang)
        if hint:
            refusal += "\n\n" + cat.text(lang, "register.reissue_hint", answer=Html(hint))
        return refusal
    if info.not_yet_valid:
        return cat.text(lang, "register.not_yet_valid", date=format_date(info.not_before, lang))
    if not info.known_issuer and not context.settings.allow_unknown_issuers:
        return cat.text(lang, "register.unknown_issuer", issuer=info.issuer_dn)
    return None


def _file_id(data: bytes) -> str:
    """A lock scope for a file whose certificate cannot be read yet."""
    return "file-" + core.file_fingerprint(data)


def _lock_id(phase: AwaitingPassword) -> str:
    if phase.bundle is not None:
        return phase.bundle.info.fingerprint_sha256
    assert phase.pfx is not None
    return _file_id(phase.pfx)


async def _unlock(
    phase: AwaitingPassword, password: str
) -> tuple[core.CertificateBundle, core.UnlockedKey] | core.CertificateError:
    """Open the key (or the whole PFX) with the password; the error instead of raising it.
    The key derivation is CPU work chosen by the file: it runs off the event loop."""
    try:
        if phase.bundle is not None:
            return phase.bundle, await asyncio.to_thread(core.unlock, phase.bundle, password)
        assert phase.pfx is not None
        return await asyncio.to_thread(core.open_protected_pfx, phase.pfx, password)
    except core.CertificateError as error:
        return error


async def _unlock_failed(reply: Reply, user_id: int, error: core.CertificateError) -> int:
    """The files cannot be unlocked at all (e.g. a key of another certificate): ask again."""
    await _error(reply, error)
    reply.context.sessions.restart(user_id)
    await reply.tr("register.ask_files")
    return ASK_FILES


async def _unlocked(
    reply: Reply,
    user_id: int,
    phase: AwaitingPassword,
    bundle: core.CertificateBundle,
    key: core.UnlockedKey,
) -> int:
    """The password was right: check what only now is known, then identity or confirm."""
    if phase.pfx is not None and (
        await _refused(reply, bundle.info, show_summary=True)
        or await _locked(reply, user_id, bundle.info.fingerprint_sha256)
    ):
        return end_flow(reply.update, reply.context)
    if reply.context.settings.require_identity_check:
        reply.context.sessions.move(user_id, Unlocked(bundle, key.random_num))
        await reply.tr("register.ask_identity")
        return ASK_IDENTITY
    reply.context.sessions.move(user_id, Verified(bundle))
    return await _ask_confirm(reply, bundle)


def _check_identity(
    phase: Unlocked, number: str
) -> Literal["match", "mismatch", "format", "unavailable"]:
    if not number.isdigit() or len(number) not in (10, 13):
        return "format"
    try:
        core.verify_identity(phase.bundle.cert_der, phase.random_num, number)
    except core.IdentityMismatch:
        return "mismatch"
    except core.IdentityCheckUnavailable:
        return "unavailable"
    except core.CertificateError:
        return "format"
    return "match"


async def _wrong(
    reply: Reply, user_id: int, lock_id: str, kind: Literal["password", "identity"]
) -> int | None:
    """Count a wrong password (or identity number); lock at the limit."""
    context = reply.context
    settings = context.settings
    record = (
        context.store.record_wrong_password
        if kind == "password"
        else context.store.record_wrong_identity
    )
    state = await record(
        user_id,
        lock_id,
        max_attempts=settings.password_max_attempts,
        lock_minutes=settings.password_lock_minutes,
    )
    if state.locked_until is not None:
        lang = await language(reply.update, context)
        until = format_time(state.locked_until, lang)
        minutes = settings.password_lock_minutes
        await reply.tr("register.locked_now", attempts=state.failures, minutes=minutes, until=until)
        return end_flow(reply.update, context)
    remaining = max(settings.password_max_attempts - state.failures, 0)
    key = "register.wrong_password" if kind == "password" else "register.identity_failed"
    await reply.tr(key, remaining=remaining)
    return None


async def _files_lost(reply: Reply, user_id: int) -> int:
    """The in-memory files are gone (restart or TTL): ask for them again."""
    reply.context.sessions.restart(user_id)
    touch_flow(reply.context, FLOW)
    await reply.tr("register.key_lost")
    await reply.tr("register.ask_files")
    return ASK_FILES


async def _ask_confirm(reply: Reply, bundle: core.CertificateBundle) -> int:
    lang = await language(reply.update, reply.context)
    cat = reply.context.catalog
    text = summary(cat, lang, bundle.info, reply.context.clock.now())
    buttons = yes_no(
        cat.text(lang, "register.btn_register"),
        cat.text(lang, "register.btn_cancel"),
        cb.RegisterConfirm(),
        cb.RegisterCancel(),
    )
    await reply.say(cat.text(lang, "register.confirm", summary=Html(text)), buttons, protect=True)
    return CONFIRM


async def _store(reply: Reply, user_id: int, record: NewCertificate) -> int:
    """Register in the store (one transaction, audited) and show the user's list."""
    context = reply.context
    store, settings = context.store, context.settings
    try:
        await store.register_certificate(
            user_id, record, max_active=settings.max_active_certificates
        )
    except AlreadyActiveForUser:
        await reply.tr("register.already_registered")
        return END
    except AlreadyActiveElsewhere:
        await reply.tr("register.active_elsewhere", phone=settings.customer_center)
        return END
    except LimitReached:
        active = await store.active_certificates_of(user_id)
        limit = settings.max_active_certificates
        await reply.tr("register.limit_reached", count=len(active), limit=limit)
        return END
    lang = await language(reply.update, context)
    active = await store.active_certificates_of(user_id)
    lines = list_lines(context.catalog, lang, active, context.clock.now())
    await reply.say(context.catalog.text(lang, "register.done", list=Html(lines)), protect=True)
    return END


async def _error(reply: Reply, error: core.CertificateError) -> None:
    key = _ERROR_KEYS.get(error.code, "errors.generic")
    await reply.tr(key, limit=reply.context.settings.max_upload_bytes // 1024)


# ---- the builder ---------------------------------------------------------------------------


def entry_points() -> list[Handler]:
    return flow_entry_points("register", start)


def states() -> dict[object, list[Handler]]:
    text = filters.TEXT & ~filters.COMMAND
    question = faq.mid_flow_question(FLOW)
    return {
        ASK_FILES: [
            MessageHandler(filters.Document.ALL, receive_file),
            MessageHandler(text, question),
            MessageHandler(~filters.COMMAND, stray),
        ],
        CHOOSE_CERT: [
            CallbackQueryHandler(pick, pattern=cb.RegisterPick.pattern()),
            MessageHandler(filters.Document.ALL, receive_file),
            MessageHandler(text, question),
        ],
        ASK_PASSWORD: [
            MessageHandler(text, receive_password),
            MessageHandler(~filters.COMMAND, not_text_password),
        ],
        ASK_IDENTITY: [
            MessageHandler(text, receive_identity),
            MessageHandler(~filters.COMMAND, not_text_password),
        ],
        CONFIRM: [
            CallbackQueryHandler(confirm, pattern=cb.RegisterConfirm.pattern()),
            CallbackQueryHandler(cancel_button, pattern=cb.RegisterCancel.pattern()),
            MessageHandler(text, question),
        ],
    }
