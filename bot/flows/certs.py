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
)
from bot.flows.render import history_lines, list_lines
from bot.texts import Html


async def show_certificates(update: Update, context: Context) -> None:
    """List active certificates (issuer, type, expiry, D-day) and recently released ones."""
    await answer_query(update)
    svc = services(context)
    lang = await language(update, context)
    user = update.effective_user
    if user is None:
        return
    active = await svc.store.active_certificates_of(user.id)
    history = await svc.store.history_of(user.id)
    cat = svc.catalog
    if not active and not history:
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
    if history:
        parts.append(
            cat.text(lang, "certs.history_header") + "\n" + history_lines(cat, lang, history)
        )
    buttons = [(cat.text(lang, "certs.btn_register"), cb.Action("register").pack())]
    if active:
        buttons = [(cat.text(lang, "certs.btn_revoke"), cb.Action("revoke").pack())]
    await say(update, context, Html("\n\n".join(parts)), keyboard([buttons]), protect=True)


def handlers() -> list[Handler]:
    return [
        CommandHandler("certs", show_certificates),
        CallbackQueryHandler(show_certificates, pattern=cb.Menu.pattern(target="certs")),
        CallbackQueryHandler(show_certificates, pattern=cb.Action.pattern(target="certs")),
    ]
