"""Chat mode: the local Bot API emulator and the real bot in one process, a terminal in front.

The bot polls the emulator over loopback HTTP exactly as it would poll Telegram.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from bot.app import create_application, shutdown, startup
from bot.certs.testgen import fake_ca_bundle_path
from bot.config import Settings
from bot.emulator import BotApiEmulator, run_terminal
from bot.emulator.ptb import connect
from bot.logs import configure_logging


async def run_chat(
    base: Settings,
    *,
    database: Path | None = None,
    user_id: int = 1001,
    first_name: str = "고객",
    language_code: str | None = "ko",
) -> int:
    """Start emulator + bot, hand the terminal to the user, shut down cleanly at the end."""
    # Library warnings would interleave with the transcript: keep stderr for real problems.
    configure_logging("ERROR", logging.StreamHandler(sys.stderr))
    async with BotApiEmulator() as emulator:
        settings = base.model_copy(
            update={
                "bot_token": emulator.token,
                "telegram_api_url": emulator.base_url,
                "database_path": database or Path(":memory:"),
                "webhook_url": "",
                # make-test-cert issues from the TEST CA: chat mode trusts its bundle.
                "trusted_ca_file": base.trusted_ca_file or fake_ca_bundle_path(),
            }
        )
        app = await create_application(settings)
        connect(emulator, app)  # settle() waits for the bot's "update done", not a pause
        await startup(app)
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=10)
        try:
            user = emulator.user(user_id, first_name=first_name, language_code=language_code)
            return await run_terminal(emulator, user)
        finally:
            await shutdown(app)
