"""The main menu, /start, /help, /language and the global /cancel.

Menu buttons for register, revoke and certs are entry points of their own flows; this module
handles the rest and anything pressed or typed that no flow claimed (stale buttons).
"""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeAllPrivateChats, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.flows import callbacks as cb
from bot.flows.common import (
    Context,
    Handler,
    KcertApplication,
    answer_query,
    answer_stale,
    drop_markup,
    end_flow,
    keyboard,
    language,
    say,
    services,
    tr,
)

log = logging.getLogger(__name__)

COMMANDS = ("start", "register", "revoke", "certs", "faq", "language", "help", "cancel")


async def main_menu_markup(update: Update, context: Context) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [
                (await tr(update, context, "menu.btn_register"), cb.Menu("register").pack()),
                (await tr(update, context, "menu.btn_revoke"), cb.Menu("revoke").pack()),
            ],
            [
                (await tr(update, context, "menu.btn_certs"), cb.Menu("certs").pack()),
                (await tr(update, context, "menu.btn_faq"), cb.Menu("faq").pack()),
            ],
            [(await tr(update, context, "menu.btn_language"), cb.Menu("language").pack())],
        ]
    )


async def show_menu(update: Update, context: Context) -> None:
    await say(
        update,
        context,
        await tr(update, context, "menu.prompt"),
        await main_menu_markup(update, context),
    )


async def start(update: Update, context: Context) -> int:
    """Greet the user in their language and show the main menu (ends any flow)."""
    user = update.effective_user
    if user is not None:
        await services(context).store.touch_user(user.id)
    name = user.first_name if user is not None else ""
    # One message: the greeting, then the menu prompt with its buttons.
    await say(
        update,
        context,
        await tr(update, context, "menu.prompt"),
        await main_menu_markup(update, context),
        lead=[await tr(update, context, "menu.greeting", name=name)],
    )
    return end_flow(update, context)


async def help_command(update: Update, context: Context) -> None:
    """List what the bot can do; operators (ADMIN_USER_IDS) also see their commands."""
    text = await tr(update, context, "help.text")
    user = update.effective_user
    if user is not None and user.id in services(context).settings.admin_user_ids:
        text += "\n\n" + await tr(update, context, "help.admin")
    await say(update, context, text)


async def cancel(update: Update, context: Context) -> int:
    """Outside a flow there is nothing to cancel; say so."""
    await say(update, context, await tr(update, context, "common.nothing_to_cancel"))
    return end_flow(update, context)


async def choose_language(update: Update, context: Context) -> None:
    """Offer 한국어 / English."""
    await answer_query(update)
    await say(
        update,
        context,
        await tr(update, context, "language.choose"),
        keyboard(
            [
                [
                    (await tr(update, context, "language.btn_ko"), cb.Language("ko").pack()),
                    (await tr(update, context, "language.btn_en"), cb.Language("en").pack()),
                ]
            ]
        ),
    )


@cb.receives(cb.Language, answer_stale)
async def set_language(update: Update, context: Context, data: cb.Language) -> None:
    """Store the chosen language and confirm in it."""
    user = update.effective_user
    chosen = data.lang
    if user is None:
        await answer_stale(update, context)
        return
    svc = services(context)
    await svc.store.set_language(user.id, chosen)
    svc.languages[user.id] = chosen
    await answer_query(update)
    await drop_markup(update)
    await say(update, context, await tr(update, context, "language.set"))
    await show_menu(update, context)


async def stale_button(update: Update, context: Context) -> None:
    """Any button no handler claimed: from an ended flow, an old message or forged."""
    await answer_query(update, await tr(update, context, "common.stale_button"), alert=False)


def handlers() -> list[Handler]:
    """Menu handlers (group 0, after the flows' conversation handler)."""
    return [
        CommandHandler("start", start, filters=filters.ChatType.PRIVATE),
        CommandHandler("help", help_command),
        CommandHandler("cancel", cancel),
        CommandHandler("language", choose_language),
        CallbackQueryHandler(choose_language, pattern=cb.Menu.pattern(target="language")),
        CallbackQueryHandler(set_language, pattern=cb.Language.pattern()),
    ]


async def register_commands(app: KcertApplication) -> None:
    """Register the command lists for Korean (default) and English clients."""
    catalog = app.services.catalog
    for lang, code in (("ko", None), ("en", "en"), ("ko", "ko")):
        commands = [BotCommand(c, catalog.text(lang, f"commands.{c}")) for c in COMMANDS]
        await app.bot.set_my_commands(commands, language_code=code)
        await app.bot.set_my_commands(
            commands, scope=BotCommandScopeAllPrivateChats(), language_code=code
        )


__all__ = ["handlers", "language", "register_commands", "show_menu", "stale_button", "start"]
