"""The bot's HTTP client (bot/request.py) against the emulator, for every Bot API method the
bot uses, with both HTTP_CLIENT choices; plus error mapping and the download cap.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest

from bot.emulator import BotApiEmulator
from bot.request import AiohttpRequest, DownloadTooLarge, build_requests, unparsed_result

CAP = 64 * 1024


def make_bot(emulator: BotApiEmulator, request: BaseRequest, updates: BaseRequest) -> Bot:
    return Bot(
        emulator.token,
        base_url=f"{emulator.base_url}/bot",
        base_file_url=f"{emulator.base_url}/file/bot",
        request=request,
        get_updates_request=updates,
    )


@pytest.fixture(params=["aiohttp", "httpx"])
async def bot(request: Any, emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    requests = build_requests(request.param, max_download_bytes=CAP, pool_size=16)
    async with make_bot(emulator, *requests) as bot:
        yield bot


async def test_every_method_the_bot_uses(emulator: BotApiEmulator, bot: Bot) -> None:
    user = emulator.user(7001)
    me = await bot.get_me()
    assert me.username == emulator.bot_username
    await bot.set_my_commands(
        [BotCommand("start", "시작")], scope=BotCommandScopeAllPrivateChats(), language_code="ko"
    )
    assert emulator.my_commands(scope={"type": "all_private_chats"}, language_code="ko") == [
        {"command": "start", "description": "시작"}
    ]
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("등록 ✅", callback_data="m:reg")]])
    sent = await bot.send_message(
        user.chat_id, "<b>안녕</b> & welcome", parse_mode=ParseMode.HTML, reply_markup=keyboard
    )
    assert user.last.plain == "안녕 & welcome" and user.last.labels == ["등록 ✅"]
    await bot.edit_message_reply_markup(user.chat_id, sent.message_id, reply_markup=None)
    assert user.last.buttons == []
    await bot.edit_message_text("바뀜", chat_id=user.chat_id, message_id=sent.message_id)
    assert user.last.plain == "바뀜" and user.last.edited

    await user.send_text("hello")
    query_id = await user.press_data("m:reg", message_id=sent.message_id)
    updates = await bot.get_updates(timeout=1)
    assert [u.message.text for u in updates if u.message] == ["hello"]
    assert [u.callback_query.id for u in updates if u.callback_query] == [query_id]
    assert await bot.answer_callback_query(query_id, text="좋아요")
    assert user.callback_answers[-1].text == "좋아요"
    message_id = updates[0].message.message_id  # type: ignore[union-attr]
    assert await bot.delete_message(user.chat_id, message_id)
    assert user.user_messages[0].deleted
    await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert emulator.pending_updates == 0

    await bot.send_document(user.chat_id, b"\x30\x82 upload", filename="signCert.der")
    document = user.last.document
    assert document is not None and document.data == b"\x30\x82 upload"
    assert document.file_name == "signCert.der"
    file = await bot.get_file(document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"\x30\x82 upload"

    assert await bot.set_webhook("http://127.0.0.1:9/telegram", secret_token="s3cret")
    assert (await bot.get_webhook_info()).url == "http://127.0.0.1:9/telegram"
    assert await bot.delete_webhook()
    sent_json = [params for method, params in emulator.calls if method == "sendMessage"]
    assert sent_json[0]["chat_id"] == 7001


async def test_aiohttp_sends_json_bodies_and_multipart_only_for_files(
    emulator: BotApiEmulator,
) -> None:
    seen: list[str] = []
    original = emulator.handle_call

    async def spy(token: str, method: str, params: Any, request: Any) -> Any:
        seen.append(f"{method}:{'files' if request.files else 'json'}")
        return await original(token, method, params, request)

    emulator.handle_call = spy  # type: ignore[method-assign]
    user = emulator.user(7002)
    async with make_bot(emulator, AiohttpRequest(), AiohttpRequest()) as bot:
        await bot.send_message(user.chat_id, "x")
        await bot.send_document(user.chat_id, b"data", filename="a.bin")
    assert seen[-2:] == ["sendMessage:json", "sendDocument:files"]


async def test_raw_filter_sees_get_updates_json_before_ptb_parses_it(
    emulator: BotApiEmulator,
) -> None:
    seen: list[list[int]] = []

    def keep_odd(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen.append([raw["update_id"] for raw in batch])
        return [raw for raw in batch if raw["update_id"] % 2]

    updates_request = AiohttpRequest(1)
    updates_request.raw_filter = keep_odd
    user = emulator.user(7003)
    async with make_bot(emulator, AiohttpRequest(), updates_request) as bot:
        for n in range(4):
            await user.send_text(f"m{n}")
        await bot.send_message(user.chat_id, "not a batch")  # other methods: untouched
        updates = await bot.get_updates(timeout=1)
    assert seen == [[1, 2, 3, 4]]
    assert [(u.update_id, u.message.text) for u in updates if u.message] == [(1, "m0"), (3, "m2")]


async def test_unparsed_result_hands_over_the_json_and_ptb_skips_the_message(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    user = emulator.user(7004)
    aiohttp_transport = isinstance(bot.request, AiohttpRequest)
    with unparsed_result() as raw:
        sent = await bot.send_message(user.chat_id, "<b>안녕</b>", parse_mode=ParseMode.HTML)
    assert user.last.plain == "안녕"
    if aiohttp_transport:
        assert sent is True  # type: ignore[comparison-overlap]
        assert raw[0]["message_id"] == user.last.message_id
        assert raw[0]["chat"]["id"] == user.chat_id
    else:  # PTB's HTTPXRequest: parsed as usual
        assert sent.message_id == user.last.message_id and raw == []
    # Outside the block, and for errors inside it, nothing changes.
    again = await bot.send_message(user.chat_id, "x")
    assert again.message_id == user.last.message_id
    with unparsed_result() as raw, pytest.raises(BadRequest):
        await bot.send_message(user.chat_id, "")
    assert raw == []


async def test_429_is_retry_after(emulator: BotApiEmulator, bot: Bot) -> None:
    user = emulator.user(7003)
    emulator.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(user.chat_id, "x")
    assert caught.value.retry_after in (3, dt.timedelta(seconds=3))
    await bot.send_message(user.chat_id, "again")
    assert user.texts() == ["again"]


async def test_refused_connection_is_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nobody listens there
    async with AiohttpRequest() as request:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{port}/bot1:x/getMe")
    assert not isinstance(caught.value, TimedOut)


async def test_slow_answer_is_timed_out_and_a_full_pool_is_a_pool_timeout() -> None:
    release = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()  # reads the request, never answers
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/bot1:x/getMe"
    try:
        async with AiohttpRequest(connection_pool_size=1, read_timeout=0.2) as request:
            with pytest.raises(TimedOut) as caught:
                await request.post(url)
            assert "Pool" not in str(caught.value)
            hold = asyncio.create_task(request.post(url, read_timeout=30))
            await asyncio.sleep(0)  # let it take the only connection
            with pytest.raises(TimedOut, match="Pool timeout"):
                await request.post(url, pool_timeout=0.1)
            release.set()
            await asyncio.gather(hold, return_exceptions=True)
    finally:
        release.set()
        server.close()


async def test_download_stops_at_the_cap_when_the_declared_size_lies(
    emulator: BotApiEmulator,
) -> None:
    user = emulator.user(7004)
    huge = b"\x00" * (19 * 1024 * 1024)
    await user.send_document(huge, "signCert.der", declared_size=100)
    request = AiohttpRequest(max_download_bytes=CAP)
    async with make_bot(emulator, request, AiohttpRequest()) as bot:
        update = (await bot.get_updates())[0]
        document = update.message.document  # type: ignore[union-attr]
        assert document is not None and document.file_size == 100  # the lie
        file = await document.get_file()
        with pytest.raises(DownloadTooLarge) as caught:
            await file.download_as_bytearray()
    assert caught.value.limit == CAP
    assert caught.value.received <= CAP + 64 * 1024  # stopped reading: not 19 MB


async def test_download_under_the_cap_is_whole(emulator: BotApiEmulator) -> None:
    user = emulator.user(7005)
    data = bytes(range(256)) * 200  # 51,200 bytes < CAP
    await user.send_document(data, "signPri.key")
    async with make_bot(emulator, AiohttpRequest(max_download_bytes=CAP), AiohttpRequest()) as bot:
        update = (await bot.get_updates())[0]
        file = await update.message.document.get_file()  # type: ignore[union-attr]
        assert bytes(await file.download_as_bytearray()) == data


async def test_the_bot_refuses_a_lying_upload_without_reading_it(bot_factory: Any) -> None:
    harness = await bot_factory()
    user = harness.user(7006)
    await user.ask("/register")
    huge = b"\x00" * (19 * 1024 * 1024)
    mark = harness.emulator.mark()
    await user.send_document(huge, "signCert.der", declared_size=100)
    await harness.emulator.settle()
    replies = user.changed_since(mark)
    assert [m.plain for m in replies] == ["파일을 받지 못했어요. 다시 보내 주세요."]


async def test_a_chunked_download_without_length_is_cut_at_the_cap() -> None:
    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"\x00" * 16384
        try:
            for _ in range(1024):  # 16 MB if nobody stops reading
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    server = await asyncio.start_server(endless, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/file/bot1:x/documents/a"
    try:
        async with AiohttpRequest(max_download_bytes=CAP) as request:
            with pytest.raises(DownloadTooLarge) as caught:
                await request.retrieve(url)
        assert CAP < caught.value.received <= CAP + 64 * 1024
    finally:
        server.close()


async def test_polling_pauses_only_after_a_batch_that_was_not_full(
    emulator: BotApiEmulator,
) -> None:
    """getUpdates with batch_pause: 1-99 updates → the next call waits first (more updates per
    call under load); 100 (a backlog) or none (the long poll ran out) → no pause."""
    requests = build_requests("aiohttp", max_download_bytes=CAP, pool_size=16)
    updates = requests[1]
    assert isinstance(updates, AiohttpRequest)
    updates.batch_pause = 0.25
    async with make_bot(emulator, *requests) as bot:
        user = emulator.user(7301)
        for n in range(3):
            await user.send_text(f"q{n}")
        got = await bot.get_updates(timeout=0)
        assert len(got) == 3 and updates._pause_next == 0.25
        offset = got[-1].update_id + 1
        assert await bot.get_updates(offset=offset, timeout=0) == ()
        assert updates._pause_next == 0.0  # consumed before the call, none after an empty one
        for n in range(120):
            await user.send_text(f"flood {n}")
        full = await bot.get_updates(offset=offset, timeout=0)
        assert len(full) == 100 and updates._pause_next == 0.0
        rest = await bot.get_updates(offset=full[-1].update_id + 1, timeout=0)
        assert len(rest) == 20 and updates._pause_next == 0.25
