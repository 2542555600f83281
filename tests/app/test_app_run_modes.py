"""`kcert-bot run`: webhook mode with a secret, and graceful SIGTERM in a real process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.app import run_bot
from bot.certs.testgen import fake_ca_bundle_path
from bot.config import SettingsError
from bot.emulator import BotApiEmulator
from tests.conftest import FAQ_CACHE, make_settings
from tests.support import child_env

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "Xq7_vN2pL9-rT4sW8yB1cF6hJ3kM5dG0aZ"


def run_cli(
    tmp_path: Path, timeout: float = 30, **env_values: str
) -> subprocess.CompletedProcess[str]:
    """`python -m bot run` in a real process with only these settings (no .env in cwd)."""
    env = child_env()
    env.update(DATABASE_PATH=str(tmp_path / "cli.sqlite3"), **env_values)
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_webhook_without_a_strong_secret_refuses_to_start(tmp_path: Path) -> None:
    base = {"BOT_TOKEN": "123456:" + "A" * 35, "WEBHOOK_URL": "https://bot.example.com"}
    for secret in ("", "s3cret-token", "a" * 40, "x" * 20 + "!" * 12 + "abcdefghijkl"):
        done = run_cli(tmp_path, **base, WEBHOOK_SECRET=secret)
        assert done.returncode == 2, (secret, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "WEBHOOK_SECRET" in lines[0], done.stderr
        assert "Traceback" not in done.stderr
        assert not secret or secret not in done.stderr
        assert not (tmp_path / "cli.sqlite3").exists()  # nothing started


async def test_run_bot_refuses_a_webhook_without_secret(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    settings = make_settings(
        emulator, tmp_path / "hook.sqlite3", webhook_url="http://127.0.0.1:9", webhook_secret=""
    )
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        await run_bot(settings, asyncio.Event())
    assert not any(method == "setWebhook" for method, _ in emulator.calls)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_with_secret(emulator: BotApiEmulator, tmp_path: Path) -> None:
    port = free_port()
    settings = make_settings(
        emulator,
        tmp_path / "hook.sqlite3",
        webhook_url=f"http://127.0.0.1:{port}",
        webhook_secret=WEBHOOK_SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(run_bot(settings, stop))
    try:
        for _ in range(200):
            if any(method == "setWebhook" for method, _ in emulator.calls):
                break
            await asyncio.sleep(0.02)
        hook = next(params for method, params in emulator.calls if method == "setWebhook")
        assert hook["url"] == f"http://127.0.0.1:{port}/telegram"
        user = emulator.user(6001)
        replies = await user.ask("/start")
        assert "안녕하세요" in replies[0].plain
        assert emulator.webhook_deliveries and emulator.webhook_deliveries[-1][1] == 200
        # A request without the secret is refused by the bot's webhook server.
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"http://127.0.0.1:{port}/telegram", json={"update_id": 1}, headers={}
            )
        assert response.status_code == 403
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def test_sigterm_shuts_down_gracefully_and_flushes(tmp_path: Path) -> None:
    async def scenario() -> tuple[int, str]:
        async with BotApiEmulator() as emulator:
            env = dict(os.environ)
            env.update(
                FAQ_CACHE_DIR=str(FAQ_CACHE),
                BOT_TOKEN=emulator.token,
                TELEGRAM_API_URL=emulator.base_url,
                DATABASE_PATH=str(tmp_path / "run.sqlite3"),
                LOG_LEVEL="INFO",
                TRUSTED_CA_FILE=str(fake_ca_bundle_path()),
            )
            child = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                env=env,
                cwd=tmp_path,
                stderr=subprocess.PIPE,
                text=True,
            )
            user = emulator.user(6002, language_code="ko")
            for _ in range(300):
                if any(method == "getUpdates" for method, _ in emulator.calls):
                    break
                await asyncio.sleep(0.05)
            await user.ask("/register")  # a flow in progress: its state must be flushed
            child.send_signal(signal.SIGTERM)
            for _ in range(300):
                if child.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            _, stderr = child.communicate(timeout=10)
            return child.returncode, stderr

    code, stderr = asyncio.run(scenario())
    assert code == 0, stderr
    assert "Traceback" not in stderr and "EMULATOR-TOKEN" not in stderr
    with sqlite3.connect(tmp_path / "run.sqlite3") as conn:
        states = conn.execute("SELECT name, state FROM ptb_conversations").fetchall()
    assert states == [("flows", "10")]


async def run_cli_async(tmp_path: Path, **env_values: str) -> tuple[int, str]:
    """Like run_cli, without blocking the loop (the emulator answers from this process)."""
    env = child_env()
    env.update(DATABASE_PATH=str(tmp_path / "cli.sqlite3"), LOG_LEVEL="WARNING", **env_values)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path, stderr=subprocess.PIPE
    )
    try:
        # A bound, not a measurement: before the fix the process never exited at all.
        _, stderr = await asyncio.wait_for(child.communicate(), 30)
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert child.returncode is not None
    return child.returncode, stderr.decode()


async def test_wrong_token_exits_with_one_redacted_line(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    wrong = "123456789:WRONG-TOKEN-abcdefghijklmnopqrstuvwxyz"
    code, stderr = await run_cli_async(
        tmp_path, BOT_TOKEN=wrong, TELEGRAM_API_URL=emulator.base_url
    )
    assert code == 1, stderr
    assert stderr.strip().splitlines() == [
        f"kcert-bot: the Bot API at {emulator.base_url} rejected BOT_TOKEN "
        "(check the token from @BotFather)"
    ]
    assert "WRONG-TOKEN" not in stderr


async def test_unreachable_api_exits_with_one_line(tmp_path: Path) -> None:
    token = "123456789:SECRET-TOKEN-abcdefghijklmnopqrstuvwxyz"
    code, stderr = await run_cli_async(
        tmp_path, BOT_TOKEN=token, TELEGRAM_API_URL="http://127.0.0.1:9"
    )
    assert code == 1, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("kcert-bot: cannot reach the Bot API at http://127.0.0.1:9 ")
    assert "TELEGRAM_API_URL" in lines[0] and "SECRET-TOKEN" not in stderr
