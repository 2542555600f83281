"""`/certs` (내 인증서): the user's active certificates with D-day, and a short history.

Rendering lives in `bot.flows.render`; this module is only the handler.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.flows import callbacks as cb
from bot.flows.common import (
    Context,
    Handler,
    answer_query,
    keyboard,
    language,
    say,
    services,
    tr,
)
from bot.flows.render import history_lines, list_lines
from bot.texts import Html

HISTORY_PAGE = 5  # past certificates per message: a phone screen, far below 4,096 characters


async def show_certificates(update: Update, context: Context) -> None:
    """List active certificates (issuer, type, expiry, D-day) and the newest past ones."""
    await answer_query(update)
    svc = services(context)
    lang = await language(update, context)
    user = update.effective_user
    if user is None:
        return
    active = await svc.store.active_certificates_of(user.id)
    total = await svc.store.history_count(user.id)
    cat = svc.catalog
    if not active and not total:
        await say(
            update,
            context,
            cat.text(lang, "certs.none"),
            keyboard([[(cat.text(lang, "certs.btn_register"), cb.Action("register").pack())]]),
        )
        return
    parts = [cat.text(lang, "certs.header")]
    if active:
        lines = list_lines(cat, lang, active, context.clock.now())
        parts.append(cat.text(lang, "certs.active_header") + "\n" + lines)
    else:
        parts.append(cat.text(lang, "certs.none"))
    rows: list[list[tuple[str, str]]] = []
    if total:
        page_text, nav = await _history_page(context, lang, user.id, 0, total)
        parts.append(page_text)
        rows += nav
    buttons = [(cat.text(lang, "certs.btn_register"), cb.Action("register").pack())]
    if active:
        buttons = [(cat.text(lang, "certs.btn_revoke"), cb.Action("revoke").pack())]
    rows.append(buttons)
    await say(update, context, Html("\n\n".join(parts)), keyboard(rows), protect=True)


async def _stale_page(update: Update, context: Context) -> None:
    await answer_query(update, await tr(update, context, "common.stale_button"), alert=True)


@cb.receives(cb.CertsPage, _stale_page)
async def history_page(update: Update, context: Context, data: cb.CertsPage) -> None:
    """[이전 기록 ▶] / [◀ 최근 기록]: another page of the history, as its own message."""
    user = update.effective_user
    if user is None:
        return
    total = await context.store.history_count(user.id)
    pages = max(1, -(-total // HISTORY_PAGE))
    if data.page >= pages:
        await _stale_page(update, context)
        return
    await answer_query(update)
    lang = await language(update, context)
    text, nav = await _history_page(context, lang, user.id, data.page, total)
    await say(update, context, Html(text), keyboard(nav) if nav else None, protect=True)


async def _history_page(
    context: Context, lang: str, user_id: int, page: int, total: int
) -> tuple[str, list[list[tuple[str, str]]]]:
    """One page of past certificates (newest first) and its navigation buttons."""
    cat = context.catalog
    pages = max(1, -(-total // HISTORY_PAGE))
    certs = await context.store.history_of(user_id, HISTORY_PAGE, page * HISTORY_PAGE)
    if pages == 1:
        header = cat.text(lang, "certs.history_header")
    else:
        header = cat.text(lang, "certs.history_page", page=page + 1, pages=pages)
    nav: list[tuple[str, str]] = []
    if page > 0:
        nav.append((cat.text(lang, "certs.btn_newer"), cb.CertsPage(page - 1).pack()))
    if page + 1 < pages:
        nav.append((cat.text(lang, "certs.btn_older"), cb.CertsPage(page + 1).pack()))
    return header + "\n" + history_lines(cat, lang, certs), [nav] if nav else []


def handlers() -> list[Handler]:
    return [
        CommandHandler("certs", show_certificates),
        CallbackQueryHandler(show_certificates, pattern=cb.Menu.pattern(target="certs")),
        CallbackQueryHandler(show_certificates, pattern=cb.Action.pattern(target="certs")),
        CallbackQueryHandler(history_page, pattern=cb.CertsPage.pattern()),
    ]
