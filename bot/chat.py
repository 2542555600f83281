"""Chat mode: the local Bot API emulator and the real bot in one process, a terminal in front.

The bot polls the emulator over loopback HTTP exactly as it would poll Telegram. The Mini App
is served on 127.0.0.1 (a free port); its URL, with initData signed for the chat user, is
printed at the start and in place of each web_app button (open it in a browser).
"""

from __future__ import annotations

import logging
import socket
import sys
from pathlib import Path

from bot.app import create_application, shutdown, startup
from bot.certs.testgen import fake_ca_bundle_path
from bot.config import Settings
from bot.emulator import BotApiEmulator, run_terminal
from bot.emulator.ptb import connect
from bot.logs import configure_logging
from bot.webapp.links import chat_page_url


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the Mini App's, for this chat session)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


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
        port = free_port()
        settings = base.model_copy(
            update={
                "bot_token": emulator.token,
                "telegram_api_url": emulator.base_url,
                "database_path": database or Path(":memory:"),
                "webhook_url": "",
                # make-test-cert issues from the TEST CA: chat mode trusts its bundle.
                "trusted_ca_file": base.trusted_ca_file or fake_ca_bundle_path(),
                # The Mini App on this machine: its buttons print the page's signed URL.
                "webapp_url": f"http://127.0.0.1:{port}",
                "webapp_listen": "127.0.0.1",
                "webapp_port": port,
            }
        )
        app = await create_application(settings)
        connect(emulator, app)  # settle() waits for the bot's "update done", not a pause
        await startup(app)
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=10)
        try:
            user = emulator.user(user_id, first_name=first_name, language_code=language_code)

            def open_page(url: str) -> str:
                return chat_page_url(
                    url,
                    settings.bot_token,
                    user_id,
                    first_name=first_name,
                    language_code=language_code,
                )

            banner = f"🌐 Mini App (브라우저로 열기 / open in a browser): {open_page(settings.webapp_url)}"
            return await run_terminal(emulator, user, open_web_app=open_page, banner=banner)
        finally:
            await shutdown(app)
