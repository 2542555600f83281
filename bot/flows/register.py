"""Register (인증서 등록): files → public summary → password → (identity) → confirm → stored.

The diagram is `register.mmd` beside this module (a test checks it against `states()`).
Secrets: the password and identity number live in local variables of one step; uploaded files
live in the in-memory registration sessions (`bot.vault`), one phase at a time; user_data
holds only the flow marker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Coroutine, Sequence
from typing import Any, Literal

from cryptography import x509
from cryptography.x509.oid import NameOID
from telegram import Document, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot import certs as core
from bot.certs import clean_text, display_name
from bot.flows import callbacks as cb
from bot.flows import faq
from bot.flows.common import (
    Context,
    Handler,
    Reply,
    Step,
    answer_query,
    answer_stale,
    delete_user_message,
    drop_markup,
    end_flow,
    flow_data,
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
from bot.flows.password_input import cannot_be_password, password_candidates
from bot.flows.render import list_lines, short_label, summary
from bot.flows.secrets import take_secret
from bot.keywork import KeyWorker
from bot.store import AlreadyActiveElsewhere, AlreadyActiveForUser, LimitReached
from bot.store.records import issuer_key
from bot.store.repository import NewCertificate
from bot.texts import Html
from bot.vault import MAX_FILES, AwaitingFiles, AwaitingPassword, Unlocked, Verified
from bot.webapp.links import webapp_button

log = logging.getLogger(__name__)

# The numbers are persisted by PTB (a restart resumes the step): never renumber them.
ASK_FILES, CHOOSE_CERT, ASK_PASSWORD, ASK_IDENTITY, CONFIRM = range(10, 15)
END = ConversationHandler.END
FLOW = "register"
UNVERIFIED_CA = "unverified"  # the `ca` shown and stored for an issuer outside the anchors
ISSUER_LIMIT = 120  # characters of an issuer's name in a refusal

# What the user reads for each error of the certificate core, by class: `message_key` walks
# the class hierarchy, so a new subclass inherits its parent's message until it gets its own.
_MESSAGES: dict[type[core.CertificateError], str] = {
    core.CertificateError: "errors.generic",
    core.NotACertificate: "errors.not_a_certificate",
    core.UnsupportedFormat: "errors.unsupported_format",
    core.NotRSA: "errors.not_rsa",
    core.FileTooLarge: "errors.file_too_large",
    core.ArchiveRejected: "errors.archive_rejected",
    core.KeyMismatch: "errors.key_mismatch",
    core.WrongPassword: "register.wrong_password",
    core.IdentityMismatch: "register.identity_failed",
    core.IdentityCheckUnavailable: "register.identity_unavailable",
    core.KeyOperationTimeout: "register.key_timeout",
    core.NotRegistrable: "register.not_registrable",
    core.ExpiredCertificate: "register.expired",
    core.NotYetValid: "register.not_yet_valid",
    core.FinancialCertificate: "register.financial_certificate",
    core.UnknownIssuer: "register.unknown_issuer",
    core.UntrustedChain: "register.untrusted_chain",
}


def message_key(error: core.CertificateError) -> str:
    """The catalog key for `error`: its class's message, else its nearest ancestor's."""
    for cls in type(error).__mro__:
        key = _MESSAGES.get(cls)
        if key is not None:
            return key
    return "errors.generic"


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
    await _close_open_confirm(context)
    if await refused_if_locked(reply, user.id) or await refused_at_limit(reply, user.id):
        return end_flow(update, context)
    touch_flow(context, FLOW)
    context.sessions.restart(user.id)
    await _ask_files(reply)
    return ASK_FILES


async def _ask_files(reply: Reply, key: str = "register.ask_files") -> None:
    """The file prompt with its buttons: the phone-only answer and, when the Mini App is
    served, [이 기기에서 안전하게 등록] (the key never leaves the phone)."""
    lang = await language(reply.update, reply.context)
    cat = reply.context.catalog
    rows: list[list[InlineKeyboardButton]] = []
    webapp = webapp_button(reply.context.settings, cat, lang)
    if webapp is not None:
        rows.append([webapp])
    phone = cb.FaqEntry("phone-only").pack()
    rows.append([InlineKeyboardButton(cat.text(lang, "register.btn_phone_only"), callback_data=phone)])
    await reply.say(cat.text(lang, key), InlineKeyboardMarkup(rows))


@step
async def receive_file(update: Update, context: Context) -> int | None:
    """Take one document (its size checked before downloading), classify it, assemble."""
    message, user = update.effective_message, update.effective_user
    if message is None or message.document is None or user is None:
        return None
    touch_flow(context, FLOW)
    reply = Reply(update, context)
    if context.sessions.awaiting_files(user.id).full:
        await _delete_upload(reply)  # not read, but a key file must not stay in the chat
        await reply.tr("register.too_many_files", limit=MAX_FILES)
        return None
    uploaded = await _download(reply, message.document, then=_delete_upload(reply))
    if uploaded is None:
        return None
    collecting = context.sessions.awaiting_files(user.id)
    name = message.document.file_name or "-"
    reply.note(await tr(update, context, "register.got_file", name=name))
    if uploaded.kind in (core.FileKind.KM_CERT, core.FileKind.KM_KEY):
        await reply.tr("register.km_only")
        return None
    return await _assemble(reply, user.id, collecting, uploaded)


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
    if data.index >= len(phase.bundles) or not _shows(phase.bundles[data.index], data.fp):
        await answer_stale(update, context)
        return None
    await answer_query(update)
    await drop_markup(update)
    touch_flow(context, FLOW)
    return await _present(Reply(update, context), user.id, phase.bundles[data.index])


@step
@cb.receives(cb.RegisterPage, answer_stale)
async def turn_page(update: Update, context: Context, data: cb.RegisterPage) -> int | None:
    """[◀ 이전] / [다음 ▶] under the zip choice: the same message shows another page."""
    user = update.effective_user
    assert user is not None
    phase = context.sessions.phase(user.id)
    if not isinstance(phase, AwaitingFiles) or not phase.bundles:
        await answer_query(update)
        return await _files_lost(Reply(update, context), user.id)
    if data.page * PAGE_SIZE >= len(phase.bundles):
        await answer_stale(update, context)
        return None
    await answer_query(update)
    touch_flow(context, FLOW)
    text, markup = await _choice_page(update, context, phase.bundles, data.page)
    query = update.callback_query
    try:
        assert query is not None
        await query.edit_message_text(text, parse_mode="HTML", reply_markup=markup)
    except BadRequest:  # the message is gone or too old to edit: send the page anew
        await Reply(update, context).say(text, markup)
    return None


@step
async def receive_password(update: Update, context: Context) -> int | None:
    """Delete the password message at once, then unlock the key in memory."""
    user = update.effective_user
    assert user is not None
    if _is_question(update):
        return await _question_at(ASK_PASSWORD, update, context)
    secret = await take_secret(update, context, "password")
    reply = Reply(update, context, [secret.notice])
    phase = context.sessions.phase(user.id)
    if not isinstance(phase, AwaitingPassword):
        return await _files_lost(reply, user.id)
    touch_flow(context, FLOW)
    lock_id = _lock_id(phase)
    if await refused_if_locked(reply, user.id, lock_id):
        return end_flow(update, context)
    candidates = password_candidates(secret.value)
    del secret
    korean_keyboard = len(candidates) > 1
    opened = await _unlock_any(context.services.keywork, phase, candidates)
    del candidates
    if isinstance(opened, core.WrongPassword):
        return await _wrong(reply, user.id, lock_id, "password", korean_keyboard=korean_keyboard)
    if isinstance(opened, core.CertificateError):
        return await _unlock_failed(reply, user.id, opened)
    await context.store.clear_wrong_attempts(user.id, lock_id)
    return await _unlocked(reply, user.id, phase, *opened)


@step
async def receive_identity(update: Update, context: Context) -> int | None:
    """Delete the identity-number message at once, then check the certificate's VID."""
    user = update.effective_user
    assert user is not None
    if _is_question(update):
        return await _question_at(ASK_IDENTITY, update, context)
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
        return await _wrong(reply, user.id, cert_lock_id(phase.bundle.info), "identity")
    context.sessions.move(user.id, Verified(phase.bundle))
    return await _ask_confirm(reply, phase.bundle, passed="register.passed_identity")


