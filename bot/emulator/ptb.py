"""Wiring a python-telegram-bot Application to the emulator, as docs/architecture.md describes.

Tests, benchmarks and chat mode share these two helpers so they all run the bot the same way:
`builder_for` points PTB at the emulator, `polling` runs an Application for a `with` block.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from telegram.ext import Application, ApplicationBuilder

from bot.processor import PerChatUpdateProcessor

from .server import BotApiEmulator


def builder_for(emulator: BotApiEmulator) -> ApplicationBuilder:  # type: ignore[type-arg]
    """An ApplicationBuilder whose bot talks to the emulator (token and both base URLs set).

    Updates run through the production per-chat processor, which `polling` connects to the
    emulator so that `settle()` waits for the bot's own "update done" reports.
    """
    return (
        ApplicationBuilder()
        .token(emulator.token)
        .base_url(f"{emulator.base_url}/bot")
        .base_file_url(f"{emulator.base_url}/file/bot")
        .concurrent_updates(PerChatUpdateProcessor(16))
    )


def connect(
    emulator: BotApiEmulator, app: Application[Any, Any, Any, Any, Any, Any]
) -> Callable[[], None]:
    """Connect `app`'s update processor to `emulator` (a no-op for processors that cannot
    report); returns the disconnect."""
    processor = app.update_processor
    if isinstance(processor, PerChatUpdateProcessor):
        return emulator.connect_processor(processor)
    return lambda: None


@asynccontextmanager
async def polling(
    app: Application[Any, Any, Any, Any, Any, Any],
    *,
    timeout: int = 10,
    emulator: BotApiEmulator | None = None,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Initialise, start and long-poll `app` for the block; stop it cleanly afterwards.

    With `emulator`, the app's processor reports finished updates to it (causal settle()).
    """
    disconnect = connect(emulator, app) if emulator is not None else (lambda: None)
    async with app:
        await app.start()
        assert app.updater is not None  # built by ApplicationBuilder unless disabled
        await app.updater.start_polling(poll_interval=0, timeout=timeout)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
            disconnect()
