"""Release (인증서 해제): choose a certificate → reason → confirm → released, audited.

The diagram is `release.mmd` beside this module. The command is /revoke (what the menus and
help show; /release works too); the store, the audit and the English UI call it release.
Callback data carries only a certificate id; ownership and state are checked in the store.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.flows import callbacks as cb
from bot.flows import faq
from bot.flows.common import (
    Context,
    Handler,
    answer_query,
    answer_stale,
    delete_user_message,
    drop_markup,
    end_flow,
    flow_data,
    keyboard,
    language,
    say,
    step,
    touch_flow,
    tr,
    yes_no,
)
from bot.flows.common import entry_points as flow_entry_points
from bot.flows.render import display_name, issuer_name, short_label, summary
from bot.flows.secrets import looks_like_secret
from bot.store import CertificateNotFound, NotActive, RegisteredCertificate
from bot.store.repository import scrub_free_text
from bot.texts import Html

log = logging.getLogger(__name__)

# The numbers are persisted by PTB (a restart resumes the step): never renumber them.
CHOOSE, REASON, OTHER_REASON, CONFIRM = range(20, 24)
END = ConversationHandler.END
FLOW = "release"
# The flow's data (in the flow marker, dropped with it): certificate_id, reason, note.
_REASON_KEYS: dict[cb.ReleaseReasonCode, str] = {
    "lost": "revoke.reason_lost",
    "reissued": "revoke.reason_reissued",
    "unused": "revoke.reason_unused",
    "other": "revoke.reason_other",
    "skip": "revoke.reason_skip",
}


@step
async def start(update: Update, context: Context) -> int:
    """List the active certificates as buttons (none: offer to register)."""
    await answer_query(update)
    user = update.effective_user
    if user is None:
        return END
    end_flow(update, context)  # leaving another flow drops its secrets
    active = await context.store.active_certificates_of(user.id)
    lang = await language(update, context)
    cat = context.catalog
    if not active:
        button = (cat.text(lang, "revoke.btn_register"), cb.Action("register").pack())
        await say(update, context, cat.text(lang, "revoke.none"), keyboard([[button]]))
        return END
    touch_flow(context, FLOW)
    rows = [
        [(short_label(cat, lang, "revoke.choice_label", c), cb.ReleasePick(c.id).pack())]
        for c in active
    ]
    await say(update, context, cat.text(lang, "revoke.choose"), keyboard(rows))
    return CHOOSE


@step
@cb.receives(cb.ReleasePick, answer_stale)
async def pick(update: Update, context: Context, data: cb.ReleasePick) -> int | None:
    """A certificate was chosen: check it is the user's and active, then ask the reason."""
    cert = await _owned_active(update, context, data.certificate_id)
    if cert is None:
        return None
    await answer_query(update)
    await drop_markup(update)
    touch_flow(context, FLOW)
    chosen = flow_data(context)
    assert chosen is not None
    chosen.update(certificate_id=cert.id, reason=None, note=None)
    lang = await language(update, context)
    cat = context.catalog

    def button(code: cb.ReleaseReasonCode) -> tuple[str, str]:
        return cat.text(lang, _REASON_KEYS[code]), cb.ReleaseReason(code).pack()

    rows = [[button("lost"), button("reissued")], [button("unused"), button("other")]]
    rows.append([button("skip")])
    await say(update, context, cat.text(lang, "revoke.ask_reason"), keyboard(rows))
    return REASON


@step
@cb.receives(cb.ReleaseReason, answer_stale)
async def reason(update: Update, context: Context, button: cb.ReleaseReason) -> int | None:
    """A reason button: 기타 asks for free text, the others go to the confirmation."""
    chosen = _chosen(context)
    if chosen is None:
        await answer_stale(update, context)
        return None
    await answer_query(update)
    await drop_markup(update)
    touch_flow(context, FLOW)
    if button.reason == "other":
        chosen["reason"] = "other"
        await say(update, context, await tr(update, context, "revoke.ask_other_reason"))
        return OTHER_REASON
    chosen["reason"] = None if button.reason == "skip" else button.reason
    return await _ask_confirm(update, context, chosen)


@step
async def other_reason(update: Update, context: Context) -> int | None:
    """The free-text reason (digit runs masked, length capped); one that looks like a password
    or an identity number is deleted from the chat, never kept, and asked for again."""
    message = update.effective_message
    chosen = _chosen(context)
    if message is None or chosen is None:
        return end_flow(update, context)
    touch_flow(context, FLOW)
    text = message.text or ""
    if looks_like_secret(text) or any(looks_like_secret(word) for word in text.split()):
        deleted = await delete_user_message(update)
        key = "revoke.reason_secret_deleted" if deleted else "revoke.reason_secret_not_deleted"
        await say(update, context, await tr(update, context, key))
        return None
    chosen["note"] = scrub_free_text(text, limit=200)
    return await _ask_confirm(update, context, chosen)


