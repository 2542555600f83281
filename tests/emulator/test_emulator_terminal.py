"""`kcert-bot chat` front end: a scripted stdin drives the test bot through the emulator."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.emulator import BotApiEmulator, BotMessage, Button, run_terminal
from bot.emulator.terminal import render_message

App = Application[Any, Any, Any, Any, Any, Any]


async def chat(emulator: BotApiEmulator, script: str) -> tuple[int, str]:
    out = io.StringIO()
    status = await run_terminal(
        emulator, emulator.user(), stdin=io.StringIO(script), stdout=out, quiet=0.08
    )
    return status, out.getvalue()


async def test_scripted_session(emulator: BotApiEmulator, bot_app: App, tmp_path: Path) -> None:
    cert = tmp_path / "signCert.der"
    cert.write_bytes(b"\x30\x82" + b"\0" * 98)
    script = f"/start\n2\n안녕하세요\n\n/secret 1234\n/file {cert}\n/file {tmp_path}/none.der\n"
    status, transcript = await chat(emulator, script)
    assert status == 0
    assert transcript.splitlines() == [
        "> /start",
        "🤖 안녕하세요 & 환영합니다.",
        "   무엇을 도와드릴까요?",
        "   [1] 인증서 등록  [2] 인증서 해제",
        "   [3] 자주 묻는 질문",
        "> 2",
        "ⓘ 선택: menu:revoke",
        "🤖 (수정됨/edited) menu:revoke 를 선택했습니다",
        "> 안녕하세요",
        "🤖 echo: 안녕하세요",
        "> ",
        "> /secret 1234",
        "🗑 (봇이 메시지를 삭제했습니다 / the bot deleted your message #5)",
        "🤖 비밀번호 메시지를 지웠습니다",
        f"> /file {cert}",
        "🤖 받음: signCert.der 100 bytes",
        "🤖 📎 copy-signCert.der (100 bytes)",
        f"> /file {tmp_path}/none.der",
        f"⚠ 파일을 읽을 수 없습니다 / cannot read {tmp_path}/none.der: No such file or directory",
    ]
    user = emulator.user()
    assert user.user_messages[-1].kind == "document"


async def test_quit_stops_reading(emulator: BotApiEmulator, bot_app: App) -> None:
    status, transcript = await chat(emulator, "hello\n/quit\nnot sent\n")
    assert status == 0
    assert "not sent" not in transcript
    assert [m.text for m in emulator.user().user_messages] == ["hello"]


async def test_number_without_buttons_is_text(emulator: BotApiEmulator, bot_app: App) -> None:
    status, transcript = await chat(emulator, "/start\n7\n")
    assert status == 0
    assert transcript.splitlines()[-2:] == ["> 7", "🤖 echo: 7"]


async def test_messages_sent_before_start_are_shown(emulator: BotApiEmulator, bot_app: App) -> None:
    user = emulator.user()
    await bot_app.bot.send_message(user.chat_id, "먼저 보낸 안내")
    status, transcript = await chat(emulator, "")
    assert (status, transcript) == (0, "🤖 먼저 보낸 안내\n")


async def test_interactive_mode_prompts(emulator: BotApiEmulator, bot_app: App) -> None:
    out = io.StringIO()
    status = await run_terminal(
        emulator, emulator.user(), stdin=io.StringIO("hi\n"), stdout=out, interactive=True
    )
    text = out.getvalue()
    assert status == 0
    assert "/file" in text.splitlines()[1]  # the help banner
    assert "> 🤖 echo: hi" in text  # the prompt precedes the reply; input is not echoed


def test_render_message_numbers_buttons_and_links() -> None:
    message = BotMessage(
        message_id=3,
        chat_id=1,
        text="<b>메뉴</b>",
        plain="메뉴",
        buttons=[[Button("등록", "r"), Button("안내", url="https://bank.kr")]],
        deleted=False,
        edited=False,
        document=None,
        date=0,
        protect_content=False,
        parse_mode="HTML",
    )
    assert render_message(message, numbered=True) == [
        "🤖 메뉴",
        "   [1] 등록  [2] 안내 ↗ https://bank.kr",
    ]
    assert render_message(message, numbered=False)[1] == "   [등록]  [안내 ↗ https://bank.kr]"
