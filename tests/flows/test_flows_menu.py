"""End to end through the emulator: /start, menu buttons, /language, /cancel, persistence."""

from __future__ import annotations

from typing import Any

from bot.emulator import BotApiEmulator
from tests.support import says


async def test_start_menu_language_cancel(bot: Any) -> None:
    user = bot.user(1001, first_name="민수", language_code="ko")
    replies = await user.ask("/start")
    assert "안녕하세요, 민수님" in replies[0].plain
    assert user.last.labels == [
        "인증서 등록",
        "인증서 해제",
        "내 인증서",
        "자주 묻는 질문",
        "Language/언어",
    ]

    replies = await user.tap("내 인증서")
    assert any("등록된 인증서가 없어요" in m.plain for m in replies)
    assert not user.unanswered_callbacks()

    await user.ask("/language")
    replies = await user.tap("English")
    assert any("English from now on" in m.plain for m in replies)
    assert user.last.labels[:2] == ["Register certificate", "Release certificate"]

    replies = await user.ask("/cancel")
    assert replies[-1].plain == "There is nothing in progress to cancel."

    replies = await user.ask("/help")
    assert "/register" in replies[-1].plain and "never store" in replies[-1].plain


async def test_english_telegram_user_gets_english(bot: Any) -> None:
    user = bot.user(1002, first_name="Jane", language_code="en-US")
    replies = await user.ask("/start")
    assert replies[0].plain.startswith("Hello, Jane!")


async def test_language_choice_survives_restart(bot: Any) -> None:
    user = bot.user(1003, language_code="ko")
    await user.ask("/language")
    await user.tap("English")
    await bot.restart()
    replies = await user.ask("/start")
    assert "Hello" in replies[0].plain
    # A flow started before the restart resumes at its step.
    replies = await user.ask("/register")
    assert "Register another bank's certificate" in replies[-1].plain
    await bot.restart()
    replies = await user.ask("/cancel")
    assert says(replies, "register.cancelled", "en")  # the flow resumed after the restart


async def test_commands_registered_for_both_languages(bot: Any, emulator: BotApiEmulator) -> None:
    calls = [params for method, params in emulator.calls if method == "setMyCommands"]
    languages = {p.get("language_code") for p in calls}
    assert {None, "en", "ko"} <= languages
    english = next(p for p in calls if p.get("language_code") == "en")
    assert "register" in str(english["commands"])


async def test_stale_and_forged_buttons_are_answered(bot: Any) -> None:
    user = bot.user(1004)
    await user.ask("/start")
    menu_id = user.last.message_id
    await user.press_data("zz:unknown", message_id=menu_id)
    await user.press_data("rv:ok", message_id=menu_id)
    await bot.emulator.settle()
    assert not user.unanswered_callbacks()
    assert all("사용할 수 없어요" in (a.text or "") for a in user.callback_answers[-2:])


async def test_stray_upload_outside_flow(bot: Any) -> None:
    user = bot.user(1005)
    await user.send_photo()
    await bot.emulator.settle()
    assert "/register" in user.last.plain


async def test_telegram_flood_limit_is_waited_out(bot: Any) -> None:
    user = bot.user(1006)
    bot.emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await user.send_text("/help")
    await user.wait_until(lambda: any("/register" in m.plain for m in user.messages), timeout=10)
    sends = [m for m, _ in bot.emulator.calls if m == "sendMessage"]
    assert len(sends) >= 2  # the refused one and the retry


async def test_group_chats_are_ignored(bot: Any) -> None:
    from telegram import Update

    before = len(bot.emulator.calls)
    update = Update.de_json(
        {
            "update_id": 999_999,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": -100123, "type": "supergroup", "title": "가족방"},
                "from": {"id": 1007, "is_bot": False, "first_name": "누구"},
                "text": "/register",
                "entities": [{"type": "bot_command", "offset": 0, "length": 9}],
            },
        },
        bot.app.bot,
    )
    await bot.app.process_update(update)
    sent = [m for m, _ in bot.emulator.calls[before:] if m.startswith("send")]
    assert sent == []
    assert len(bot.services.sessions) == 0
