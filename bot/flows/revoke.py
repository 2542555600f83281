"""Revoke (인증서 해제): choose a certificate → reason → confirm → released, audited.

```
start ─ none active? ──> explain, offer [인증서 등록] ──> END
  v
CHOOSE [certificate buttons] ─> REASON [분실][재발급·갱신][더 이상 사용 안 함][기타][건너뛰기]
  │                                 └─ 기타 ─> OTHER_REASON (free text)
  v
CONFIRM [해제] [취소] ──> released, audited, [다시 등록하기] ──> END
```
Callback data carries only a certificate id; ownership and state are checked in the store.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.flows import callbacks as cb
from bot.flows import faq
from bot.flows.common import (
    Context,
    answer_query,
    answer_stale,
    drop_markup,
    end_flow,
    keyboard,
    language,
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
from bot.flows.render import issuer_name, short_label, summary
from bot.store import CertificateNotFound, NotActive
from bot.store.repository import scrub_free_text
from bot.texts import Html

log = logging.getLogger(__name__)

CHOOSE, REASON, OTHER_REASON, CONFIRM = range(20, 24)
END = ConversationHandler.END
FLOW = "revoke"
REASONS = ("lost", "reissued", "unused", "other")
DATA_KEY = "revoke"  # user_data: {"certificate_id": int, "reason": str | None, "note": str | None}


@step
async def start(update: Update, context: Context) -> int:
    """List the active certificates as buttons (none: offer to register)."""
    await answer_query(update)
    svc = services(context)
    user = update.effective_user
    if user is None:
        return END
    end_flow(update, context)  # leaving another flow drops its secrets
    active = await svc.store.active_certificates_of(user.id)
    lang = await language(update, context)
    cat = svc.catalog
    if not active:
        await say(
            update,
            context,
            cat.text(lang, "revoke.none"),
            keyboard([[(cat.text(lang, "revoke.btn_register"), cb.Action("register").pack())]]),
        )
        return END
    touch_flow(context, FLOW)
    rows = [
        [(short_label(cat, lang, "revoke.choice_label", cert), cb.ReleasePick(cert.id).pack())]
        for cert in active
    ]
    await say(update, context, cat.text(lang, "revoke.choose"), keyboard(rows))
    return CHOOSE


async def _owned_active(update: Update, context: Context, certificate_id: int) -> object | None:
    """The user's active certificate, or None after telling them why not (and auditing forgeries)."""
    svc = services(context)
    user = update.effective_user
    assert user is not None
    try:
        cert = await svc.store.certificate_of(user.id, certificate_id)
    except CertificateNotFound:
        if await svc.store.certificate_exists(certificate_id):
            await svc.store.audit(user.id, "forged_callback", certificate_id, {"flow": FLOW})
        await answer_query(update, await tr(update, context, "revoke.not_found"), alert=True)
        return None
    if cert.status != "active":
        await answer_query(update, await tr(update, context, "revoke.already_released"), alert=True)
        return None
    return cert


@step
@cb.receives(cb.ReleasePick, answer_stale)
async def pick(update: Update, context: Context, data: cb.ReleasePick) -> int | None:
    """A certificate was chosen: check it is the user's and active, then ask the reason."""
    certificate_id = data.certificate_id
    cert = await _owned_active(update, context, certificate_id)
    if cert is None:
        return None
    await answer_query(update)
    await drop_markup(update)
    touch_flow(context, FLOW)
    assert context.user_data is not None
    context.user_data[DATA_KEY] = {"certificate_id": certificate_id, "reason": None, "note": None}
    lang = await language(update, context)
    cat = services(context).catalog
    await say(
        update,
        context,
        cat.text(lang, "revoke.ask_reason"),
        keyboard(
            [
                [
                    (cat.text(lang, "revoke.reason_lost"), cb.ReleaseReason("lost").pack()),
                    (
                        cat.text(lang, "revoke.reason_reissued"),
                        cb.ReleaseReason("reissued").pack(),
                    ),
                ],
                [
                    (cat.text(lang, "revoke.reason_unused"), cb.ReleaseReason("unused").pack()),
                    (cat.text(lang, "revoke.reason_other"), cb.ReleaseReason("other").pack()),
                ],
                [(cat.text(lang, "revoke.reason_skip"), cb.ReleaseReason("skip").pack())],
            ]
        ),
    )
    return REASON


