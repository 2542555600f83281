"""A crash (SIGKILL of a real `kcert-bot run`) loses no conversation state: H9."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.emulator import BotApiEmulator
from tests.conftest import PASSWORD, cert
from tests.support import child_env, says, upload_pair


@asynccontextmanager
async def bot_process(emulator: BotApiEmulator, tmp_path: Path) -> AsyncIterator[None]:
    """`python -m bot run` on the emulator; waits until it polls; SIGKILLed at the end."""
    env = child_env()
    env.update(
        BOT_TOKEN=emulator.token,
        TELEGRAM_API_URL=emulator.base_url,
        DATABASE_PATH=str(tmp_path / "crash.sqlite3"),
        LOG_LEVEL="WARNING",
    )
    polls = sum(1 for method, _ in emulator.calls if method == "getUpdates")
    with open(tmp_path / "stderr.log", "ab") as stderr:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path, stderr=stderr
        )
    try:
        for _ in range(600):
            if sum(1 for method, _ in emulator.calls if method == "getUpdates") > polls:
                break
            await emulator.wait_for_change(0.05)
        yield
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGKILL)  # a crash: no shutdown, no flush
        await child.wait()


def conversation_states(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "crash.sqlite3") as conn:
        return conn.execute("SELECT name, state FROM ptb_conversations").fetchall()


async def test_flow_in_progress_survives_sigkill(emulator: BotApiEmulator, tmp_path: Path) -> None:
    user = emulator.user(6101, language_code="ko")
    async with bot_process(emulator, tmp_path):
        replies = await user.ask("/register")
        assert says(replies, "register.ask_files")
        # One chat's updates run in order: this answer means /register was fully processed.
        await user.ask("/help")
    assert conversation_states(tmp_path) == [("flows", "10")]
    async with bot_process(emulator, tmp_path):
        replies = await upload_pair(user, cert(name="크래시"))
        # The flow went on where it was: the files are taken, the password is asked for.
        assert says(replies, "register.ask_password")


async def test_completed_registration_does_not_come_back_after_sigkill(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    user = emulator.user(6102, language_code="ko")
    async with bot_process(emulator, tmp_path):
        await user.ask("/register")
        await upload_pair(user, cert(name="완료"))
        await user.ask("/help")
        assert conversation_states(tmp_path) != []  # waiting for the password, stored at once
        await user.ask(PASSWORD)
        replies = await user.tap("등록")
        assert any("등록 완료" in m.plain for m in replies)
        await user.ask("/help")
    assert conversation_states(tmp_path) == []
    async with bot_process(emulator, tmp_path):
        mark = len(user.user_messages)
        await user.ask("/help")
        replies = await user.ask("비밀번호 아니에요")
        # Not taken for a password: the message stays, no password prompt or error appears.
        assert all(not m.deleted for m in user.user_messages[mark:])
        assert not any("비밀번호" in m.plain and "틀" in m.plain for m in replies)
