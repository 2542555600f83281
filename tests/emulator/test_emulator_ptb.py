"""End to end: a real PTB Application polls the emulator over loopback HTTP.

Each test reads the chat the way a user would see it (texts, buttons, deletions, toasts).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict
from telegram.ext import Application

from bot.emulator import BotApiEmulator, Button, build_echo_application, polling

App = Application[Any, Any, Any, Any, Any, Any]


async def test_start_shows_menu_with_keyboard(emulator: BotApiEmulator, bot_app: App) -> None:
    user = emulator.user()
    replies = await user.ask("/start")
    assert len(replies) == 1
    menu = replies[0]
    assert menu.plain == "안녕하세요 & 환영합니다.\n무엇을 도와드릴까요?"
    assert menu.text.startswith("<b>안녕하세요</b>")
    assert menu.buttons == [
        [Button("인증서 등록", "menu:register"), Button("인증서 해제", "menu:revoke")],
        [Button("자주 묻는 질문", "menu:faq")],
    ]
    assert user.user_messages[0].text == "/start"


async def test_command_with_bot_username_is_a_command(
    emulator: BotApiEmulator, bot_app: App
) -> None:
    user = emulator.user()
    replies = await user.ask(f"/start@{emulator.bot_username}")
    assert replies[0].labels == ["인증서 등록", "인증서 해제", "자주 묻는 질문"]


async def test_press_edits_message_and_answers_callback(
    emulator: BotApiEmulator, bot_app: App
) -> None:
    user = emulator.user()
    menu = (await user.ask("/start"))[0]
    changed = await user.tap("해제")  # partial label match
    assert [m.message_id for m in changed] == [menu.message_id]
    assert user.last.plain == "menu:revoke 를 선택했습니다"
    assert user.last.edited and user.last.buttons == []  # edit without markup drops it
    assert [a.text for a in user.callback_answers] == ["선택: menu:revoke"]
    assert user.unanswered_callbacks() == []


async def test_press_unknown_label_lists_available(emulator: BotApiEmulator, bot_app: App) -> None:
    user = emulator.user()
    await user.ask("/start")
    with pytest.raises(LookupError, match="인증서 등록"):
        await user.press("없는 버튼")


async def test_unanswered_callback_is_reported(emulator: BotApiEmulator, bot_app: App) -> None:
    user = emulator.user()
    menu = (await user.ask("/start"))[0]
    query_id = await user.press_data("silent", message_id=menu.message_id)
    await emulator.settle()
    assert user.unanswered_callbacks() == [query_id]


async def test_stale_press_on_deleted_message_still_reaches_bot(
    emulator: BotApiEmulator, bot_app: App
) -> None:
    user = emulator.user()
    menu = (await user.ask("/start"))[0]
    await bot_app.bot.delete_message(user.chat_id, menu.message_id)
    query_id = await user.press_data("menu:faq", message_id=menu.message_id)
    await emulator.settle()
    # The bot answered, but editing an inaccessible (deleted) message failed in its handler.
    assert [a.query_id for a in user.callback_answers] == [query_id]
    assert user.visible == []


async def test_echo_and_message_ids_shared(emulator: BotApiEmulator, bot_app: App) -> None:
    user = emulator.user()
    first = await user.send_text("안녕")
    replies = await user.ask("두 번째")
    await emulator.settle()
    assert user.texts() == ["echo: 안녕", "echo: 두 번째"]
    ids = [m.message_id for m in user.messages]
    assert first == 1 and ids == [3, 4]  # both user messages came first
    assert replies[-1].plain == "echo: 두 번째"


async def test_bot_deletes_users_message(emulator: BotApiEmulator, bot_app: App) -> None:
    user = emulator.user()
    replies = await user.ask("/secret hunter2")
    assert [m.plain for m in replies] == ["비밀번호 메시지를 지웠습니다"]
    (sent,) = user.user_messages
    assert sent.deleted and sent.text == "/secret hunter2"


async def test_failed_delete_is_injected(emulator: BotApiEmulator, bot_app: App) -> None:
    user = emulator.user()
    emulator.fail_next("deleteMessage", 400, "Bad Request: message can't be deleted")
    await user.ask("/secret hunter2")
    assert not user.user_messages[0].deleted
    assert user.texts() == []  # the handler raised before replying
    await user.ask("/secret again")  # the failure was injected once only
    assert user.user_messages[1].deleted


async def test_document_round_trip(emulator: BotApiEmulator, bot_app: App) -> None:
    user = emulator.user()
    data = bytes(range(256)) * 40
    replies = await user.upload(data, "signCert.der")
    assert replies[0].plain == f"받음: signCert.der {len(data)} bytes"
    copy = replies[1].document
    assert copy is not None and copy.file_name == "copy-signCert.der" and copy.data == data
    assert user.user_messages[0].kind == "document"


async def test_stray_photo_and_sticker(emulator: BotApiEmulator, bot_app: App) -> None:
    user = emulator.user()
    await user.send_photo()
    await user.send_sticker()
    await emulator.settle()
    assert user.texts() == ["사진이나 스티커는 받지 않아요"] * 2


async def test_limits_surface_as_bad_request(emulator: BotApiEmulator, bot_app: App) -> None:
    user = emulator.user()
    bot = bot_app.bot
    await bot.send_message(user.chat_id, "가" * 4096)
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(user.chat_id, "가" * 4097)
    # HTML tags do not count towards the limit, decoded entities count as one character.
    await bot.send_message(user.chat_id, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(user.chat_id, "<b></b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(user.chat_id, "<b>unclosed", parse_mode="HTML")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="가" * 22)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(user.chat_id, "keyboard", reply_markup=too_long)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "nobody")


async def test_edit_errors_surface_as_bad_request(emulator: BotApiEmulator, bot_app: App) -> None:
    user = emulator.user()
    bot = bot_app.bot
    sent = await bot.send_message(user.chat_id, "<b>같은</b> 내용", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is not modified"):
        # Same resulting text and entities, spelled differently: still not modified.
        await bot.edit_message_text(
            "<strong>같은</strong> 내용", user.chat_id, sent.message_id, parse_mode="HTML"
        )
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="a")]])
    await bot.edit_message_reply_markup(user.chat_id, sent.message_id, reply_markup=markup)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(user.chat_id, sent.message_id, reply_markup=markup)
    await bot.delete_message(user.chat_id, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("new", user.chat_id, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(user.chat_id, sent.message_id)
    assert user.messages[0].deleted and user.visible == []


async def test_answering_twice_is_too_old(emulator: BotApiEmulator, bot_app: App) -> None:
    user = emulator.user()
    await user.ask("/start")
    await user.tap("인증서 등록")
    (answer,) = user.callback_answers
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot_app.bot.answer_callback_query(answer.query_id)


async def test_double_polling_conflicts(emulator: BotApiEmulator) -> None:
    first = build_echo_application(emulator)
    second = build_echo_application(emulator)
    async with first, second:
        waiting = asyncio.create_task(first.bot.get_updates(timeout=10))
        while "getUpdates" not in [method for method, _ in emulator.calls]:
            await asyncio.sleep(0.01)  # let the first long poll reach the server
        assert await second.bot.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates"):
            await waiting


async def test_commands_are_registered_per_language(emulator: BotApiEmulator, bot_app: App) -> None:
    await bot_app.bot.set_my_commands([("start", "시작")], language_code="ko")
    assert emulator.my_commands(language_code="ko") == [{"command": "start", "description": "시작"}]
    assert (await bot_app.bot.get_my_commands(language_code="ko"))[0].command == "start"
    with pytest.raises(BadRequest):
        await bot_app.bot.set_my_commands([("Bad Command", "x")])


async def test_twenty_users_settle_together(emulator: BotApiEmulator, bot_app: App) -> None:
    users = [emulator.user(2000 + i) for i in range(20)]

    async def chat(index: int) -> None:
        for turn in range(3):
            replies = await users[index].ask(f"{index}-{turn}")
            assert f"echo: {index}-{turn}" in [m.plain for m in replies]

    await asyncio.gather(*(chat(i) for i in range(20)))
    for index, user in enumerate(users):
        assert user.texts() == [f"echo: {index}-{turn}" for turn in range(3)]
    assert emulator.pending_updates == 0


async def test_echo_application(emulator: BotApiEmulator) -> None:
    async with polling(build_echo_application(emulator), emulator=emulator):
        replies = await emulator.user().ask("그대로 돌려줘")
    assert [m.plain for m in replies] == ["그대로 돌려줘"]


async def test_settle_times_out_without_a_bot(emulator: BotApiEmulator) -> None:
    await emulator.user().send_text("hello?")
    with pytest.raises(TimeoutError, match="1 unconfirmed"):
        await emulator.settle(timeout=0.2)
