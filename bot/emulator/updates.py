"""Getting updates to the bot: the update queue, long polling (getUpdates) and webhooks.

A mixin of `BotApiEmulator`. Updates dropped here (drop_pending_updates, a negative offset)
count as processed, so a causal settle() never waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from collections import deque
from typing import TYPE_CHECKING, Any

import httpx

from .errors import CONFLICT, WEBHOOK_CONFLICT, ApiError, bad
from .params import Params

if TYPE_CHECKING:
    import tornado.httpserver

    from .progress import Progress
    from .transport import Request

UPDATE_METHODS = ("getUpdates", "deleteWebhook", "setWebhook", "getWebhookInfo")

# A pending long poll ends with one of these results.
WOKEN, TERMINATED, RELEASED = "woken", "terminated", "released"


class UpdateDelivery:
    """The queue of updates not yet confirmed, and the two ways of handing them out."""

    _progress: Progress
    _server: tornado.httpserver.HTTPServer | None
    _updates: deque[dict[str, Any]]
    _poll: asyncio.Future[str] | None
    # Webhook mode (setWebhook): updates are POSTed to the bot instead of polled.
    _webhook: tuple[str, str | None] | None
    _webhook_task: asyncio.Task[None] | None
    webhook_deliveries: list[tuple[int, int]]  # (update_id, HTTP status)

    def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue an update of `kind` (message, callback_query, ...); returns its update_id."""
        update_id = self._progress.new_update_id()
        self._updates.append({"update_id": update_id, kind: payload})
        self._progress.touch()
        self._end_poll(WOKEN)
        return update_id

    def _drop(self, update: dict[str, Any]) -> None:
        self._progress.processed(int(update["update_id"]))

    def _end_poll(self, outcome: str) -> None:
        poll, self._poll = self._poll, None
        if poll is not None and not poll.done():
            poll.set_result(outcome)

    def _confirm(self, offset: int) -> None:
        before = len(self._updates)
        if offset < 0:
            # Negative offset: keep only the last -offset updates, forget the rest.
            while len(self._updates) > -offset:
                self._drop(self._updates.popleft())
        else:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        if len(self._updates) != before:
            self._progress.touch()

    def _clear(self) -> None:
        while self._updates:
            self._drop(self._updates.popleft())

    async def _api_getUpdates(self, params: Params, request: Request) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = params.get("offset")
        limit = params.get("limit")
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = params.get("timeout")
        timeout = max(timeout, 0) if isinstance(timeout, int) else 0
        if isinstance(offset, int) and offset != 0:
            self._confirm(offset)
        # Like Telegram, the newest request wins and the older pending one gets the 409.
        self._end_poll(TERMINATED)
        if not self._updates and timeout > 0 and self._server is not None:
            poll: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._poll = poll
            waiters: set[asyncio.Future[Any]] = {poll, request.closed}
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if self._poll is poll:
                self._poll = None
            if poll.done() and poll.result() == TERMINATED:
                raise ApiError(409, CONFLICT)
            if request.closed.done():
                return []  # nobody is listening: hand these updates to the next request
        batch = list(itertools.islice(self._updates, limit))
        if batch:
            self._progress.touch()
        return batch

    async def _api_deleteWebhook(self, params: Params, request: Request) -> bool:
        await self._stop_webhook()
        if params.get("drop_pending_updates"):
            self._clear()
            self._progress.touch()
        return True

    async def _api_setWebhook(self, params: Params, request: Request) -> bool:
        url = params.get("url")
        if not isinstance(url, str) or not url:
            await self._stop_webhook()
            return True
        if not url.startswith(("http://", "https://")):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad("bad webhook: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._clear()
        await self._stop_webhook()
        self._webhook = (url, str(secret) if secret is not None else None)
        self._end_poll(TERMINATED)
        self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhook())
        return True

    def _api_getWebhookInfo(self, params: Params, request: Request) -> dict[str, Any]:
        return {
            "url": self._webhook[0] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _stop_webhook(self) -> None:
        self._webhook = None
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver_webhook(self) -> None:
        """POST queued updates one at a time, as Telegram does; retry until the bot answers 2xx."""
        async with httpx.AsyncClient(timeout=10) as client:
            while self._webhook is not None:
                if not self._updates:
                    await self._progress.wait_change(1.0)
                    continue
                url, secret = self._webhook
                update = self._updates[0]
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                call = self._progress.call_started()
                try:
                    response = await client.post(url, json=update, headers=headers)
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0
                finally:
                    self._progress.call_finished(call)
                self.webhook_deliveries.append((update["update_id"], status))
                if 200 <= status < 300:
                    if self._updates and self._updates[0] is update:
                        self._updates.popleft()
                    self._progress.touch()
                else:
                    await asyncio.sleep(0.2)
