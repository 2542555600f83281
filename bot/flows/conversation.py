"""One persistent ConversationHandler for the register and release flows.

They share one handler so that starting one flow inside the other (a menu button, /revoke while
registering) cleanly replaces it: with `allow_reentry`, any entry point restarts from there.
Each flow's data lives in its flow marker and its registration session, so `end_flow` is all
the cleanup cancel and timeout need.
"""

from __future__ import annotations

import warnings

from telegram import Update
from telegram.ext import CommandHandler, ConversationHandler, TypeHandler

from bot.config import Settings
from bot.flows import menu, register, release
from bot.flows.common import Context, Handler, end_flow, flow_text, say, tr

NAME = "flows"


async def cancel(update: Update, context: Context) -> int:
    """/cancel inside a flow: say what was cancelled (before the marker goes), drop secrets."""
    key = flow_text(context, "cancelled")
    end = end_flow(update, context)  # secrets go before the user hears they are gone
    await say(update, context, await tr(update, context, key))
    return end


async def timed_out(update: Update, context: Context) -> None:
    """PTB's conversation timeout: drop every secret; name the command that starts again."""
    key = flow_text(context, "timeout")
    end_flow(update, context)
    await say(update, context, await tr(update, context, key))


def build(settings: Settings) -> ConversationHandler[Context]:
    states: dict[object, list[Handler]] = {**register.states(), **release.states()}
    states[ConversationHandler.TIMEOUT] = [TypeHandler(Update, timed_out)]
    fallbacks: list[Handler] = [
        CommandHandler("cancel", cancel),
        CommandHandler("start", menu.start),
    ]
    with warnings.catch_warnings():
        # per_message=False with button steps is intended: the flow is per chat and user (#1781).
        warnings.filterwarnings("ignore", message=".*per_message.*")
        return ConversationHandler(
            entry_points=[*register.entry_points(), *release.entry_points()],
            states=states,
            fallbacks=fallbacks,
            allow_reentry=True,
            name=NAME,
            persistent=True,
            conversation_timeout=settings.conversation_timeout_seconds,
        )
