"""Fairness under a flood, end to end through the emulator: a chat waits for its own turn
before it takes one of the global slots, and a flooding chat's queue is capped; the excess
of a polled flood is dropped as raw JSON, before PTB parses it (filter_raw).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from telegram import Update

from bot.processor import DroppedUpdate, PerChatUpdateProcessor, raw_key
from bot.request import SPARE_CONNECTIONS, AiohttpRequest

FLOOD_NOTICE = "메시지가 한꺼번에 너무 많이 와서"


async def test_a_flood_does_not_stall_another_user_and_gets_one_notice(bot: Any) -> None:
    emulator = bot.emulator
    processor = bot.app.update_processor
    assert isinstance(processor, PerChatUpdateProcessor)
    flooder, quiet = bot.user(8001), bot.user(8002)
    # The flooder's first reply stays unanswered: the flood cannot finish before we say so.
    emulator.hold_calls(flooder.chat_id)
    try:
        for n in range(2000):
            await flooder.send_text(f"인증서 질문 {n}")
        await quiet.send_text("/start")
        greeting = await quiet.next_message(after=0, timeout=30)
        assert "안녕하세요" in greeting.plain
        assert flooder.message_count == 0  # answered while the whole flood was still pending
        # Nothing of the flooder finished: 50 queued, one parsed for the notice, the rest was
        # dropped before PTB parsed it.
        assert processor.dropped_unparsed == 2000 - 50 - 1
    finally:
        emulator.release_calls(flooder.chat_id)
    await emulator.settle(timeout=60)
    texts = [m.plain for m in flooder.messages]
    assert sum(FLOOD_NOTICE in text for text in texts) == 1
    assert len(texts) <= 50 + 1  # the capped queue's answers and the notice
    assert emulator.pending_updates == 0


def _message(update_id: int, chat: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "u", "language_code": "ko"},
            "text": f"q{update_id}",
        },
    }


def _press(update_id: int, chat: int) -> dict[str, Any]:
    user = {"id": chat, "is_bot": False, "first_name": "u"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": user,
            "chat_instance": "c",
            "data": "menu:faq",
            "message": {"message_id": 1, "date": 0, "chat": {"id": chat, "type": "private"}},
        },
    }


def test_raw_key_reads_the_chat_like_ptb() -> None:
    for raw in (_message(1, 42), _press(2, 42)):
        parsed = Update.de_json(raw, None)
        assert parsed.effective_chat is not None
        assert raw_key(raw) == parsed.effective_chat.id == 42
    chatless = {"update_id": 3, "callback_query": {**_press(3, 7)["callback_query"]}}
    del chatless["callback_query"]["message"]
    assert raw_key(chatless) == 7  # the user, as PerChatUpdateProcessor keys it
    assert raw_key({"update_id": 4, "inline_query": {"id": "x", "from": {"id": 9}}}) is None
    assert raw_key({"update_id": 5}) is None


async def test_filter_raw_drops_only_a_flooding_chats_excess() -> None:
    notices: list[Update] = []

    async def on_flood(update: Update) -> None:
        notices.append(update)

    processor = PerChatUpdateProcessor(4, max_pending_per_chat=3, on_flood=on_flood)
    done: list[object] = []
    processor.add_done_listener(done.append)
    flood, other = 100, 200
    user = {"id": flood, "is_bot": False, "first_name": "u"}
    # The flooder's messages and button presses count alike; another chat and an inline
    # query (whose chat is not read) are interleaved.
    batch = [
        _message(1, flood),
        _press(2, flood),
        _message(3, other),
        _message(4, flood),
        _message(5, flood),  # over the cap of 3: passes once, for the notice
        {"update_id": 6, "inline_query": {"id": "x", "from": user, "query": "", "offset": ""}},
        _press(7, flood),
        _message(8, other),
        _message(9, flood),
        _message(10, flood),  # the batch's last: a bare update_id, so the offset moves on
    ]
    kept = processor.filter_raw(batch)
    assert [raw["update_id"] for raw in kept] == [1, 2, 3, 4, 5, 6, 8, 10]
    assert kept[:7] == [batch[i] for i in (0, 1, 2, 3, 4, 5, 7)]  # untouched, in order
    assert kept[-1] == {"update_id": 10}
    assert done == [DroppedUpdate(7), DroppedUpdate(9)]
    assert processor.dropped_unparsed == 3

    # The next batch: the flood goes on, the notice is not given again; the other chat flows.
    more = processor.filter_raw([_message(11, flood), _message(12, other)])
    assert [raw["update_id"] for raw in more] == [12]
    assert done[-1] == DroppedUpdate(11)

    # What passed reaches the processor: queued ones run, the notice carrier and the bare
    # update are dropped on arrival; one notice in all, for the flooder.
    ran: list[int] = []

    async def handle(update_id: int) -> None:
        ran.append(update_id)

    for raw in [*kept, *more]:
        update = Update.de_json(raw, None)
        await processor.process_update(update, handle(update.update_id))
    await asyncio.sleep(0)
    assert sorted(ran) == [1, 2, 3, 4, 6, 8, 12]
    assert [n.update_id for n in notices] == [5]
    assert processor.pending(flood) == 0 and processor.pending(other) == 0

    # The burst has drained: a new burst gets its own notice.
    again = processor.filter_raw([_message(n, flood) for n in range(20, 26)])
    assert [raw["update_id"] for raw in again] == [20, 21, 22, 23, 25]
    for raw in again:
        update = Update.de_json(raw, None)
        await processor.process_update(update, handle(update.update_id))
    assert [n.update_id for n in notices] == [5, 23]


async def _until(condition: Callable[[], bool], what: str) -> None:
    """Let the loop run (bot and emulator share it) until `condition` holds: loop turns, no
    timer; the deadline only turns a hang into a failure that says what was awaited. For
    state of the bot's processor, which no emulator change signals (else ScriptedUser.wait_until)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"never reached: {what}")
        await asyncio.sleep(0)