@step
@cb.receives(cb.RegisterConfirm, answer_stale)
async def confirm(update: Update, context: Context, data: cb.RegisterConfirm) -> int | None:
    """[등록]: store the public certificate and its metadata, audited, then show the list.
    The button names the certificate it showed: any other (an older [등록]) changes nothing."""
    user = update.effective_user
    assert user is not None
    phase = context.sessions.phase(user.id)
    if isinstance(phase, Verified) and not _shows(phase.bundle, data.fp):
        await answer_stale(update, context)
        await drop_markup(update)
        return None
    await drop_markup(update)
    await answer_query(update)
    _forget_confirm(context)
    reply = Reply(update, context)
    if not isinstance(phase, Verified):
        return await _files_lost(reply, user.id)
    info = phase.bundle.info
    try:
        registrable(context, info)  # again: the summary may have been shown before midnight
    except core.NotRegistrable as error:
        await say_error(reply, error, info)
        return _after_refusal(reply, user.id)
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
    _forget_confirm(context)
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


def _is_question(update: Update) -> bool:
    """Text at a secret prompt that cannot be the secret (a question): kept, not counted."""
    message = update.effective_message
    return message is not None and cannot_be_password(message.text or "")


def _text_at(state: int) -> Step[Any]:
    """Text typed at a step that expects files, a choice or a button: a question gets the
    FAQ's answer and then the step's prompt again (with its buttons); anything the FAQ cannot
    place ("1", "네", a name) gets only the step's own prompt, not the out-of-scope apology."""

    @step
    async def question(update: Update, context: Context) -> int | None:
        touch_flow(context, FLOW)
        await faq.answer_text(update, context, mid_flow=True, fallback=False)
        await _reprompt(Reply(update, context), state)
        return None

    return question


