"""settle() is causal: it waits for the bot's own "update done" reports, not a quiet spell;
and a waiting scripted user is woken by changes in its own chat only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.emulator import BotApiEmulator, builder_for, polling

App = Application[Any, Any, Any, Any, Any, Any]


class SlowBot:
    """Replies only once `gate` opens: a slow step that makes no Bot API call meanwhile."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        if update.message.text == "slow":
            self.entered.set()
            await self.gate.wait()
        await update.message.reply_text(f"done: {update.message.text}")


@pytest.fixture
async def slow_bot(emulator: BotApiEmulator) -> AsyncIterator[SlowBot]:
    slow = SlowBot()
    app = builder_for(emulator).build()
    app.add_handler(MessageHandler(filters.TEXT, slow.reply))
    async with polling(app, emulator=emulator):
        try:
            yield slow
        finally:
            slow.gate.set()  # a failed test must not leave the bot stuck at shutdown


async def test_settle_waits_for_a_slow_step_without_calls(
    emulator: BotApiEmulator, slow_bot: SlowBot
) -> None:
    user = emulator.user()
    await user.send_text("slow")
    settle = asyncio.create_task(emulator.settle(timeout=30))
    await slow_bot.entered.wait()
    # No call is made while the gate is shut: a quiet-spell settle would return here.
    done, _ = await asyncio.wait({settle}, timeout=0.5)
    assert not done
    slow_bot.gate.set()
    await settle
    assert user.texts() == ["done: slow"]


async def test_settle_does_not_wait_for_updates_sent_after_it(
    emulator: BotApiEmulator, slow_bot: SlowBot
) -> None:
    quick, stuck = emulator.user(1), emulator.user(2)
    replies = await quick.ask("first")
    assert [m.plain for m in replies] == ["done: first"]
    await stuck.send_text("slow")
    await slow_bot.entered.wait()
    settle_second = asyncio.create_task(quick.ask("second"))
    done, _ = await asyncio.wait({settle_second}, timeout=0.5)
    assert not done  # it waits for the stuck update, which was sent before it
    slow_bot.gate.set()
    await settle_second
    assert stuck.texts() == ["done: slow"] and quick.texts()[-1] == "done: second"


async def test_settle_times_out_naming_unprocessed_updates(
    emulator: BotApiEmulator, slow_bot: SlowBot
) -> None:
    await emulator.user().send_text("slow")
    await slow_bot.entered.wait()
    with pytest.raises(TimeoutError, match="1 update\\(s\\) not processed"):
        await emulator.settle(timeout=0.2)
    slow_bot.gate.set()
    await emulator.settle()


async def test_dropped_updates_count_as_processed(emulator: BotApiEmulator) -> None:
    app = builder_for(emulator).build()
    await emulator.user().send_text("never delivered")
    async with polling(app, emulator=emulator):
        await app.bot.delete_webhook(drop_pending_updates=True)
        await emulator.settle(timeout=5)
    assert emulator.pending_updates == 0


async def test_a_waiting_user_is_woken_only_by_its_own_chat(
    emulator: BotApiEmulator, bot_app: App
) -> None:
    busy, waiting = emulator.user(1), emulator.user(2)
    checks = 0

    def replied() -> bool:
        nonlocal checks
        checks += 1
        return waiting.message_count > 0

    waiter = asyncio.create_task(waiting.wait_until(replied, timeout=30))
    for n in range(10):
        await busy.ask(f"noise {n}")
    assert checks == 1  # ten replies elsewhere did not wake it
    await waiting.ask("me")
    await waiter
    assert checks == 2