async def test_max_concurrent_updates_caps_the_chats_handled_at_once(
    bot_factory: Callable[..., Any],
) -> None:
    """MAX_CONCURRENT_UPDATES reaches the processor and the connection pool: with 2, a third
    chat's update waits for a slot while two chats' replies are stuck, and runs once one is
    answered; nothing is lost."""
    bot = await bot_factory(max_concurrent_updates=2)
    emulator, processor = bot.emulator, bot.app.update_processor
    assert isinstance(processor, PerChatUpdateProcessor)
    assert processor.max_concurrent_updates == 2
    request = bot.app.bot.request
    assert isinstance(request, AiohttpRequest) and request.pool_size == 2 + SPARE_CONNECTIONS
    users = [bot.user(8101 + n) for n in range(3)]
    for user in users:
        emulator.hold_calls(user.chat_id)
    try:
        for user in users:
            await user.send_text("/help")
        await _until(
            lambda: (
                emulator.held_waiting.total() == 2
                and sum(processor.queued(u.chat_id) for u in users) == 3
            ),
            "two replies held, all three updates in the processor",
        )
        # Entering a free slot does not yield: a third update with a slot would be running.
        assert processor.current_concurrent_updates == 2
        first = next(u for u in users if emulator.held_waiting[u.chat_id])
        waiting = next(u for u in users if not emulator.held_waiting[u.chat_id])
        emulator.release_calls(first.chat_id)
        await first.wait_for_count(1)  # the released chat answered
        await waiting.wait_until(lambda: emulator.held_waiting[waiting.chat_id] == 1)  # a slot
    finally:
        for user in users:
            emulator.release_calls(user.chat_id)
    await emulator.settle(timeout=30)
    assert [u.message_count for u in users] == [1, 1, 1]
