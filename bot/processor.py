"""Concurrent update processing that keeps each chat's updates in order, fairly.

PTB ships none (#3575): updates of different chats run concurrently, one chat's updates run one
after another, so a ConversationHandler never sees two updates of one chat at once. An update
first waits for its chat, then for one of the global slots: a chat with a long queue holds at
most one slot, so one flooding chat cannot stall everyone. Beyond `max_pending_per_chat`
queued updates a chat's further updates are dropped, with one notice per flood.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

_WIDE = 1 << 30  # "no limit" for PTB's own semaphore
FloodNotice = Callable[[Update], Awaitable[None]]


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Serialise per chat (or per user for chat-less updates); bound the global concurrency."""

    def __init__(
        self,
        max_concurrent_updates: int = 256,
        *,
        max_pending_per_chat: int = 50,
        on_flood: FloodNotice | None = None,
    ) -> None:
        # PTB's process_update (final) takes a global slot before do_process_update; here the
        # chat comes first, so PTB's semaphore is made wide and ours is taken after the lock.
        self._limit = _WIDE  # read by PTB's __init__ to size its semaphore
        super().__init__(_WIDE)
        self._limit = max_concurrent_updates
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._running = 0
        self.max_pending_per_chat = max_pending_per_chat
        self.on_flood = on_flood  # told once per flood (until the chat's queue drains)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._flooded: set[int] = set()
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

    @property
    def max_concurrent_updates(self) -> int:
        """At most this many updates run at once (across chats)."""
        return self._limit

    @property
    def current_concurrent_updates(self) -> int:
        """How many updates hold a global slot now."""
        return self._running

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """The chat's turn first, then a global slot (PTB's default takes the slot first)."""
        key = self._key(update)
        pending = self._waiting.get(key, 0)
        if pending >= self.max_pending_per_chat:
            await self._drop(key, update, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = pending + 1
        try:
            async with lock, self._slots:
                self._running += 1
                try:
                    await coroutine
                finally:
                    self._running -= 1
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:
                # Evict idle locks so memory does not grow with the number of chats ever seen;
                # the flood is over once the chat's queue has drained.
                del self._waiting[key]
                self._locks.pop(key, None)
                self._flooded.discard(key)
            self._finished(update)

    async def _drop(self, key: int, update: object, coroutine: Awaitable[Any]) -> None:
        if isinstance(coroutine, Coroutine):
            coroutine.close()  # never started: nothing to clean up, no "never awaited" warning
        try:
            if key not in self._flooded:
                self._flooded.add(key)
                log.warning("chat queue full: dropping updates until it drains")
                if self.on_flood is not None and isinstance(update, Update):
                    await self.on_flood(update)
        finally:
            self._finished(update)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
