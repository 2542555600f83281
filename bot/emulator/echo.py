"""The smallest possible PTB bot on the emulator: it repeats every text message.

The benchmark runs it beside kcert-bot to show how much of a reply's latency is PTB and HTTP
rather than our handlers.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from .ptb import builder_for
from .server import BotApiEmulator


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the user's own text."""
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


def build_echo_application(
    emulator: BotApiEmulator,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """A built (not started) echo Application bound to the emulator."""
    app = builder_for(emulator).build()
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    return app
