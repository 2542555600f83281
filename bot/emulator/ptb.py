"""Wiring a python-telegram-bot Application to the emulator, as telegram.md prescribes.

Tests, benchmarks and chat mode share these two helpers so they all run the bot the same way:
`builder_for` points PTB at the emulator, `polling` runs an Application for a `with` block.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram.ext import Application, ApplicationBuilder

from .server import BotApiEmulator


def builder_for(emulator: BotApiEmulator) -> ApplicationBuilder:  # type: ignore[type-arg]
    """An ApplicationBuilder whose bot talks to the emulator (token and both base URLs set)."""
    return (
        ApplicationBuilder()
        .token(emulator.token)
        .base_url(f"{emulator.base_url}/bot")
        .base_file_url(f"{emulator.base_url}/file/bot")
    )


@asynccontextmanager
async def polling(
    app: Application[Any, Any, Any, Any, Any, Any], *, timeout: int = 10
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Initialise, start and long-poll `app` for the block; stop it cleanly afterwards."""
    async with app:
        await app.start()
        assert app.updater is not None  # built by ApplicationBuilder unless disabled
        await app.updater.start_polling(poll_interval=0, timeout=timeout)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