async def _question_at(state: int, update: Update, context: Context) -> int | None:
    """A question typed inside the flow: the FAQ's answer, then the step's prompt again."""
    touch_flow(context, FLOW)
    await faq.answer_text(update, context, mid_flow=True)
    await _reprompt(Reply(update, context), state)
    return None  # the same step


async def _reprompt(reply: Reply, state: int) -> None:
    """The prompt of `state` again, with its buttons."""
    user = reply.update.effective_user
    phase = reply.context.sessions.phase(user.id) if user is not None else None
    if state == ASK_PASSWORD:
        pfx = isinstance(phase, AwaitingPassword) and phase.bundle is None
        await reply.tr("register.protected_pfx" if pfx else "register.ask_password")
    elif state == ASK_IDENTITY:
        await reply.tr("register.ask_identity")
    elif state == ASK_FILES:
        await _ask_files(reply, "register.reprompt_files")
    elif state == CHOOSE_CERT and isinstance(phase, AwaitingFiles) and phase.bundles:
        await _offer_choice(reply, phase.bundles, reprompt=True)
    elif state == CONFIRM and isinstance(phase, Verified):
        await _ask_confirm(reply, phase.bundle, passed="register.passed_earlier")


async def refused_at_limit(reply: Reply, user_id: int) -> bool:
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


async def refused_if_locked(reply: Reply, user_id: int, certificate: str | None = None) -> bool:
    """If the user (or this certificate) is locked, say until when and return True."""
    state = await reply.context.store.registration_lock(user_id, certificate)
    if state.locked_until is None:
        return False
    lang = await language(reply.update, reply.context)
    await reply.tr("register.locked", until=format_time(state.locked_until, lang))
    return True


