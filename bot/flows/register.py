"""Register (인증서 등록): files → public summary → password → (identity) → confirm → stored.

```
start ─ locked? / limit reached? ──> explain ──> END
  v
ASK_FILES ─ documents in any order ─> (several in a zip) CHOOSE_CERT
  │── expired / not yet valid / 금융인증서 / unknown issuer ──> explain (+ FAQ) ──> END
  v
ASK_PASSWORD ─ message deleted at once; unlock in memory; n-th failure → lock ──> END
  v
(ASK_IDENTITY, when REQUIRE_IDENTITY_CHECK) ─ VID check, message deleted
  v
CONFIRM [등록] [취소] ──> public certificate stored, audited ──> "등록 완료" + list ──> END
```
Secrets: the password and identity number live in local variables of one step; uploaded files
live in the in-memory vault; user_data holds only the flow marker.
"""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import certs as core
from bot.flows import callbacks as cb
from bot.flows import faq
from bot.flows.common import (
    Context,
    Services,
    answer_query,
    answer_stale,
    delete_user_message,
    drop_markup,
    end_flow,
    format_date,
    format_time,
    keyboard,
    language,
    note,
    now_utc,
    say,
    services,
    step,
    touch_flow,
    tr,
    yes_no,
)
from bot.flows.common import (
    entry_points as flow_entry_points,
)
from bot.flows.render import list_lines, short_label, summary
from bot.store import AlreadyActiveElsewhere, AlreadyActiveForUser, LimitReached
from bot.store.repository import NewCertificate
from bot.texts import Html
from bot.vault import VaultEntry

log = logging.getLogger(__name__)

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


async def _error(update: Update, context: Context, error: core.CertificateError) -> None:
    key = _ERROR_KEYS.get(error.code, "errors.generic")
    limit = services(context).settings.max_upload_bytes // 1024
    await say(update, context, await tr(update, context, key, limit=limit))


async def _locked_until(update: Update, context: Context, fingerprint: str | None) -> bool:
    """If the user (or this certificate) is locked, say until when and return True."""
    user = update.effective_user
    assert user is not None
    state = await services(context).store.registration_lock(user.id, fingerprint)
    if state.locked_until is None:
        return False
    lang = await language(update, context)
    await say(
        update,
        context,
        await tr(update, context, "register.locked", until=format_time(state.locked_until, lang)),
    )
    return True


@step
async def start(update: Update, context: Context) -> int:
    """Check the lock and the limit, then ask for the certificate files."""
    await answer_query(update)
    svc = services(context)
    user = update.effective_user
    if user is None:
        return END
    svc.vault.drop(user.id)
    if await _locked_until(update, context, None):
        return end_flow(update, context)
    active = await svc.store.active_certificates_of(user.id)
    limit = svc.settings.max_active_certificates
    if len(active) >= limit:
        await say(
            update,
            context,
            await tr(update, context, "register.limit_reached", count=len(active), limit=limit),
            keyboard(
                [
                    [
                        (
                            await tr(update, context, "register.btn_go_revoke"),
                            cb.Action("revoke").pack(),
                        )
                    ]
                ]
            ),
        )
        return end_flow(update, context)
    touch_flow(context, FLOW)
    svc.vault.open(user.id)
    await say(update, context, await tr(update, context, "register.ask_files"))
    return ASK_FILES


