"""Fixtures for the emulator's tests: a started emulator and a tiny PTB bot polling it.

The bot is deliberately minimal (menu, echo, delete, edit on press, file download) so that
these tests exercise the emulator's HTTP surface, not kcert-bot's flows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.emulator import BotApiEmulator, builder_for, polling

MENU = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("인증서 등록", callback_data="menu:register"),
            InlineKeyboardButton("인증서 해제", callback_data="menu:revoke"),
        ],
        [InlineKeyboardButton("자주 묻는 질문", callback_data="menu:faq")],
    ]
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet with the menu keyboard."""
    assert update.message is not None
    await update.message.reply_text(
        "<b>안녕하세요</b> &amp; 환영합니다.\n무엇을 도와드릴까요?",
        parse_mode=ParseMode.HTML,
        reply_markup=MENU,
    )


async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press with a toast and replace the menu by the choice."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer(f"선택: {query.data}")
    await query.edit_message_text(f"<i>{query.data}</i> 를 선택했습니다", parse_mode=ParseMode.HTML)


async def silent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A buggy handler that never answers its callback query."""


async def secret(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete the user's message at once, as the password step does."""
    assert update.message is not None
    await update.message.delete()
    await update.effective_chat.send_message("비밀번호 메시지를 지웠습니다")  # type: ignore[union-attr]


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Repeat the text."""
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(f"echo: {update.message.text}")


async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Download the document, report its size and send it back."""
    assert update.message is not None and update.message.document is not None
    data = await (await update.message.document.get_file()).download_as_bytearray()
    name = update.message.document.file_name
    await update.message.reply_text(f"받음: {name} {len(data)} bytes")
    await update.message.reply_document(bytes(data), filename=f"copy-{name}")


async def stray(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Refuse photos and stickers."""
    assert update.message is not None
    await update.message.reply_text("사진이나 스티커는 받지 않아요")


def build_test_bot(emulator: BotApiEmulator) -> Application[Any, Any, Any, Any, Any, Any]:
    """The minimal bot described in the module docstring."""
    app = builder_for(emulator).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("secret", secret))
    app.add_handler(CallbackQueryHandler(silent, pattern="^silent$"))
    app.add_handler(CallbackQueryHandler(chosen))
    app.add_handler(MessageHandler(filters.Document.ALL, document))
    app.add_handler(MessageHandler(filters.PHOTO | filters.Sticker.ALL, stray))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emu:
        yield emu


@pytest.fixture
async def bot_app(
    emulator: BotApiEmulator,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    async with polling(build_test_bot(emulator), emulator=emulator) as app:
        yield app
