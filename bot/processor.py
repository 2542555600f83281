"""Concurrent update processing that keeps each chat's updates in order.

PTB ships none (#3575): updates of different chats run concurrently, one chat's updates run one
after another, so a ConversationHandler never sees two updates of one chat at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Serialise per chat (or per user for chat-less updates); bound the global concurrency."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._done_listeners: list[Callable[[object], None]] = []

    def add_done_listener(self, listener: Callable[[object], None]) -> None:
        """Call `listener(update)` whenever an update is finished (handled, failed or dropped).

        The test harness connects the emulator here, so waiting is on the bot's own signal.
        """
        self._done_listeners.append(listener)

    def remove_done_listener(self, listener: Callable[[object], None]) -> None:
        if listener in self._done_listeners:
            self._done_listeners.remove(listener)

    def _finished(self, update: object) -> None:
        for listener in tuple(self._done_listeners):
            listener(update)

    @staticmethod
    def _key(update: object) -> int:
        if isinstance(update, Update):
            if update.effective_chat is not None:
                return update.effective_chat.id
            if update.effective_user is not None:
                return update.effective_user.id
        return 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self._key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:
                # Evict idle locks so memory does not grow with the number of chats ever seen.
                del self._waiting[key]
                self._locks.pop(key, None)
            self._finished(update)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