@step
async def receive_file(update: Update, context: Context) -> int | None:
    """Take one document: check its size before downloading, classify it, assemble."""
    svc = services(context)
    message = update.effective_message
    user = update.effective_user
    if message is None or message.document is None or user is None:
        return None
    touch_flow(context, FLOW)
    document = message.document
    limit = svc.settings.max_upload_bytes
    if document.file_size is not None and document.file_size > limit:
        await say(
            update,
            context,
            await tr(update, context, "errors.file_too_large", limit=limit // 1024),
        )
        return None
    try:
        telegram_file = await document.get_file()
        data = bytes(await telegram_file.download_as_bytearray())
    except Exception:
        log.warning("document download failed")
        await say(update, context, await tr(update, context, "errors.download_failed"))
        return None
    if len(data) > limit:
        await say(
            update,
            context,
            await tr(update, context, "errors.file_too_large", limit=limit // 1024),
        )
        return None
    try:
        uploaded = core.classify(document.file_name, data)
    except core.CertificateError as error:
        await _error(update, context, error)
        return None
    finally:
        del data
    entry = svc.vault.open(user.id)
    entry.files.append(uploaded)
    note(
        update,
        context,
        await tr(update, context, "register.got_file", name=document.file_name or "-"),
    )
    if uploaded.kind in (core.FileKind.KM_CERT, core.FileKind.KM_KEY):
        await say(update, context, await tr(update, context, "register.km_only"))
        return None
    try:
        assembly = core.assemble(entry.files)
    except core.PfxCertificateEncrypted:
        # Nothing can be shown before the password opens it: ask for the password first.
        entry.files.pop()
        entry.chosen, entry.protected_pfx = None, uploaded.data
        if await _locked_until(update, context, _file_id(uploaded.data)):
            return end_flow(update, context)
        await say(update, context, await tr(update, context, "register.protected_pfx"))
        return ASK_PASSWORD
    except core.CertificateError as error:
        entry.files.pop()
        await _error(update, context, error)
        return None
    if not assembly.bundles:
        key = "register.missing_key" if "key" in assembly.missing else "register.missing_cert"
        await say(update, context, await tr(update, context, key))
        return None
    entry.bundles = list(assembly.bundles)
    if len(assembly.bundles) == 1:
        return await _present(update, context, entry, assembly.bundles[0])
    lang = await language(update, context)
    cat = svc.catalog
    rows = []
    for index, bundle in enumerate(assembly.bundles[:10]):
        label = short_label(cat, lang, "register.choice_label", bundle.info)
        rows.append([(label, cb.RegisterPick(index).pack())])
    await say(
        update,
        context,
        cat.text(lang, "register.choose_certificate", count=len(assembly.bundles)),
        keyboard(rows),
    )
    return CHOOSE_CERT


@step
@cb.receives(cb.RegisterPick, answer_stale)
async def pick(update: Update, context: Context, data: cb.RegisterPick) -> int | None:
    """The user chose one certificate of a zip that held several."""
    svc = services(context)
    user = update.effective_user
    assert user is not None
    entry = svc.vault.get(user.id)
    if entry is None or not entry.bundles:
        await answer_query(update)
        return await _key_lost(update, context)
    if data.index >= len(entry.bundles):
        await answer_stale(update, context)
        return None
    bundle = entry.bundles[data.index]
    await answer_query(update)
    await drop_markup(update)
    touch_flow(context, FLOW)
    return await _present(update, context, entry, bundle)


async def _present(
    update: Update, context: Context, entry: VaultEntry, bundle: core.CertificateBundle
) -> int:
    """Show the public summary; refuse what cannot be registered; else ask for the password."""
    svc = services(context)
    lang = await language(update, context)
    info = bundle.info
    cat = svc.catalog
    note(update, context, summary(cat, lang, info, now_utc()), protect=True)
    refusal = _refusal(svc, lang, info)
    if refusal is not None:
        await say(update, context, Html(refusal))
        return end_flow(update, context)
    if await _locked_until(update, context, info.fingerprint_sha256):
        return end_flow(update, context)
    entry.chosen = bundle
    entry.unlocked = False
    await say(update, context, cat.text(lang, "register.ask_password"))
    return ASK_PASSWORD


def _refusal(svc: Services, lang: str, info: core.CertificateInfo) -> str | None:
    """Why this certificate cannot be registered (with the FAQ's advice), or None."""
    cat = svc.catalog
    if info.is_financial_certificate:
        return cat.text(lang, "register.financial_certificate")
    if info.expired:
        refusal = cat.text(lang, "register.expired", date=format_date(info.not_after, lang))
        hint = svc.faq.answer_html("expired-or-invalid", lang)
        if hint:
            refusal += "\n\n" + cat.text(lang, "register.reissue_hint", answer=Html(hint))
        return refusal
    if info.not_yet_valid:
        return cat.text(lang, "register.not_yet_valid", date=format_date(info.not_before, lang))
    if not info.known_issuer and not svc.settings.allow_unknown_issuers:
        return cat.text(lang, "register.unknown_issuer", issuer=info.issuer_dn)
    return None


def _file_id(data: bytes) -> str:
    """A lock scope for a file whose certificate cannot be read yet."""
    return "file-" + core.file_fingerprint(data)


async def _key_lost(update: Update, context: Context) -> int:
    """The in-memory files are gone (restart or TTL): ask for them again."""
    user = update.effective_user
    assert user is not None
    services(context).vault.drop(user.id)
    services(context).vault.open(user.id)
    touch_flow(context, FLOW)
    await say(update, context, await tr(update, context, "register.key_lost"))
    await say(update, context, await tr(update, context, "register.ask_files"))
    return ASK_FILES


async def _failure(update: Update, context: Context, lock_id: str, key: str) -> int | None:
    """Count a wrong password (or identity number); lock at the limit."""
    svc = services(context)
    user = update.effective_user
    assert user is not None
    settings = svc.settings
    record = (
        svc.store.record_wrong_password
        if key == "register.wrong_password"
        else svc.store.record_wrong_identity
    )
    state = await record(
        user.id,
        lock_id,
        max_attempts=settings.password_max_attempts,
        lock_minutes=settings.password_lock_minutes,
    )
    if state.locked_until is not None:
        lang = await language(update, context)
        await say(
            update,
            context,
            await tr(
                update,
                context,
                "register.locked_now",
                attempts=state.failures,
                minutes=settings.password_lock_minutes,
                until=format_time(state.locked_until, lang),
            ),
        )
        return end_flow(update, context)
    remaining = max(settings.password_max_attempts - state.failures, 0)
    await say(update, context, await tr(update, context, key, remaining=remaining))
    return None


async def _take_secret(update: Update, context: Context, kind: str) -> str:
    """Read a secret from its message and delete the message at once. The value is returned
    to one local variable of the caller and never logged, stored or echoed."""
    message = update.effective_message
    value = (message.text or "") if message is not None else ""
    deleted = await delete_user_message(update)
    key = f"register.{kind}_deleted" if deleted else f"register.{kind}_not_deleted"
    note(update, context, await tr(update, context, key))
    return value


@step
async def receive_password(update: Update, context: Context) -> int | None:
    """Delete the password message at once, then unlock the key in memory."""
    svc = services(context)
    user = update.effective_user
    assert user is not None
    password = await _take_secret(update, context, "password")
    entry = svc.vault.get(user.id)
    if entry is None or (entry.chosen is None and entry.protected_pfx is None):
        del password
        return await _key_lost(update, context)
    touch_flow(context, FLOW)
    protected = entry.protected_pfx if entry.chosen is None else None
    lock_id = _file_id(protected) if protected else entry.chosen.info.fingerprint_sha256
    if await _locked_until(update, context, lock_id):
        del password
        return end_flow(update, context)
    try:
        # The key derivation is CPU work chosen by the file: keep the event loop free.
        if protected is not None:
            bundle, unlocked = await asyncio.to_thread(core.open_protected_pfx, protected, password)
        else:
            bundle = entry.chosen
            unlocked = await asyncio.to_thread(core.unlock, bundle, password)
    except core.WrongPassword:
        del password
        return await _failure(update, context, lock_id, "register.wrong_password")
    except core.CertificateError as error:
        del password
        await _error(update, context, error)
        svc.vault.drop(user.id)
        svc.vault.open(user.id)
        await say(update, context, await tr(update, context, "register.ask_files"))
        return ASK_FILES
    del password
    fingerprint = bundle.info.fingerprint_sha256
    await svc.store.clear_wrong_attempts(user.id, lock_id)
    if protected is not None:
        # Only now is the certificate known: the same checks as for a readable upload.
        entry.chosen, entry.protected_pfx = bundle, None
        lang = await language(update, context)
        refusal = _refusal(svc, lang, bundle.info)
        if refusal is not None:
            note(update, context, summary(svc.catalog, lang, bundle.info, now_utc()), protect=True)
            await say(update, context, Html(refusal))
            return end_flow(update, context)
        if await _locked_until(update, context, fingerprint):
            return end_flow(update, context)
    entry.unlocked = True
    if svc.settings.require_identity_check:
        entry.random_num = unlocked.random_num
        del unlocked
        await say(update, context, await tr(update, context, "register.ask_identity"))
        return ASK_IDENTITY
    del unlocked
    return await _confirm(update, context, entry)


_NON_DIGITS = re.compile(r"[\s-]")


@step
async def receive_identity(update: Update, context: Context) -> int | None:
    """Delete the identity-number message at once, then check the certificate's VID."""
    svc = services(context)
    user = update.effective_user
    assert user is not None
    number = _NON_DIGITS.sub("", await _take_secret(update, context, "identity"))
    entry = svc.vault.get(user.id)
    if entry is None or entry.chosen is None or not entry.unlocked:
        del number
        return await _key_lost(update, context)
    touch_flow(context, FLOW)
    if not number.isdigit() or len(number) not in (10, 13):
        del number
        await say(update, context, await tr(update, context, "register.identity_format"))
        return None
    try:
        matches = core.verify_identity(entry.chosen.cert_der, entry.random_num, number)
    except core.IdentityCheckUnavailable:
        del number
        await say(update, context, await tr(update, context, "register.identity_unavailable"))
        return end_flow(update, context)
    except core.CertificateError:
        del number
        await say(update, context, await tr(update, context, "register.identity_format"))
        return None
    del number
    if not matches:
        return await _failure(
            update, context, entry.chosen.info.fingerprint_sha256, "register.identity_failed"
        )
    entry.identity_verified = True
    entry.random_num = None
    return await _confirm(update, context, entry)


async def _confirm(update: Update, context: Context, entry: VaultEntry) -> int:
    svc = services(context)
    lang = await language(update, context)
    assert entry.chosen is not None
    info = entry.chosen.info
    cat = svc.catalog
    text = summary(cat, lang, info, now_utc())
    await say(
        update,
        context,
        cat.text(lang, "register.confirm", summary=Html(text)),
        yes_no(
            cat.text(lang, "register.btn_register"),
            cat.text(lang, "register.btn_cancel"),
            cb.RegisterConfirm(),
            cb.RegisterCancel(),
        ),
        protect=True,
    )
    return CONFIRM


@step
async def confirm(update: Update, context: Context) -> int | None:
    """[등록]: store the public certificate and its metadata, audited, then show the list."""
    svc = services(context)
    user = update.effective_user
    assert user is not None
    await drop_markup(update)
    entry = svc.vault.get(user.id)
    if entry is None or entry.chosen is None or not entry.unlocked:
        await answer_query(update)
        return await _key_lost(update, context)
    if svc.settings.require_identity_check and not entry.identity_verified:
        await answer_query(update)
        return await _key_lost(update, context)
    await answer_query(update)
    bundle = entry.chosen
    info = bundle.info
    lang = await language(update, context)
    if info.expired or info.not_after <= now_utc():
        await say(
            update,
            context,
            svc.catalog.text(lang, "register.expired", date=format_date(info.not_after, lang)),
        )
        return end_flow(update, context)
    record = NewCertificate.of(info, key_format=bundle.key_format, cert_der=bundle.cert_der)
    end_flow(update, context)  # the key material is no longer needed, whatever happens next
    try:
        await svc.store.register_certificate(
            user.id, record, max_active=svc.settings.max_active_certificates
        )
    except AlreadyActiveForUser:
        await say(update, context, svc.catalog.text(lang, "register.already_registered"))
        return END
    except AlreadyActiveElsewhere:
        await say(
            update,
            context,
            svc.catalog.text(lang, "register.active_elsewhere", phone=svc.settings.customer_center),
        )
        return END
    except LimitReached:
        active = await svc.store.active_certificates_of(user.id)
        await say(
            update,
            context,
            svc.catalog.text(
                lang,
                "register.limit_reached",
                count=len(active),
                limit=svc.settings.max_active_certificates,
            ),
        )
        return END
    active = await svc.store.active_certificates_of(user.id)
    await say(
        update,
        context,
        svc.catalog.text(
            lang, "register.done", list=Html(list_lines(svc.catalog, lang, active, now_utc()))
        ),
        protect=True,
    )
    return END


@step
async def cancel_button(update: Update, context: Context) -> int:
    """[취소] on the confirmation: drop everything."""
    await answer_query(update)
    await drop_markup(update)
    await say(update, context, await tr(update, context, "register.cancelled"))
    return end_flow(update, context)


@step
async def stray(update: Update, context: Context) -> int | None:
    """A photo, sticker or anything not a document while files are expected."""
    await say(update, context, await tr(update, context, "register.stray_input"))
    return None


@step
async def not_text_password(update: Update, context: Context) -> int | None:
    """Something other than text at the password or identity prompt."""
    await say(update, context, await tr(update, context, "register.not_text_password"))
    return None


def entry_points() -> list[object]:
    return flow_entry_points("register", start)


def states() -> dict[object, list[object]]:
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