@step
async def confirm(update: Update, context: Context) -> int | None:
    """[해제]: release in the store (ownership and state re-checked), audited."""
    user = update.effective_user
    assert user is not None
    chosen = _chosen(context)
    await drop_markup(update)
    if chosen is None:
        await answer_stale(update, context)
        return end_flow(update, context)
    await answer_query(update)
    lang = await language(update, context)
    cat = context.catalog
    try:
        cert = await context.store.release(
            user.id, chosen["certificate_id"], reason=chosen.get("reason"), note=chosen.get("note")
        )
    except CertificateNotFound:
        await say(update, context, cat.text(lang, "revoke.not_found"))
        return end_flow(update, context)
    except NotActive:
        await say(update, context, cat.text(lang, "revoke.already_released"))
        return end_flow(update, context)
    text = cat.text(
        lang,
        "revoke.done",
        owner=display_name(cert.owner_name),
        issuer=issuer_name(cat, lang, cert.ca),
    )
    again = (cat.text(lang, "revoke.btn_register_again"), cb.Action("register").pack())
    await say(update, context, text, keyboard([[again]]))
    return end_flow(update, context)


@step
async def cancel_button(update: Update, context: Context) -> int:
    """[취소]: nothing changes."""
    await answer_query(update)
    await drop_markup(update)
    await say(update, context, await tr(update, context, "revoke.cancelled"))
    return end_flow(update, context)


def _chosen(context: Context) -> dict[str, Any] | None:
    """The flow's choice so far, if a certificate was picked in this flow."""
    data = flow_data(context)
    if data is None or not isinstance(data.get("certificate_id"), int):
        return None
    return data


async def _owned_active(
    update: Update, context: Context, certificate_id: int
) -> RegisteredCertificate | None:
    """The user's active certificate, or None after telling them why not (and auditing forgeries)."""
    store = context.store
    user = update.effective_user
    assert user is not None
    try:
        cert = await store.certificate_of(user.id, certificate_id)
    except CertificateNotFound:
        if await store.certificate_exists(certificate_id):
            await store.audit(user.id, "forged_callback", certificate_id, {"flow": FLOW})
        await answer_query(update, await tr(update, context, "revoke.not_found"), alert=True)
        return None
    if cert.status != "active":
        await answer_query(update, await tr(update, context, "revoke.already_released"), alert=True)
        return None
    return cert


async def _ask_confirm(update: Update, context: Context, chosen: dict[str, Any]) -> int | None:
    user = update.effective_user
    assert user is not None
    try:
        cert = await context.store.certificate_of(user.id, chosen["certificate_id"])
    except CertificateNotFound:
        await say(update, context, await tr(update, context, "revoke.not_found"))
        return end_flow(update, context)
    lang = await language(update, context)
    cat = context.catalog
    text = summary(cat, lang, cert, context.clock.now())
    buttons = yes_no(
        cat.text(lang, "revoke.btn_confirm"),
        cat.text(lang, "revoke.btn_cancel"),
        cb.ReleaseConfirm(),
        cb.ReleaseCancel(),
    )
    await say(
        update, context, cat.text(lang, "revoke.confirm", summary=Html(text)), buttons, protect=True
    )
    return CONFIRM


def entry_points() -> list[Handler]:
    # The menu and action buttons say "revoke" on the wire (buttons already sent keep working).
    return flow_entry_points("revoke", start, "release")


def states() -> dict[object, list[Handler]]:
    text = filters.TEXT & ~filters.COMMAND
    question = faq.mid_flow_question(FLOW)
    return {
        CHOOSE: [
            CallbackQueryHandler(pick, pattern=cb.ReleasePick.pattern()),
            MessageHandler(text, question),
        ],
        REASON: [
            CallbackQueryHandler(reason, pattern=cb.ReleaseReason.pattern()),
            MessageHandler(text, question),
        ],
        OTHER_REASON: [MessageHandler(text, other_reason)],
        CONFIRM: [
            CallbackQueryHandler(confirm, pattern=cb.ReleaseConfirm.pattern()),
            CallbackQueryHandler(cancel_button, pattern=cb.ReleaseCancel.pattern()),
            MessageHandler(text, question),
        ],
    }
