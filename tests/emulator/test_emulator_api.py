"""The emulator's HTTP surface, spoken to directly with httpx (no PTB in between).

These pin the wire details PTB relies on: envelopes, status codes, form/JSON/multipart
parameters, getUpdates offsets and long polling, the file download URL.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.emulator import BotApiEmulator
from bot.emulator.errors import CONFLICT, NOT_MODIFIED, QUERY_INVALID


@pytest.fixture
async def http(emulator: BotApiEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{emulator.base_url}/bot{emulator.token}") as client:
        yield client


async def call(http: httpx.AsyncClient, method: str, **params: Any) -> httpx.Response:
    """POST form-encoded like PTB: strings as is, everything else JSON-encoded."""
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return await http.post(f"/{method}", data=data)


async def ok(http: httpx.AsyncClient, method: str, **params: Any) -> Any:
    response = await call(http, method, **params)
    body = response.json()
    assert response.status_code == 200 and body["ok"] is True, body
    return body["result"]


async def error(http: httpx.AsyncClient, method: str, **params: Any) -> tuple[int, str]:
    response = await call(http, method, **params)
    body = response.json()
    assert body["ok"] is False and body["error_code"] == response.status_code
    return response.status_code, body["description"]


async def test_get_me(http: httpx.AsyncClient) -> None:
    me = await ok(http, "getMe")
    assert me == {
        "id": 123456789,
        "is_bot": True,
        "first_name": "kcert-bot",
        "username": "kcert_local_bot",
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def test_wrong_token_and_unknown_method(emulator: BotApiEmulator) -> None:
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        response = await client.post("/bot1:wrong/getMe")
        assert response.status_code == 401
        assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        response = await client.post(f"/bot{emulator.token}/sendTelepathy")
        assert response.status_code == 404 and response.json()["description"] == "Not Found"
        # Method names are case-insensitive and GET with a query string works, as on Telegram.
        response = await client.get(f"/bot{emulator.token}/getme")
        assert response.json()["result"]["is_bot"] is True


async def test_get_updates_offsets_and_limit(
    emulator: BotApiEmulator, http: httpx.AsyncClient
) -> None:
    user = emulator.user(7, first_name="민수", language_code="en", username="minsu")
    for text in ("a", "b", "c"):
        await user.send_text(text)
    updates = await ok(http, "getUpdates", limit=2)
    assert [u["message"]["text"] for u in updates] == ["a", "b"]
    message = updates[0]["message"]
    assert message["from"] == {
        "id": 7,
        "is_bot": False,
        "first_name": "민수",
        "username": "minsu",
        "language_code": "en",
    }
    assert message["chat"] == {
        "id": 7,
        "type": "private",
        "first_name": "민수",
        "username": "minsu",
    }
    first_id = updates[0]["update_id"]
    # Unconfirmed updates are delivered again; an offset confirms everything below it.
    assert len(await ok(http, "getUpdates")) == 3
    rest = await ok(http, "getUpdates", offset=first_id + 2)
    assert [u["message"]["text"] for u in rest] == ["c"]
    assert emulator.pending_updates == 1
    assert await ok(http, "getUpdates", offset=first_id + 3) == []
    assert emulator.pending_updates == 0


async def test_negative_offset_keeps_the_tail(
    emulator: BotApiEmulator, http: httpx.AsyncClient
) -> None:
    user = emulator.user()
    for text in ("a", "b", "c"):
        await user.send_text(text)
    assert [u["message"]["text"] for u in await ok(http, "getUpdates", offset=-1)] == ["c"]


async def test_long_poll_wakes_on_update(emulator: BotApiEmulator, http: httpx.AsyncClient) -> None:
    poll = asyncio.create_task(ok(http, "getUpdates", timeout=30))
    while "getUpdates" not in [m for m, _ in emulator.calls]:
        await asyncio.sleep(0.01)
    assert not poll.done()
    await emulator.user().send_text("/start")
    (update,) = await poll  # returns long before the 30 s timeout
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]


async def test_second_poll_terminates_the_first(
    emulator: BotApiEmulator, http: httpx.AsyncClient
) -> None:
    first = asyncio.create_task(call(http, "getUpdates", timeout=30))
    while "getUpdates" not in [m for m, _ in emulator.calls]:
        await asyncio.sleep(0.01)
    assert await ok(http, "getUpdates", timeout=0) == []
    response = await first
    assert response.status_code == 409 and response.json()["description"] == CONFLICT


async def test_stop_releases_a_pending_poll(emulator: BotApiEmulator) -> None:
    async with httpx.AsyncClient(base_url=f"{emulator.base_url}/bot{emulator.token}") as client:
        poll = asyncio.create_task(client.post("/getUpdates", data={"timeout": "30"}))
        while "getUpdates" not in [m for m, _ in emulator.calls]:
            await asyncio.sleep(0.01)
        await emulator.stop()
        try:
            response = await poll
        except httpx.TransportError:
            return  # the connection was closed under it: also released
        assert response.json() == {"ok": True, "result": []}


async def test_send_message_returns_full_message(
    emulator: BotApiEmulator, http: httpx.AsyncClient
) -> None:
    user = emulator.user()
    await user.send_text("hi")
    markup = {"inline_keyboard": [[{"text": "예", "callback_data": "yes"}]]}
    message = await ok(
        http,
        "sendMessage",
        chat_id=user.chat_id,
        text='<a href="https://example.com/x">링크</a> 😀 <b>굵게</b>',
        parse_mode="HTML",
        reply_markup=markup,
        protect_content=True,
    )
    assert message["message_id"] == 2
    assert message["from"]["is_bot"] is True and message["from"]["id"] == 123456789
    assert message["chat"]["id"] == user.chat_id and message["chat"]["type"] == "private"
    assert message["text"] == "링크 😀 굵게"
    assert message["entities"] == [
        {"type": "text_link", "offset": 0, "length": 2, "url": "https://example.com/x"},
        {"type": "bold", "offset": 6, "length": 2},  # the emoji is two UTF-16 units
    ]
    assert message["reply_markup"] == markup
    assert message["has_protected_content"] is True
    assert isinstance(message["date"], int)
    assert user.last.plain == "링크 (https://example.com/x) 😀 굵게"
    assert user.last.protect_content


async def test_json_body_is_accepted(emulator: BotApiEmulator, http: httpx.AsyncClient) -> None:
    user = emulator.user()
    response = await http.post("/sendMessage", json={"chat_id": user.chat_id, "text": "json"})
    assert response.json()["result"]["text"] == "json"
    assert emulator.calls[-1] == ("sendMessage", {"chat_id": user.chat_id, "text": "json"})


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "x"}, "Bad Request: chat_id is empty"),
        ({"chat_id": 99, "text": "x"}, "Bad Request: chat not found"),
        ({"chat_id": 1001}, "Bad Request: message text is empty"),
        ({"chat_id": 1001, "text": "  \n"}, "Bad Request: message text is empty"),
        ({"chat_id": 1001, "text": "x" * 4097}, "Bad Request: message is too long"),
        (
            {"chat_id": 1001, "text": "<b>x</i>", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: Unmatched end tag at byte offset 4, "
            'expected "</b>", found "</i>"',
        ),
        (
            {
                "chat_id": 1001,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": ""}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {
                "chat_id": 1001,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "a" * 65}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
    ],
)
async def test_send_message_errors(
    emulator: BotApiEmulator, http: httpx.AsyncClient, params: dict[str, Any], description: str
) -> None:
    emulator.user(1001)
    assert await error(http, "sendMessage", **params) == (400, description)


async def test_callback_data_limit_is_in_bytes(
    emulator: BotApiEmulator, http: httpx.AsyncClient
) -> None:
    user = emulator.user()
    ok_markup = {"inline_keyboard": [[{"text": "a", "callback_data": "가" * 21}]]}  # 63 bytes
    await ok(http, "sendMessage", chat_id=user.chat_id, text="x", reply_markup=ok_markup)
    bad_markup = {"inline_keyboard": [[{"text": "a", "callback_data": "가" * 22}]]}  # 66 bytes
    assert (await error(http, "sendMessage", chat_id=1001, text="x", reply_markup=bad_markup))[
        1
    ] == "Bad Request: BUTTON_DATA_INVALID"


async def test_edit_semantics(emulator: BotApiEmulator, http: httpx.AsyncClient) -> None:
    user = emulator.user()
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
    sent = await ok(http, "sendMessage", chat_id=user.chat_id, text="one", reply_markup=markup)
    mid = sent["message_id"]
    same = {"chat_id": user.chat_id, "message_id": mid, "text": "one", "reply_markup": markup}
    assert await error(http, "editMessageText", **same) == (400, NOT_MODIFIED)
    edited = await ok(http, "editMessageText", **{**same, "text": "two"})
    assert edited["text"] == "two" and edited["reply_markup"] == markup and "edit_date" in edited
    assert user.last.edited and user.last.plain == "two"
    dropped = await ok(http, "editMessageText", chat_id=user.chat_id, message_id=mid, text="two")
    assert "reply_markup" not in dropped and user.last.buttons == []
    user_mid = await user.send_text("mine")
    assert await error(
        http, "editMessageText", chat_id=user.chat_id, message_id=user_mid, text="x"
    ) == (400, "Bad Request: message can't be edited")
    assert await error(http, "editMessageText", chat_id=user.chat_id, message_id=999, text="x") == (
        400,
        "Bad Request: message to edit not found",
    )


async def test_delete_messages(emulator: BotApiEmulator, http: httpx.AsyncClient) -> None:
    user = emulator.user()
    mine = await user.send_text("password")
    theirs = (await ok(http, "sendMessage", chat_id=user.chat_id, text="x"))["message_id"]
    assert await ok(http, "deleteMessage", chat_id=user.chat_id, message_id=mine) is True
    assert await error(http, "deleteMessage", chat_id=user.chat_id, message_id=mine) == (
        400,
        "Bad Request: message to delete not found",
    )
    assert await ok(http, "deleteMessages", chat_id=user.chat_id, message_ids=[theirs, 77])
    assert user.user_messages[0].deleted and user.messages[0].deleted
    kinds = [e.kind for e in user.changes_since(0)]
    assert kinds == ["message", "user_deleted", "bot_deleted"]


async def test_answer_callback_query(emulator: BotApiEmulator, http: httpx.AsyncClient) -> None:
    user = emulator.user()
    markup = {"inline_keyboard": [[{"text": "인증서 등록", "callback_data": "reg"}]]}
    sent = await ok(http, "sendMessage", chat_id=user.chat_id, text="menu", reply_markup=markup)
    await ok(http, "getUpdates")
    query_id = await user.press("인증서 등록")
    (update,) = await ok(http, "getUpdates", offset=1)
    query = update["callback_query"]
    assert query["id"] == query_id and query["data"] == "reg"
    assert query["message"]["message_id"] == sent["message_id"]
    assert query["message"]["chat"]["id"] == user.chat_id
    assert query["from"]["language_code"] == "ko" and query["chat_instance"]
    assert user.unanswered_callbacks() == [query_id]
    assert await ok(
        http, "answerCallbackQuery", callback_query_id=query_id, text="완료", show_alert=True
    )
    assert await error(http, "answerCallbackQuery", callback_query_id=query_id) == (
        400,
        QUERY_INVALID,
    )
    assert await error(http, "answerCallbackQuery", callback_query_id="123") == (400, QUERY_INVALID)
    (answer,) = user.callback_answers
    assert (answer.text, answer.show_alert) == ("완료", True)


async def test_documents_upload_get_file_and_download(
    emulator: BotApiEmulator, http: httpx.AsyncClient
) -> None:
    user = emulator.user()
    await user.send_document(b"DER-bytes", "signCert.der")
    (update,) = await ok(http, "getUpdates")
    document = update["message"]["document"]
    assert document["file_name"] == "signCert.der" and document["file_size"] == 9
    file = await ok(http, "getFile", file_id=document["file_id"])
    assert file["file_path"].startswith("documents/file_") and file["file_path"].endswith(".der")
    assert file["file_unique_id"] == document["file_unique_id"]
    escaped_token = emulator.token.replace(":", "%3A")
    async with httpx.AsyncClient() as client:
        url = f"{emulator.base_url}/file/bot{escaped_token}/{file['file_path']}"
        assert (await client.get(url)).content == b"DER-bytes"
        missing = await client.get(f"{emulator.base_url}/file/bot{emulator.token}/documents/x")
        assert missing.status_code == 404
    # Multipart upload by the bot, then re-sending the same file by file_id.
    response = await http.post(
        "/sendDocument",
        data={"chat_id": str(user.chat_id), "caption": "<b>사본</b>", "parse_mode": "HTML"},
        files={"document": ("copy.der", b"DER-bytes", "application/octet-stream")},
    )
    sent = response.json()["result"]
    assert sent["caption"] == "사본" and sent["document"]["file_name"] == "copy.der"
    again = await ok(http, "sendDocument", chat_id=user.chat_id, document=document["file_id"])
    assert again["document"]["file_id"] == document["file_id"]
    assert [m.document.data for m in user.messages if m.document] == [b"DER-bytes"] * 2
    assert emulator.calls[-2][1]["document"] == {"file_name": "copy.der", "size": 9}


async def test_get_file_over_20_mb_is_too_big(
    emulator: BotApiEmulator, http: httpx.AsyncClient
) -> None:
    user = emulator.user()
    await user.send_document(b"\0" * (20 * 1024 * 1024 + 1), "big.zip")
    (update,) = await ok(http, "getUpdates")
    assert await error(http, "getFile", file_id=update["message"]["document"]["file_id"]) == (
        400,
        "Bad Request: file is too big",
    )


async def test_fail_next_and_retry_after(emulator: BotApiEmulator, http: httpx.AsyncClient) -> None:
    emulator.user()
    emulator.fail_next(
        "sendMessage", 429, "Too Many Requests: retry after 3", times=2, retry_after=3
    )
    for _ in range(2):
        response = await call(http, "sendMessage", chat_id=1001, text="x")
        assert response.status_code == 429
        assert response.json()["parameters"] == {"retry_after": 3}
    await ok(http, "sendMessage", chat_id=1001, text="x")
    assert [m for m, _ in emulator.calls] == ["sendMessage"] * 3


async def test_reply_keyboard_is_tracked(emulator: BotApiEmulator, http: httpx.AsyncClient) -> None:
    user = emulator.user()
    keyboard = {"keyboard": [["인증서 등록", {"text": "인증서 해제"}]], "resize_keyboard": True}
    message = await ok(http, "sendMessage", chat_id=1001, text="menu", reply_markup=keyboard)
    assert "reply_markup" not in message  # Telegram only echoes inline keyboards
    assert user.reply_keyboard == [["인증서 등록", "인증서 해제"]]
    await ok(http, "sendMessage", chat_id=1001, text="bye", reply_markup={"remove_keyboard": True})
    assert user.reply_keyboard is None


async def test_calls_log_is_bounded(emulator: BotApiEmulator, http: httpx.AsyncClient) -> None:
    emulator.calls.extend(("getMe", {}) for _ in range(11_000))
    await ok(http, "getMe")
    assert len(emulator.calls) == 10_000


async def test_settle_without_a_reporting_bot_falls_back_to_quiet(
    emulator: BotApiEmulator, http: httpx.AsyncClient
) -> None:
    user = emulator.user()
    await user.send_text("x")
    settle = asyncio.create_task(emulator.settle_by_quiet(timeout=5))
    await ok(http, "getUpdates")  # fetched but not yet confirmed
    await asyncio.sleep(0.1)
    assert not settle.done()
    await ok(http, "getUpdates", offset=2)
    await ok(http, "sendMessage", chat_id=user.chat_id, text="reply")
    await settle
    assert user.texts() == ["reply"]
