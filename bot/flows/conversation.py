"""One persistent ConversationHandler for the register and release flows.

They share one handler so that starting one flow inside the other (a menu button, /revoke while
registering) cleanly replaces it: with `allow_reentry`, any entry point restarts from there.
Each flow's data lives in its flow marker and its registration session, so `end_flow` is all
the cleanup cancel and timeout need.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, TypeHandler

from bot.config import Settings
from bot.flows import callbacks as cb
from bot.flows import menu, register, release
from bot.flows.common import (
    Context,
    Handler,
    answer_query,
    answer_stale,
    drop_markup,
    end_flow,
    flow_text,
    say,
    tr,
    yes_no,
)
from bot.vault import AwaitingFiles

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


def registration_in_progress(context: Context, user_id: int) -> bool:
    """True when starting over would throw something away: files, a checked certificate."""
    phase = context.sessions.phase(user_id)
    if phase is None:
        return False
    if isinstance(phase, AwaitingFiles):
        return bool(phase.files or phase.bundles)
    return True


Callback = Callable[[Update, Context], Coroutine[Any, Any, object]]


def ask_first(target: cb.FlowTarget, callback: Callback) -> Callback:
    """Wrap an entry point (/start, /register, /revoke, a menu or action button): while a
    registration is in progress, ask [새로 시작] [계속하기] instead of dropping it silently."""

    @wraps(callback)
    async def guarded(update: Update, context: Context) -> object:
        user = update.effective_user
        if user is None or not registration_in_progress(context, user.id):
            return await callback(update, context)
        await answer_query(update)
        buttons = yes_no(
            await tr(update, context, "menu.btn_restart"),
            await tr(update, context, "menu.btn_continue"),
            cb.FlowRestart(target),
            cb.FlowContinue(),
        )
        await say(update, context, await tr(update, context, "menu.restart_ask"), buttons)
        return None  # the conversation stays at its step

    return guarded


@cb.receives(cb.FlowRestart, answer_stale)
async def restart(update: Update, context: Context, data: cb.FlowRestart) -> object:
    """[새로 시작]: drop the registration in progress, then do what was asked."""
    await drop_markup(update)
    end_flow(update, context)
    targets: dict[cb.FlowTarget, Callback] = {
        "start": menu.start,
        "register": register.start,
        "revoke": release.start,
    }
    return await targets[data.target](update, context)


async def keep_going(update: Update, context: Context) -> None:
    """[계속하기]: nothing changes."""
    await answer_query(update)
    await drop_markup(update)
    await say(update, context, await tr(update, context, "menu.restart_continue"))


def _guard(handlers: list[Handler], target: cb.FlowTarget) -> list[Handler]:
    for handler in handlers:
        handler.callback = ask_first(target, handler.callback)
    return handlers


def build(settings: Settings) -> ConversationHandler[Context]:
    states: dict[object, list[Handler]] = {**register.states(), **release.states()}
    states[ConversationHandler.TIMEOUT] = [TypeHandler(Update, timed_out)]
    fallbacks: list[Handler] = [
        CommandHandler("cancel", cancel),
        *_guard([CommandHandler("start", menu.start)], "start"),
        CallbackQueryHandler(keep_going, pattern=cb.FlowContinue.pattern()),
    ]
    entry_points: list[Handler] = [
        *_guard(register.entry_points(), "register"),
        *_guard(release.entry_points(), "revoke"),
        CallbackQueryHandler(restart, pattern=cb.FlowRestart.pattern()),
    ]
    with warnings.catch_warnings():
        # per_message=False with button steps is intended: the flow is per chat and user (#1781).
        warnings.filterwarnings("ignore", message=".*per_message.*")
        return ConversationHandler(
            entry_points=entry_points,
            states=states,
            fallbacks=fallbacks,
            allow_reentry=True,
            name=NAME,
            persistent=True,
            conversation_timeout=settings.conversation_timeout_seconds,
        )