@step
@cb.receives(cb.ReleaseReason, answer_stale)
async def reason(update: Update, context: Context, button: cb.ReleaseReason) -> int | None:
    """A reason button: 기타 asks for free text, the others go to the confirmation."""
    data = (context.user_data or {}).get(DATA_KEY)
    chosen = button.reason
    if not isinstance(data, dict):
        await answer_query(update, await tr(update, context, "common.stale_button"))
        return None
    await answer_query(update)
    await drop_markup(update)
    touch_flow(context, FLOW)
    if chosen == "other":
        data["reason"] = "other"
        await say(update, context, await tr(update, context, "revoke.ask_other_reason"))
        return OTHER_REASON
    data["reason"] = None if chosen == "skip" else chosen
    return await _confirm(update, context, data)


@step
async def other_reason(update: Update, context: Context) -> int | None:
    """The free-text reason (digit runs masked, length capped)."""
    message = update.effective_message
    data = (context.user_data or {}).get(DATA_KEY)
    if message is None or not isinstance(data, dict):
        return end_flow(update, context)
    touch_flow(context, FLOW)
    data["note"] = scrub_free_text(message.text or "", limit=200)
    return await _confirm(update, context, data)


async def _confirm(update: Update, context: Context, data: dict[str, object]) -> int | None:
    svc = services(context)
    user = update.effective_user
    assert user is not None
    certificate_id = data.get("certificate_id")
    if not isinstance(certificate_id, int):
        return end_flow(update, context)
    try:
        cert = await svc.store.certificate_of(user.id, certificate_id)
    except CertificateNotFound:
        await say(update, context, await tr(update, context, "revoke.not_found"))
        return end_flow(update, context)
    lang = await language(update, context)
    cat = svc.catalog
    await say(
        update,
        context,
        cat.text(lang, "revoke.confirm", summary=Html(summary(cat, lang, cert, now_utc()))),
        yes_no(
            cat.text(lang, "revoke.btn_confirm"),
            cat.text(lang, "revoke.btn_cancel"),
            cb.ReleaseConfirm(),
            cb.ReleaseCancel(),
        ),
        protect=True,
    )
    return CONFIRM


@step
async def confirm(update: Update, context: Context) -> int | None:
    """[해제]: release in the store (ownership and state re-checked), audited."""
    svc = services(context)
    user = update.effective_user
    assert user is not None
    data = (context.user_data or {}).get(DATA_KEY)
    await drop_markup(update)
    if not isinstance(data, dict) or not isinstance(data.get("certificate_id"), int):
        await answer_query(update, await tr(update, context, "common.stale_button"))
        return end_flow(update, context)
    await answer_query(update)
    lang = await language(update, context)
    cat = svc.catalog
    try:
        cert = await svc.store.release(
            user.id, int(data["certificate_id"]), reason=data.get("reason"), note=data.get("note")
        )
    except CertificateNotFound:
        await say(update, context, cat.text(lang, "revoke.not_found"))
        return _finish(update, context)
    except NotActive:
        await say(update, context, cat.text(lang, "revoke.already_released"))
        return _finish(update, context)
    await say(
        update,
        context,
        cat.text(
            lang,
            "revoke.done",
            owner=cert.owner_name,
            issuer=issuer_name(cat, lang, cert.ca),
        ),
        keyboard([[(cat.text(lang, "revoke.btn_register_again"), cb.Action("register").pack())]]),
    )
    return _finish(update, context)


def _finish(update: Update, context: Context) -> int:
    if context.user_data is not None:
        context.user_data.pop(DATA_KEY, None)
    return end_flow(update, context)


@step
async def cancel_button(update: Update, context: Context) -> int:
    """[취소]: nothing changes."""
    await answer_query(update)
    await drop_markup(update)
    await say(update, context, await tr(update, context, "revoke.cancelled"))
    return _finish(update, context)


def entry_points() -> list[object]:
    return flow_entry_points("revoke", start)


def states() -> dict[object, list[object]]:
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
