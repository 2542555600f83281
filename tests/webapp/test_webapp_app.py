"""The Mini App runs with the bot: `run_bot` serves it when WEBAPP_URL is set; the emulator
carries web_app buttons; `kcert-bot chat` prints the page's URL with initData for its user."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from telegram.error import BadRequest

from bot.app import run_bot
from bot.emulator import BotApiEmulator
from bot.emulator.terminal import render_message
from bot.webapp import validate_init_data, webapp_button
from bot.webapp.links import BUTTON_TEXT_KEY
from bot.webapp.server import content_security_policy
from tests.conftest import FAQ_CACHE, BotHarness, make_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_run_bot_serves_the_page_with_its_csp_and_stops_it(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    port = free_port()
    settings = make_settings(
        emulator,
        tmp_path / "run.sqlite3",
        webapp_url=f"http://127.0.0.1:{port}",
        webapp_port=port,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(run_bot(settings, stop))
    try:
        # The web server starts before polling: the first getUpdates means it listens.
        for _ in range(600):
            if any(method == "getUpdates" for method, _ in emulator.calls) or task.done():
                break
            await asyncio.sleep(0.05)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/") as response,
        ):
            assert response.status == 200
            assert response.headers["Content-Security-Policy"] == content_security_policy()
            assert "static/app.js" in await response.text()
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(f"http://127.0.0.1:{port}/")


async def test_no_webapp_url_no_server(bot: BotHarness) -> None:
    assert bot.app is not None and bot.app.webapp is None


async def test_the_emulator_carries_and_renders_web_app_buttons(
    bot_factory: object, emulator: BotApiEmulator
) -> None:
    port = free_port()
    harness: BotHarness = await bot_factory(  # type: ignore[operator]
        webapp_url=f"http://127.0.0.1:{port}", webapp_port=port
    )
    app = harness.app
    assert app is not None
    user = harness.user(7101)
    settings, catalog = harness.settings, harness.services.catalog
    button = webapp_button(settings, catalog, "ko")
    assert button is not None
    await app.bot.send_message(7101, "열기", reply_markup=InlineKeyboardMarkup([[button]]))
    label = catalog.text("ko", BUTTON_TEXT_KEY)
    assert user.last.flat_buttons[0].web_app_url == f"http://127.0.0.1:{port}/"
    with pytest.raises(LookupError, match="not a callback button"):
        await user.press(label)
    # Opened as Telegram opens it: the page URL with initData the server accepts for the user.
    opened = user.open_web_app(label)
    fragment = parse_qs(urlsplit(opened).fragment)
    checked = validate_init_data(fragment["tgWebAppData"][0], settings.bot_token)
    assert checked.id == 7101
    lines = render_message(user.last, numbered=True, open_web_app=lambda url: url + "#signed")
    assert lines[-1] == f"   🌐 {label}: http://127.0.0.1:{port}/#signed"
    # Telegram takes HTTPS pages only (the emulator also takes this machine's, for make chat).
    plain = InlineKeyboardButton(label, web_app=WebAppInfo(url="http://example.com/"))
    with pytest.raises(BadRequest, match=r"(?i)only https links are allowed"):
        await app.bot.send_message(7101, "x", reply_markup=InlineKeyboardMarkup([[plain]]))


async def test_chat_prints_a_page_url_with_valid_init_data(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    env.update(FAQ_CACHE_DIR=str(FAQ_CACHE), LOG_LEVEL="ERROR")
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "chat",
        "--user-id",
        "4242",
        env=env,
        cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None and child.stdin is not None
    try:
        line = ""
        while "Mini App" not in line:
            raw = await asyncio.wait_for(child.stdout.readline(), 120)
            assert raw, "chat ended without printing the Mini App URL"
            line = raw.decode()
        url = line.split(": ", 1)[1].strip()
        base, _, fragment = url.partition("#")
        init_data = parse_qs(fragment)["tgWebAppData"][0]
        async with aiohttp.ClientSession() as http:
            async with http.get(base) as response:
                assert response.status == 200
                assert "Content-Security-Policy" in response.headers
            async with http.post(
                base.rstrip("/") + "/api/challenge", json={"initData": init_data}
            ) as response:
                body = await response.json()
        assert body["ok"] is True, body  # initData signed for the chat user, valid on its server
        assert json.loads(parse_qs(init_data)["user"][0])["id"] == 4242
    finally:
        child.stdin.write(b"/quit\n")
        await child.stdin.drain()
        await asyncio.wait_for(child.wait(), 60)
    assert child.returncode == 0
