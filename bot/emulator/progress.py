"""What waiting is waited on: updates the bot has processed, calls in flight, chat changes.

`settle()` is causal: the bot side (e.g. `bot.processor.PerChatUpdateProcessor`) reports each
update it has finished, and a waiter returns once every update delivered before it began is
done. Waiting scripted users are woken only by a change in their own chat. The quiet-spell
wait survives only as `wait_quiet`, for bots in another process that cannot report.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools


class Progress:
    """Update ids handed out and processed, settle waiters, per-chat and global change events."""

    def __init__(self) -> None:
        self.last_update_id = 0
        self.reporters = 0  # bot-side processors reporting finished updates
        self._processed_upto = 0  # every update id <= this one is done
        self._processed_ahead: set[int] = set()  # done, but an older one is still running
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []  # heap by target id
        self._order = itertools.count()
        self.calls: set[asyncio.Future[None]] = set()  # Bot API calls being served
        self.activity = 0  # counts changes of any kind
        self.last_activity = 0.0
        self._changed = asyncio.Event()
        self._chat_changed: dict[int, asyncio.Event] = {}

    # ----------------------------------------------------------------- updates

    def new_update_id(self) -> int:
        self.last_update_id += 1
        return self.last_update_id

    @property
    def unprocessed(self) -> int:
        return self.last_update_id - self._processed_upto - len(self._processed_ahead)

    def processed(self, update_id: int) -> None:
        """The bot finished `update_id` (handled, failed or deliberately dropped)."""
        if not self._processed_upto < update_id <= self.last_update_id:
            return  # a redelivery, or not one of ours
        self._processed_ahead.add(update_id)
        while self._processed_upto + 1 in self._processed_ahead:
            self._processed_upto += 1
            self._processed_ahead.discard(self._processed_upto)
        while self._waiters and self._waiters[0][0] <= self._processed_upto:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)

    async def wait_processed(self, target: int, timeout: float) -> None:
        """Until every update id <= `target` is processed; TimeoutError after `timeout` s."""
        if target <= self._processed_upto:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (target, next(self._order), future))
        try:
            await asyncio.wait_for(future, timeout)
        finally:
            if not future.done():
                future.cancel()  # left in the heap; popped (and skipped) when its turn comes

    # ----------------------------------------------------------------- calls

    def call_started(self) -> asyncio.Future[None]:
        call: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.calls.add(call)
        self.touch()
        return call

    def call_finished(self, call: asyncio.Future[None]) -> None:
        self.calls.discard(call)
        if not call.done():
            call.set_result(None)
        self.touch()

    async def wait_calls(self, timeout: float) -> None:
        """Until the calls being served now are answered (not the ones that start later)."""
        if self.calls:
            await asyncio.wait(set(self.calls), timeout=timeout)

    # ----------------------------------------------------------------- change notification

    def touch(self) -> None:
        """Something changed somewhere: wake the global waiters (terminal, webhook, quiet)."""
        self.activity += 1
        self.last_activity = asyncio.get_running_loop().time()
        # Replace the event so waiters wake once and new waiters wait for the next change.
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def chat_changed(self, chat_id: int) -> None:
        """Chat `chat_id` changed: wake only the waiters of that chat."""
        event = self._chat_changed.pop(chat_id, None)
        if event is not None:
            event.set()

    async def wait_change(self, timeout: float, chat_id: int | None = None) -> None:
        """Return at the next change (in chat `chat_id` only, when given) or after `timeout`."""
        if chat_id is None:
            event = self._changed
        else:
            event = self._chat_changed.setdefault(chat_id, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
