"""Fairness under a flood, end to end through the emulator: a chat waits for its own turn
before it takes one of the global slots, and a flooding chat's queue is capped.
"""

from __future__ import annotations

from typing import Any

FLOOD_NOTICE = "메시지가 한꺼번에 너무 많이 와서"


async def test_a_flood_does_not_stall_another_user_and_gets_one_notice(bot: Any) -> None:
    emulator = bot.emulator
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
    finally:
        emulator.release_calls(flooder.chat_id)
    await emulator.settle(timeout=60)
    texts = [m.plain for m in flooder.messages]
    assert sum(FLOOD_NOTICE in text for text in texts) == 1
    assert len(texts) <= 50 + 1  # the capped queue's answers and the notice
    assert emulator.pending_updates == 0
