"""One persistent ConversationHandler for the register and revoke flows.

They share one handler so that starting one flow inside the other (a menu button, /revoke while
registering) cleanly replaces it: with `allow_reentry`, any entry point restarts from there.
"""

from __future__ import annotations

import warnings

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, TypeHandler

from bot.config import Settings
from bot.flows import menu, register, revoke
from bot.flows.common import Context, end_flow, say, tr

NAME = "flows"


async def cancel(update: Update, context: Context) -> int:
    """/cancel inside a flow: drop every secret and say so."""
    await say(update, context, await tr(update, context, "common.cancelled"))
    if context.user_data is not None:
        context.user_data.pop(revoke.DATA_KEY, None)
    return end_flow(update, context)


async def timed_out(update: Update, context: Context) -> None:
    """PTB's conversation timeout: drop every secret and tell the user."""
    await say(update, context, await tr(update, context, "common.timeout"))
    if context.user_data is not None:
        context.user_data.pop(revoke.DATA_KEY, None)
    end_flow(update, context)


def build(settings: Settings) -> ConversationHandler[Context]:
    states: dict[object, list[BaseHandler]] = {}  # type: ignore[type-arg]
    states.update(register.states())  # type: ignore[arg-type]
    states.update(revoke.states())  # type: ignore[arg-type]
    states[ConversationHandler.TIMEOUT] = [TypeHandler(Update, timed_out)]
    with warnings.catch_warnings():
        # per_message=False with button steps is intended: the flow is per chat and user (#1781).
        warnings.filterwarnings("ignore", message=".*per_message.*")
        return _handler(settings, states)


def _handler(
    settings: Settings, states: dict[object, list[BaseHandler]]
) -> ConversationHandler[Context]:  # type: ignore[type-arg]
    return ConversationHandler(
        entry_points=[*register.entry_points(), *revoke.entry_points()],  # type: ignore[list-item]
        states=states,  # type: ignore[arg-type]
        fallbacks=[CommandHandler("cancel", cancel), CommandHandler("start", menu.start)],
        allow_reentry=True,
        name=NAME,
        persistent=True,
        conversation_timeout=settings.conversation_timeout_seconds,
    )
