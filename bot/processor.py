"""Concurrent update processing that keeps each chat's updates in order, fairly.

PTB ships none (#3575): updates of different chats run concurrently, one chat's updates run one
after another, so a ConversationHandler never sees two updates of one chat at once. An update
first waits for its chat, then for one of the global slots: a chat with a long queue holds at
most one slot, so one flooding chat cannot stall everyone. Beyond `max_pending_per_chat`
queued updates a chat's further updates are dropped, with one notice per flood.

Polling drops a flood's excess before PTB parses it: `filter_raw` (called by the getUpdates
request, bot/request.py) sees each batch as JSON dicts and keeps, per chat, only what the chat's
queue can still take; the rest is never turned into `Update` objects (parsing was most of the
cost of a 10,000-message flood). Later `do_process_update` applies the same cap to whatever
arrives (webhook, or a chat whose raw key is unknown).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

_WIDE = 1 << 30  # "no limit" for PTB's own semaphore
FloodNotice = Callable[[Update], Awaitable[None]]
RawUpdate = dict[str, Any]

# Update kinds whose chat (or user) `filter_raw` reads from the JSON exactly as PTB's
# effective_chat / effective_user would; any other kind passes through untouched.
_CHAT_KINDS = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_message",
        "edited_business_message",
    }
)


@dataclass(frozen=True, slots=True)
class DroppedUpdate:
    """An update dropped as raw JSON (never parsed): what done listeners get for it."""

    update_id: int


def raw_key(raw: RawUpdate) -> int | None:
    """The chat (or, for a callback query without a message, the user) of a raw update, the
    same key `PerChatUpdateProcessor` uses for the parsed one; None when unsure."""
    for kind in _CHAT_KINDS:
        payload = raw.get(kind)
        if payload is not None:
            return _id_of(payload, "chat")
    query = raw.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        if isinstance(message, dict):
            return _id_of(message, "chat")
        return _id_of(query, "from")
    return None


def _id_of(payload: object, field: str) -> int | None:
    if not isinstance(payload, dict):
        return None
    inner = payload.get(field)
    if isinstance(inner, dict):
        value = inner.get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


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
        # Raw updates let through by filter_raw that have not reached do_process_update yet:
        # update_id -> chat, and per chat how many (they count against the chat's cap).
        self._transit_ids: dict[int, int] = {}
        self._transit: dict[int, int] = {}
        # Raw updates let through only to be dropped on arrival: update_id -> send the notice.
        self._drop_ids: dict[int, bool] = {}
        self.dropped_unparsed = 0  # updates filter_raw dropped (or left as a bare update_id)
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

    def queued(self, key: int) -> int:
        """The chat's updates that reached this processor: waiting for their turn or running."""
        return self._waiting.get(key, 0)

    def pending(self, key: int) -> int:
        """The chat's updates queued or running, plus those let through raw and on their way."""
        return self._waiting.get(key, 0) + self._transit.get(key, 0)

    def filter_raw(self, batch: list[RawUpdate]) -> list[RawUpdate]:
        """The updates of a getUpdates batch worth parsing, in their order.

        Per chat, at most what its queue can still take (max_pending_per_chat) passes; of the
        excess, a chat's first one in a flood passes to be dropped on arrival with the notice
        (its chat and language are needed), the others are dropped here, reported done and
        never parsed. The batch's last update always passes (as a bare `{"update_id": n}` when
        it is dropped), so the next offset confirms everything. Updates of other chats, and of
        kinds whose chat is not read here, pass untouched and keep their order.
        """
        kept: list[RawUpdate] = []
        dropped: list[int] = []
        last = len(batch) - 1
        for index, raw in enumerate(batch):
            update_id = raw.get("update_id")
            key = raw_key(raw)
            if key is None or not isinstance(update_id, int) or update_id in self._transit_ids:
                kept.append(raw)  # unknown, or a redelivery already counted
                continue
            if self.pending(key) < self.max_pending_per_chat:
                self._transit_ids[update_id] = key
                self._transit[key] = self._transit.get(key, 0) + 1
                kept.append(raw)
            elif key not in self._flooded:
                self._flooded.add(key)
                log.warning("chat queue full: dropping updates until it drains")
                self._drop_ids[update_id] = True
                kept.append(raw)
            elif index == last:
                self._drop_ids[update_id] = False
                kept.append({"update_id": update_id})
                self.dropped_unparsed += 1
            else:
                dropped.append(update_id)
        self.dropped_unparsed += len(dropped)
        for update_id in dropped:
            self._finished(DroppedUpdate(update_id))
        return kept

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """The chat's turn first, then a global slot (PTB's default takes the slot first)."""
        update_id = getattr(update, "update_id", None)
        if isinstance(update_id, int):
            notify = self._drop_ids.pop(update_id, None)
            if notify is not None:  # filter_raw already decided
                await self._drop(self._key(update), update, coroutine, notify=notify)
                return
            came_raw = self._transit_ids.pop(update_id, None)
            if came_raw is not None:
                left = self._transit[came_raw] - 1
                if left:
                    self._transit[came_raw] = left
                else:
                    del self._transit[came_raw]
        key = self._key(update)
        if self.pending(key) >= self.max_pending_per_chat:
            notify = key not in self._flooded
            if notify:
                self._flooded.add(key)
                log.warning("chat queue full: dropping updates until it drains")
            await self._drop(key, update, coroutine, notify=notify)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
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
                # Evict idle locks so memory does not grow with the number of chats ever seen.
                del self._waiting[key]
                self._locks.pop(key, None)
                self._drained(key)
            self._finished(update)

    def _drained(self, key: int) -> None:
        """The flood is over once nothing of the chat is queued, running or on its way."""
        if self.pending(key) == 0:
            self._flooded.discard(key)

    async def _drop(
        self, key: int, update: object, coroutine: Awaitable[Any], *, notify: bool
    ) -> None:
        if isinstance(coroutine, Coroutine):
            coroutine.close()  # never started: nothing to clean up, no "never awaited" warning
        try:
            if notify and self.on_flood is not None and isinstance(update, Update):
                await self.on_flood(update)
        finally:
            self._drained(key)
            self._finished(update)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