async def _download(
    reply: Reply, document: Document, *, then: Coroutine[Any, Any, None]
) -> core.UploadedFile | None:
    """The document's bytes classified, or None after saying why not. `then` runs as soon as
    the bytes are read (it deletes the upload from the chat)."""
    limit = reply.context.settings.max_upload_bytes
    if document.file_size is not None and document.file_size > limit:
        then.close()
        await reply.tr("errors.file_too_large", limit=limit // 1024)
        return None
    try:
        data = bytes(await (await document.get_file()).download_as_bytearray())
    except Exception:
        then.close()
        log.warning("document download failed")
        await reply.tr("errors.download_failed")
        return None
    await then
    if len(data) > limit:
        await reply.tr("errors.file_too_large", limit=limit // 1024)
        return None
    try:
        # Parsing is CPU work on untrusted bytes: off the event loop.
        return await asyncio.to_thread(core.classify, document.file_name, data)
    except core.CertificateError as error:
        await say_error(reply, error)
        return None
    finally:
        del data


async def _delete_upload(reply: Reply) -> None:
    """Delete the uploaded file's message (a key file is a 접근매체): say so once per
    registration, and every time it could not be deleted (the user should do it)."""
    if await delete_user_message(reply.update):
        data = flow_data(reply.context)
        if data is not None and not data.get("told_deleted"):
            data["told_deleted"] = True
            reply.note(await tr(reply.update, reply.context, "register.file_deleted"))
        return
    reply.note(await tr(reply.update, reply.context, "register.file_not_deleted"))


async def _assemble(
    reply: Reply, user_id: int, collecting: AwaitingFiles, uploaded: core.UploadedFile
) -> int | None:
    """Process the new upload once (off the event loop) and add what it makes to what the
    earlier ones made; one certificate is presented, several are offered."""
    if uploaded.kind in (core.FileKind.PFX, core.FileKind.ZIP):
        try:
            made = await asyncio.to_thread(core.assemble, [uploaded])
        except core.PfxCertificateEncrypted:
            # Nothing can be shown before the password opens it: ask for the password first.
            return await _ask_pfx_password(reply, user_id, uploaded.data)
        except core.CertificateError as error:
            await say_error(reply, error)
            return None
        collecting.files.append(uploaded)
        _add_unique(collecting.found, made.bundles)
        if not made.bundles:  # a zip with half a pair: its other half may come loose
            collecting.loose.append(uploaded)
        missing = made.missing
    else:
        collecting.files.append(uploaded)
        collecting.loose.append(uploaded)
        missing = ()
    if collecting.loose and collecting.loose[-1] is uploaded:
        try:
            pairing = await asyncio.to_thread(core.assemble, list(collecting.loose))
        except core.CertificateError as error:
            collecting.files.pop()
            collecting.loose.pop()
            await say_error(reply, error)
            return None
        collecting.paired = list(pairing.bundles)
        missing = pairing.missing
    collecting.bundles = []
    _add_unique(collecting.bundles, [*collecting.found, *collecting.paired])
    if not collecting.bundles:
        key = "register.missing_key" if "key" in missing else "register.missing_cert"
        await reply.tr(key)
        return None
    if len(collecting.bundles) == 1:
        return await _present(reply, user_id, collecting.bundles[0])
    await _offer_choice(reply, collecting.bundles)
    return CHOOSE_CERT


def _add_unique(
    into: list[core.CertificateBundle], bundles: Sequence[core.CertificateBundle]
) -> None:
    """Append the bundles whose certificate is not in `into` yet (a re-sent file adds none)."""
    seen = {b.info.fingerprint_sha256 for b in into}
    for bundle in bundles:
        if bundle.info.fingerprint_sha256 not in seen:
            seen.add(bundle.info.fingerprint_sha256)
            into.append(bundle)


async def _ask_pfx_password(reply: Reply, user_id: int, pfx: bytes) -> int:
    reply.context.sessions.move(user_id, AwaitingPassword(pfx=pfx))
    if await refused_if_locked(reply, user_id, _file_id(pfx)):
        return end_flow(reply.update, reply.context)
    await reply.tr("register.protected_pfx")
    return ASK_PASSWORD


PAGE_SIZE = 5  # certificates per page of the zip choice


async def _offer_choice(
    reply: Reply, bundles: Sequence[core.CertificateBundle], *, reprompt: bool = False
) -> None:
    text, markup = await _choice_page(reply.update, reply.context, bundles, 0, reprompt=reprompt)
    await reply.say(text, markup)


async def _choice_page(
    update: Update,
    context: Context,
    bundles: Sequence[core.CertificateBundle],
    page: int,
    *,
    reprompt: bool = False,
) -> tuple[str, InlineKeyboardMarkup]:
    """One page of the choice: its certificates' buttons, then [◀ 이전] [다음 ▶] as needed."""
    lang = await language(update, context)
    cat = context.catalog
    first = page * PAGE_SIZE
    rows = [
        [(short_label(cat, lang, "register.choice_label", b.info), cb.RegisterPick.of(i, b).pack())]
        for i, b in enumerate(bundles[first : first + PAGE_SIZE], start=first)
    ]
    pages = -(-len(bundles) // PAGE_SIZE)
    nav = []
    if page > 0:
        nav.append((cat.text(lang, "register.btn_prev_page"), cb.RegisterPage(page - 1).pack()))
    if page + 1 < pages:
        nav.append((cat.text(lang, "register.btn_next_page"), cb.RegisterPage(page + 1).pack()))
    if nav:
        rows.append(nav)
    key = "register.reprompt_choice" if reprompt else "register.choose_certificate"
    text = cat.text(lang, key, count=len(bundles))
    if pages > 1:
        text += "\n\n" + cat.text(lang, "register.choice_page", page=page + 1, pages=pages)
    return text, keyboard(rows)


async def _present(reply: Reply, user_id: int, bundle: core.CertificateBundle) -> int:
    """Show the public summary; refuse what cannot be registered; else ask for the password."""
    checked = await _checked(reply, bundle)
    if checked is None:
        return _after_refusal(reply, user_id)
    if await refused_if_locked(reply, user_id, cert_lock_id(bundle.info)):
        return end_flow(reply.update, reply.context)
    reply.context.sessions.move(user_id, AwaitingPassword(bundle=checked))
    await reply.tr("register.ask_password")
    return ASK_PASSWORD


async def _checked(reply: Reply, bundle: core.CertificateBundle) -> core.CertificateBundle | None:
    """Note the summary; the bundle as it may be registered (an issuer outside the trust
    anchors marked unverified), or None after saying why it cannot be registered."""
    context = reply.context
    lang = await language(reply.update, context)
    try:
        info = registrable(context, bundle.info)
    except core.NotRegistrable as error:
        reply.note(summary(context.catalog, lang, bundle.info, context.clock.now()), protect=True)
        await say_error(reply, error, bundle.info)
        return None
    reply.note(summary(context.catalog, lang, info, context.clock.now()), protect=True)
    user = reply.update.effective_user
    holder = await context.store.active_holder(issuer_key(info.issuer_dn), info.serial_hex)
    if holder is not None and user is not None:
        # Known before the password is asked; said the same way whoever holds it.
        await _refusal(reply, "mine" if holder == user.id else "elsewhere", info)
        if holder != user.id:
            fingerprint = {"fingerprint": info.fingerprint_sha256}
            await context.store.audit(
                user.id, "register_refused_active_elsewhere", None, fingerprint
            )
        return None
    return dataclasses.replace(bundle, info=info)


def registrable(context: Context, info: core.CertificateInfo) -> core.CertificateInfo:
    """The core's policy at the clock's now under the app's trust anchors: `info`, with its
    issuer shown as unverified when it is outside them (and allowed), or a NotRegistrable."""
    trust = context.services.trust
    result = core.check_registrable(
        info,
        now=context.clock.now(),
        trust=trust,
        allow_unknown_issuers=context.settings.unverified_issuers_allowed,
    )
    if result.verified:
        return info
    if trust is not None and _imitates_anchor(trust, info):
        # "O=YESSIGN" is not in the bundle byte for byte, but reads as a trusted CA's name.
        raise core.UntrustedChain("The issuer imitates a trusted CA's name.")
    return dataclasses.replace(info, ca=UNVERIFIED_CA)


def _imitates_anchor(trust: core.TrustStore, info: core.CertificateInfo) -> bool:
    key = issuer_key(info.issuer_dn)
    return any(
        issuer_key(clean_text(anchor.subject.rfc4514_string())) == key
        for anchor in trust.certificates
    )


def _file_id(data: bytes) -> str:
    """A lock scope for a file whose certificate cannot be read yet."""
    return "file-" + core.file_fingerprint(data)


def cert_lock_id(info: core.CertificateInfo) -> str:
    """The attempt lock's scope for a certificate: its public key, not the file's hash (a
    copy with one signature byte flipped has another fingerprint but the same key)."""
    return "pk-" + (info.public_key_sha256 or info.fingerprint_sha256)


def _lock_id(phase: AwaitingPassword) -> str:
    if phase.bundle is not None:
        return cert_lock_id(phase.bundle.info)
    assert phase.pfx is not None
    return _file_id(phase.pfx)


async def _unlock(
    keywork: KeyWorker, phase: AwaitingPassword, password: str
) -> tuple[core.CertificateBundle, core.UnlockedKey] | core.CertificateError:
    """Open the key (or the whole PFX) with the password; the error instead of raising it.
    The key derivation is CPU work chosen by the file: it runs in a key worker process, off
    the event loop and under a hard time bound (KeyOperationTimeout)."""
    try:
        if phase.bundle is not None:
            return phase.bundle, await keywork.unlock(phase.bundle, password)
        assert phase.pfx is not None
        return await keywork.open_protected_pfx(phase.pfx, password)
    except core.CertificateError as error:
        return error


async def _unlock_any(
    keywork: KeyWorker, phase: AwaitingPassword, candidates: Sequence[str]
) -> tuple[core.CertificateBundle, core.UnlockedKey] | core.CertificateError:
    """Try the password as typed, then as meant on the English layout: one try for the user."""
    opened: tuple[core.CertificateBundle, core.UnlockedKey] | core.CertificateError
    opened = core.WrongPassword("no password")
    for password in candidates:
        opened = await _unlock(keywork, phase, password)
        if not isinstance(opened, core.WrongPassword):
            break
    return opened


async def _unlock_failed(reply: Reply, user_id: int, error: core.CertificateError) -> int:
    """The files cannot be unlocked at all (e.g. a key of another certificate): ask again."""
    await say_error(reply, error)
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
    if phase.pfx is not None:
        checked = await _checked(reply, bundle)
        if checked is None:
            return _after_refusal(reply, user_id)
        if await refused_if_locked(reply, user_id, cert_lock_id(bundle.info)):
            return end_flow(reply.update, reply.context)
        bundle = checked
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
    reply: Reply,
    user_id: int,
    lock_id: str,
    kind: Literal["password", "identity"],
    *,
    korean_keyboard: bool = False,
) -> int | None:
    """Count a wrong password (or identity number); lock at the limit. A password typed with
    the Korean keyboard on (and still wrong on the English layout) gets the 한/영 reminder."""
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
    text = await tr(reply.update, context, key, remaining=remaining)
    if korean_keyboard:
        text += "\n\n" + await tr(reply.update, context, "register.korean_keyboard")
    await reply.say(text)
    return None


async def _files_lost(reply: Reply, user_id: int) -> int:
    """The in-memory files are gone (restart or TTL): ask for them again."""
    reply.context.sessions.restart(user_id)
    touch_flow(reply.context, FLOW)
    await reply.tr("register.key_lost")
    await reply.tr("register.ask_files")
    return ASK_FILES


async def _ask_confirm(
    reply: Reply, bundle: core.CertificateBundle, *, passed: str = "register.passed_password"
) -> int:
    """The summary with [등록] [취소], after the line naming the check that just passed."""
    lang = await language(reply.update, reply.context)
    cat = reply.context.catalog
    text = summary(cat, lang, bundle.info, reply.context.clock.now())
    buttons = yes_no(
        cat.text(lang, "register.btn_register"),
        cat.text(lang, "register.btn_cancel"),
        cb.RegisterConfirm.of(bundle.info.fingerprint_sha256),
        cb.RegisterCancel(),
    )
    sent = await reply.say(
        cat.text(lang, "register.confirm", passed=cat.text(lang, passed), summary=Html(text)),
        buttons,
        protect=True,
    )
    if sent is not None and reply.context.user_data is not None:
        # Where the open [등록] is (ids only): the next /register closes it.
        reply.context.user_data[_OPEN_CONFIRM] = [sent.chat_id, sent.message_id]
    return CONFIRM


_OPEN_CONFIRM = "register_open_confirm"


def _shows(bundle: core.CertificateBundle, fp: str) -> bool:
    """Whether a button's fingerprint prefix names this certificate."""
    return len(fp) == cb.FINGERPRINT_CHARS and bundle.info.fingerprint_sha256.startswith(fp)


def _forget_confirm(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(_OPEN_CONFIRM, None)


async def _close_open_confirm(context: Context) -> None:
    """A new registration starts: remove the buttons of the previous confirmation, if open."""
    where = (context.user_data or {}).get(_OPEN_CONFIRM)
    _forget_confirm(context)
    if not isinstance(where, list) or len(where) != 2:
        return
    try:
        await context.bot.edit_message_reply_markup(where[0], where[1], reply_markup=None)
    except TelegramError:
        pass  # already gone, or too old to edit: the binding still refuses it


async def _store(reply: Reply, user_id: int, record: NewCertificate) -> int:
    """Register in the store (one transaction, audited) and show the user's list."""
    context = reply.context
    store, settings = context.store, context.settings
    try:
        await store.register_certificate(
            user_id, record, max_active=settings.max_active_certificates
        )
    except AlreadyActiveForUser:
        await _refusal(reply, "mine", None)
        return END
    except AlreadyActiveElsewhere:
        await _refusal(reply, "elsewhere", None)
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


async def say_error(
    reply: Reply, error: core.CertificateError, info: core.CertificateInfo | None = None
) -> None:
    """Say the catalog message of `error` (through its class hierarchy), with its values."""
    context = reply.context
    lang = await language(reply.update, context)
    values: dict[str, object] = {
        "limit": context.settings.max_upload_bytes // 1024,
        "phone": context.settings.customer_center,
        "remaining": 0,
    }
    if info is not None:
        values["date"] = format_date(
            info.not_before if isinstance(error, core.NotYetValid) else info.not_after, lang
        )
        values["issuer"] = display_name(issuer_name(info), ISSUER_LIMIT)  # one line, never 5,000
    text = context.catalog.text(lang, message_key(error), **values)
    if isinstance(error, core.NotRegistrable):
        await _refusal(reply, _refusal_kind(error), info, text=text, **values)
        return
    await reply.say(Html(text))


RefusalKind = Literal[
    "expired",
    "not_yet_valid",
    "financial",
    "unknown_issuer",
    "untrusted_chain",
    "other",
    "mine",
    "elsewhere",
]
# What to do next after each refusal (one line), and the FAQ entry that explains it.
_REFUSAL_NEXT: dict[str, str] = {
    "expired": "register.next_expired",
    "not_yet_valid": "register.next_not_yet_valid",
    "financial": "register.next_financial",
    "unknown_issuer": "register.next_unknown_issuer",
    "untrusted_chain": "register.next_untrusted_chain",
    "other": "register.next_other",
    "mine": "register.next_mine",
    "elsewhere": "register.next_elsewhere",
}
_REFUSAL_FAQ: dict[str, str] = {
    "expired": "renewal-vs-reissue",
    "financial": "financial-vs-joint",
    "unknown_issuer": "supported-issuers",
}


def _refusal_kind(error: core.NotRegistrable) -> RefusalKind:
    kinds: list[tuple[type[core.NotRegistrable], RefusalKind]] = [
        (core.ExpiredCertificate, "expired"),
        (core.NotYetValid, "not_yet_valid"),
        (core.FinancialCertificate, "financial"),
        (core.UnknownIssuer, "unknown_issuer"),
        (core.UntrustedChain, "untrusted_chain"),
    ]
    return next((kind for cls, kind in kinds if isinstance(error, cls)), "other")


async def _refusal(
    reply: Reply,
    kind: RefusalKind,
    info: core.CertificateInfo | None,
    *,
    text: str | None = None,
    **values: object,
) -> None:
    """Why the certificate cannot be registered, what to do next in one line, and the next
    buttons: the FAQ entry for it, if any, and [다른 인증서 등록]."""
    context = reply.context
    cat, lang = context.catalog, await language(reply.update, context)
    values.setdefault("phone", context.settings.customer_center)
    if info is not None:
        values.setdefault("date", format_date(info.not_before, lang))
    if text is None:
        key = "register.already_registered" if kind == "mine" else "register.active_elsewhere"
        text = cat.text(lang, key, **values)
    text += "\n\n" + cat.text(lang, _REFUSAL_NEXT[kind], **values)
    rows: list[list[tuple[str, str]]] = []
    entry = context.faq.entry(_REFUSAL_FAQ.get(kind, ""))
    if entry is not None:
        title = entry.title.get(lang) or entry.title.get("ko") or entry.id
        rows.append([("❔ " + title, cb.FaqEntry(entry.id).pack())])
    if kind == "mine":
        rows.append([(cat.text(lang, "faq.action_certs"), cb.Action("certs").pack())])
    elif kind == "elsewhere":
        rows.append([(cat.text(lang, "faq.action_contact"), cb.Action("contact").pack())])
    rows.append([(cat.text(lang, "register.btn_other"), cb.Action("register").pack())])
    await reply.say(Html(text), keyboard(rows))


def _after_refusal(reply: Reply, user_id: int) -> int:
    """The refused certificate is dropped; the next upload starts a new registration."""
    reply.context.sessions.drop(user_id)
    touch_flow(reply.context, FLOW)
    return ASK_FILES


def issuer_name(info: core.CertificateInfo) -> str:
    """The issuer's organisation name (O=, else CN=), cleaned and cut: not the raw DN."""
    try:
        name = x509.load_der_x509_certificate(info.cert_der).issuer if info.cert_der else None
    except ValueError:
        name = None
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        for attribute in name.get_attributes_for_oid(oid) if name is not None else []:
            value = attribute.value if isinstance(attribute.value, str) else ""
            if clean_text(value):
                return display_name(value)
    return display_name(info.issuer_dn)


# ---- the builder ---------------------------------------------------------------------------


def entry_points() -> list[Handler]:
    return flow_entry_points("register", start)


def states() -> dict[object, list[Handler]]:
    text = filters.TEXT & ~filters.COMMAND
    return {
        ASK_FILES: [
            MessageHandler(filters.Document.ALL, receive_file),
            MessageHandler(text, _text_at(ASK_FILES)),
            MessageHandler(~filters.COMMAND, stray),
        ],
        CHOOSE_CERT: [
            CallbackQueryHandler(pick, pattern=cb.RegisterPick.pattern()),
            CallbackQueryHandler(turn_page, pattern=cb.RegisterPage.pattern()),
            MessageHandler(filters.Document.ALL, receive_file),
            MessageHandler(text, _text_at(CHOOSE_CERT)),
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
            MessageHandler(text, _text_at(CONFIRM)),
        ],
    }
