"""Operator commands for ADMIN_USER_IDS: /unanswered and /reload_faq.

Anyone else gets a polite refusal; nothing here is listed in the public command menu.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CommandHandler

from bot.flows.common import Context, Handler, language, say, services
from bot.flows.render import chunks, display_name
from faq.kb import KnowledgeBaseError
from faq.training import TrainingError

log = logging.getLogger(__name__)
DAYS = 30
QUERY_LIMIT = 200  # characters of one question in the list (one line, bidi and newlines gone)


async def _is_admin(update: Update, context: Context) -> bool:
    svc = services(context)
    user = update.effective_user
    if user is not None and user.id in svc.settings.admin_user_ids:
        return True
    await say(update, context, svc.catalog.text(await language(update, context), "admin.not_admin"))
    return False


async def unanswered(update: Update, context: Context) -> None:
    """The most frequent questions the FAQ could not answer in the last 30 days."""
    if not await _is_admin(update, context):
        return
    svc = services(context)
    lang = await language(update, context)
    rows = await svc.store.top_unanswered(days=DAYS, limit=20)
    if rows:
        lines = [svc.catalog.text(lang, "admin.unanswered_header", days=DAYS)]
        lines += [
            svc.catalog.text(
                lang, "admin.unanswered_item", count=n, query=display_name(q, QUERY_LIMIT)
            )
            for q, n in rows
        ]
    else:
        lines = [svc.catalog.text(lang, "admin.unanswered_none", days=DAYS)]
    # Answers customers found unhelpful are the other half of what to fix in the FAQ.
    disliked = sorted(
        ((entry, up, down) for entry, up, down in await svc.store.feedback_summary() if down),
        key=lambda row: -row[2],
    )[:10]
    if disliked:
        lines.append("")
        lines.append(svc.catalog.text(lang, "admin.feedback_header"))
        lines += [
            svc.catalog.text(
                lang, "admin.feedback_item", entry=display_name(entry), up=up, down=down
            )
            for entry, up, down in disliked
        ]
    # Twenty long questions are more than one message holds: split at line boundaries.
    for text in chunks(lines):
        await say(update, context, text)


async def reload_faq(update: Update, context: Context) -> None:
    """Hot-reload the FAQ file; a broken file keeps the old knowledge base."""
    if not await _is_admin(update, context):
        return
    svc = services(context)
    lang = await language(update, context)
    try:
        count = await svc.faq.reload()
    except (KnowledgeBaseError, TrainingError) as error:
        log.warning("FAQ reload failed: %s", error)
        await say(
            update, context, svc.catalog.text(lang, "admin.reload_failed", error=str(error)[:500])
        )
        return
    await svc.store.audit(
        update.effective_user.id if update.effective_user else None,
        "faq_reloaded",
        None,
        {"entries": count},
    )
    await say(update, context, svc.catalog.text(lang, "admin.reloaded", entries=count))


def handlers() -> list[Handler]:
    return [CommandHandler("unanswered", unanswered), CommandHandler("reload_faq", reload_faq)]
