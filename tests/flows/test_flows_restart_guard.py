"""C5: /start or an action button during a registration asks before dropping it."""

from __future__ import annotations

from typing import Any

from bot.flows import callbacks as cb
from tests.conftest import PASSWORD, cert
from tests.support import plain, rendered, says, upload_pair


async def _at_confirm(user: Any, name: str) -> int:
    await user.ask("/register")
    await upload_pair(user, cert(name=name))
    replies = await user.ask(PASSWORD)
    confirm = next(m for m in replies if "등록" in m.labels)
    return int(confirm.message_id)


async def test_action_button_at_confirm_asks_and_continue_keeps_the_certificate(bot: Any) -> None:
    user = bot.user(5501)
    confirm_id = await _at_confirm(user, "계속")
    # [지금 등록하기] under a FAQ answer sends this action.
    await user.press_data(cb.Action("register").pack(), message_id=confirm_id)
    await bot.emulator.settle()
    assert says([user.last], "menu.restart_ask")
    assert user.last.labels == [rendered("menu.btn_restart"), rendered("menu.btn_continue")]
    assert len(bot.services.sessions) == 1  # nothing thrown away yet
    replies = await user.tap(rendered("menu.btn_continue"))
    assert says(replies, "menu.restart_continue")
    replies = await user.tap("등록", message_id=confirm_id)
    assert "등록 완료" in plain(replies)
    assert len(await bot.services.store.active_certificates_of(5501)) == 1


async def test_start_at_confirm_asks_and_start_over_drops_it(bot: Any) -> None:
    user = bot.user(5502)
    confirm_id = await _at_confirm(user, "새로")
    replies = await user.ask("/start")
    assert says(replies, "menu.restart_ask")
    assert not any("안녕하세요" in m.plain for m in replies)
    replies = await user.tap(rendered("menu.btn_restart"))
    assert any("안녕하세요" in m.plain for m in replies)  # the menu, as /start asked
    assert len(bot.services.sessions) == 0
    replies = await user.tap("등록", message_id=confirm_id)  # the old confirmation is dead
    assert "등록 완료" not in plain(replies)
    assert await bot.services.store.active_certificates_of(5502) == []


async def test_register_again_at_confirm_start_over_asks_files(bot: Any) -> None:
    user = bot.user(5503)
    await _at_confirm(user, "다시")
    replies = await user.ask("/register")
    assert says(replies, "menu.restart_ask")
    replies = await user.tap(rendered("menu.btn_restart"))
    assert says(replies, "register.ask_files")


async def test_no_question_when_nothing_would_be_lost(bot: Any) -> None:
    user = bot.user(5504)
    await user.ask("/register")  # no file yet
    replies = await user.ask("/start")
    assert not any(rendered("menu.restart_ask") in m.plain for m in replies)
    assert any("안녕하세요" in m.plain for m in replies)
