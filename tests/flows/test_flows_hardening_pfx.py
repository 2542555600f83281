"""H1: a PFX asking for 2^31-1 MAC iterations is refused clearly and stalls no one.

A's chat is held in the emulator (its calls unanswered) while A's upload is in the bot, so the
order is caused, not timed: B's /certs must be answered while A's upload is still in the bot;
after the release A reads the refusal, and B, asking again at once, is answered too (with the
iterations run, the process would spend minutes holding the GIL and neither would come).
"""

from __future__ import annotations

from typing import Any

from bot.certs.testgen import build_pfx
from tests.conftest import PASSWORD, cert
from tests.support import rendered, says

HUGE = 2**31 - 1


def _sent_to(bot: Any, chat_id: int, text: str) -> int:
    """The position of the first sendMessage to `chat_id` whose text contains `text`."""
    for index, (method, params) in enumerate(bot.emulator.calls):
        to_chat = method == "sendMessage" and params.get("chat_id") == chat_id
        if to_chat and text in str(params.get("text", "")):
            return index
    raise LookupError(text)


async def test_a_huge_mac_count_is_refused_while_another_user_is_answered(bot: Any) -> None:
    gen = cert(fmt="pfx")
    hostile = build_pfx(gen.cert_der, gen.private_key_pkcs8_der, PASSWORD, mac_iterations=HUGE)
    attacker, other = bot.user(7901), bot.user(7902)
    await attacker.ask("/register")
    refusal = rendered("errors.unsupported_format")

    bot.emulator.hold_calls(attacker.chat_id)
    before, calls = attacker.message_count, len(bot.emulator.calls)
    await attacker.send_document(hostile, "evil.pfx")
    # Wait on the cause: the bot fetched A's file (A's handler is now inside the upload).
    await attacker.wait_until(
        lambda: any(method == "getFile" for method, _ in bot.emulator.calls[calls:])
    )
    mark = other.message_count
    await other.send_text("/certs")
    reply = await other.next_message(after=mark, timeout=30)
    assert says([reply], "certs.none")
    assert not any(refusal in m.plain for m in attacker.messages_since(before))

    bot.emulator.release_calls(attacker.chat_id)
    mark = other.message_count
    await other.send_text("/certs")  # at once: the refusal's work must not stall the bot
    await attacker.wait_until(
        lambda: any(refusal in m.plain for m in attacker.messages_since(before)), timeout=30
    )
    assert says(attacker.messages_since(before), "errors.unsupported_format")
    assert says([await other.next_message(after=mark, timeout=30)], "certs.none")
    assert _sent_to(bot, other.chat_id, rendered("certs.none")) < _sent_to(
        bot, attacker.chat_id, refusal
    )
    assert [m.deleted for m in attacker.user_messages if m.kind == "document"] == [True]
