"""A local Telegram Bot API server on loopback: the emulator behind chat mode, tests and benches.

The bot talks to it over real HTTP exactly as it talks to api.telegram.org (tornado on the
running asyncio loop); scripted users (`user.py`) inject updates and read what the bot did.
The parts: `transport.py` (HTTP), `updates.py` (getUpdates, webhooks), `methods.py` (the
other methods), `records.py` (chats and files), `progress.py` (what settle() waits on).
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import mimetypes
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePath
from types import TracebackType
from typing import Any, Protocol, Self

import tornado.httpserver
import tornado.httputil

from .errors import ApiError
from .methods import MESSAGE_METHODS, MessageMethods
from .params import Params, normalise, scope_key
from .progress import Progress
from .records import ChatState, StoredFile, UserRecord
from .transport import Request, serve
from .updates import RELEASED, UPDATE_METHODS, UpdateDelivery
from .user import ScriptedUser

CALLS_KEPT = 10_000

_Method = Callable[[Params, Request], Any]


class ProcessorWithListeners(Protocol):
    """A bot-side update processor that reports each update it has finished."""

    def add_done_listener(self, listener: Callable[[object], None]) -> None: ...

    def remove_done_listener(self, listener: Callable[[object], None]) -> None: ...


@dataclass
class _Failure:
    error_code: int
    description: str
    remaining: int
    retry_after: int | None


class BotApiEmulator(MessageMethods, UpdateDelivery):
    """A Telegram Bot API server on 127.0.0.1 plus the state of every emulated chat."""

    def __init__(
        self,
        *,
        token: str = "123456789:EMULATOR-TOKEN",
        bot_username: str = "kcert_local_bot",
        bot_first_name: str = "kcert-bot",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        bot_id, sep, _ = token.partition(":")
        if not sep or not bot_id.isdigit():
            raise ValueError("token must look like '<digits>:<secret>'")
        self.token = token
        self.bot_id = int(bot_id)
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self._host = host
        self._port = port
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._chats: dict[int, ChatState] = {}
        self._users: dict[int, ScriptedUser] = {}
        self._updates: deque[dict[str, Any]] = deque()
        self._poll = None
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._query_numbers = itertools.count(4_000_000_000_000_000_001)
        self._query_chat: dict[str, int] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._seq = 0
        self._progress = Progress()
        self._held: dict[int, asyncio.Event] = {}
        # Per held chat, its calls now waiting for release_calls (a test sees what is stuck).
        self.held_waiting: collections.Counter[int] = collections.Counter()
        self._webhook = None
        self._webhook_task = None
        self.webhook_deliveries: list[tuple[int, int]] = []
        self._server: tornado.httpserver.HTTPServer | None = None
        self._bound_port: int | None = None
        self._methods: dict[str, _Method] = {
            name.lower(): getattr(self, f"_api_{name}")
            for name in (*UPDATE_METHODS, *MESSAGE_METHODS)
        }
        self._long_poll = self._methods["getupdates"]

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Bind the port and serve on the running loop."""
        if self._server is not None:
            return
        self._server, self._bound_port = serve(self, self._host, self._port)
        self._progress.touch()

    async def stop(self) -> None:
        """Release any pending long poll and close the socket and open connections."""
        self._end_poll(RELEASED)
        await self._stop_webhook()
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            await server.close_all_connections()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """Root URL to use as TELEGRAM_API_URL; the bot appends /bot and /file/bot."""
        if self._bound_port is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self._host}:{self._bound_port}"

    # ----------------------------------------------------------------- test-facing API

    def user(
        self,
        user_id: int = 1001,
        *,
        first_name: str = "테스트",
        language_code: str | None = "ko",
        username: str | None = None,
    ) -> ScriptedUser:
        """The scripted user `user_id`, in a private chat whose id equals the user id."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        user_json: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat_json: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        if username is not None:
            user_json["username"] = chat_json["username"] = username
        if language_code is not None:
            user_json["language_code"] = language_code
        self._chats[user_id] = ChatState(user_json, chat_json)
        self._users[user_id] = ScriptedUser(self, user_id)
        return self._users[user_id]

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        times: int = 1,
        *,
        retry_after: int | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail with this error (e.g. a 429)."""
        self._failures.setdefault(method.lower(), deque()).append(
            _Failure(error_code, description, times, retry_after)
        )

    def mark(self) -> int:
        """A position in the change history; pass it to `ScriptedUser.changes_since`."""
        return self._seq

    def my_commands(
        self, *, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """The command list set for exactly this scope and language (no fallback)."""
        return list(self.commands.get((scope_key(scope), language_code), []))

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot."""
        return len(self._updates)

    def hold_calls(self, chat_id: int) -> None:
        """Keep the bot's calls for chat `chat_id` unanswered until `release_calls` (a stuck
        chat, to show that other chats do not wait for it)."""
        self._held.setdefault(chat_id, asyncio.Event())

    def release_calls(self, chat_id: int) -> None:
        held = self._held.pop(chat_id, None)
        if held is not None:
            held.set()

    async def _wait_held(self, chat_id: int, held: asyncio.Event) -> None:
        """One call of a held chat, counted in `held_waiting` (a change of that chat for its
        waiting scripted user) until `release_calls`."""
        self.held_waiting[chat_id] += 1
        self._progress.chat_changed(chat_id)
        try:
            await held.wait()
        finally:
            self.held_waiting[chat_id] -= 1
            self._progress.chat_changed(chat_id)

    # ----------------------------------------------------------------- waiting on the bot

    def connect_processor(self, processor: ProcessorWithListeners) -> Callable[[], None]:
        """Let the bot's update processor report finished updates; returns the disconnect.

        From then on `settle()` is causal: it waits for those reports, not for a quiet spell.
        """
        processor.add_done_listener(self._on_update_done)
        self._progress.reporters += 1

        def disconnect() -> None:
            processor.remove_done_listener(self._on_update_done)
            self._progress.reporters -= 1

        return disconnect

    def _on_update_done(self, update: object) -> None:
        update_id = getattr(update, "update_id", None)
        if isinstance(update_id, int):
            self.update_processed(update_id)

    def update_processed(self, update_id: int) -> None:
        """The bot has finished update `update_id` (for bots that report by hand)."""
        self._progress.processed(update_id)

    @property
    def follows_bot(self) -> bool:
        """Whether a bot reports finished updates (settle() is then causal)."""
        return self._progress.reporters > 0

    async def settle(self, *, timeout: float = 10.0, quiet: float = 0.08) -> None:
        """Wait until the bot has processed every update sent so far, and its calls are answered.

        Causal when a bot is connected (`connect_processor`): it returns once every update
        delivered before the call is reported done, and then once the API calls in flight at
        that moment (e.g. from a job) are answered. Updates sent later are not waited for.
        With no bot reporting (a bot in another process), it falls back to `settle_by_quiet`.
        """
        if not self.follows_bot:
            await self.settle_by_quiet(quiet=quiet, timeout=timeout)
            return
        progress = self._progress
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            await progress.wait_processed(progress.last_update_id, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"bot did not settle within {timeout}s: {progress.unprocessed} update(s) not "
                f"processed, {len(self._updates)} unconfirmed"
            ) from None
        await progress.wait_calls(max(0.0, deadline - loop.time()))

    async def settle_by_quiet(self, *, quiet: float = 0.08, timeout: float = 10.0) -> None:
        """Timing fallback for bots that cannot report (another process, e.g. the bench
        echo bot): wait until every update is confirmed, no call is in flight and nothing
        happened for `quiet` seconds. A slow step without calls can end it early: prefer
        `settle()` with a connected processor."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        progress = self._progress
        while True:
            now = loop.time()
            busy = bool(self._updates) or bool(progress.calls)
            idle = now - progress.last_activity
            if not busy and idle >= quiet:
                return
            remaining = deadline - now
            if remaining <= 0:
                raise TimeoutError(
                    f"bot did not settle within {timeout}s: {len(self._updates)} unconfirmed "
                    f"update(s), {len(progress.calls)} call(s) in flight"
                )
            await progress.wait_change(remaining if busy else min(quiet - idle, remaining))

    async def wait_for_change(self, timeout: float, *, chat_id: int | None = None) -> None:
        """Return at the next change (in chat `chat_id` only, when given) or after `timeout`."""
        await self._progress.wait_change(timeout, chat_id)

    # ----------------------------------------------------------------- used by ScriptedUser

    def chat(self, chat_id: int) -> ChatState:
        """The state of a private chat (`user()` creates it)."""
        return self._chats[chat_id]

    def send_user_message(
        self,
        user_id: int,
        kind: str,
        content: dict[str, Any],
        *,
        text: str | None = None,
        file_name: str | None = None,
    ) -> int:
        """User `user_id` sends a message (`content` = the kind's fields); returns its id."""
        chat = self._chats[user_id]
        message_id = chat.new_message_id()
        message = {
            "message_id": message_id,
            "from": chat.user_json,
            "chat": chat.chat_json,
            "date": int(time.time()),
            **content,
        }
        chat.records[message_id] = UserRecord(message_id, kind, text, file_name)
        chat.user_ids.append(message_id)
        self.push_update("message", message)
        return message_id

    def send_callback_query(self, user_id: int, data: str, message_id: int) -> str:
        """User `user_id` presses a button with `data` on `message_id`; returns the query id."""
        chat = self._chats[user_id]
        record = chat.records.get(message_id)
        if record is not None and not isinstance(record, UserRecord) and not record.deleted:
            message = record.to_json(self.bot_sender(), chat.chat_json)
        else:
            # What Telegram sends for a message the bot can no longer see.
            message = {"chat": chat.chat_json, "message_id": message_id, "date": 0}
        query_id = str(next(self._query_numbers))
        chat.query_ids.append(query_id)
        self._query_chat[query_id] = user_id
        self.push_update(
            "callback_query",
            {
                "id": query_id,
                "from": chat.user_json,
                "message": message,
                "chat_instance": str(7_000_000_000_000 + user_id),
                "data": data,
            },
        )
        return query_id

    def store_file(
        self,
        data: bytes,
        file_name: str | None,
        mime_type: str | None,
        folder: str,
        *,
        declared_size: int | None = None,
    ) -> StoredFile:
        """Keep a file for getFile/download; `declared_size` makes Telegram report another size."""
        number = next(self._file_numbers)
        suffix = PurePath(file_name).suffix if file_name else ""
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        stored = StoredFile(
            file_id=f"BQACAgUAAxkBAAI{number:06d}-{self.bot_id}",
            file_unique_id=f"AgAD{number:06d}",
            data=bytes(data),
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{folder}/file_{number}{suffix}",
            declared_size=declared_size,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    # ----------------------------------------------------------------- HTTP entry points

    async def handle_call(
        self, token: str, method: str, params: Params, request: Request
    ) -> tuple[int, dict[str, Any]]:
        """Run one Bot API call (the transport's entry); returns HTTP status and envelope."""
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        handler = self._methods.get(method.lower())
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        # A long poll is idle waiting, not work: it must not hold settle() back.
        call = None if handler == self._long_poll else self._progress.call_started()
        try:
            params = normalise(params)
            chat_id = params.get("chat_id")
            if isinstance(chat_id, int) and (held := self._held.get(chat_id)) is not None:
                await self._wait_held(chat_id, held)
            self._log_call(method, params, request.files)
            failure = self._take_failure(method)
            if failure is not None:
                raise failure
            result = handler(params, request)
            if isinstance(result, Awaitable):
                result = await result
            return 200, {"ok": True, "result": result}
        except ApiError as error:
            return error.error_code, error.envelope()
        finally:
            if call is not None:
                self._progress.call_finished(call)

    def file_bytes(self, token: str, path: str) -> bytes | None:
        """The bytes behind a file_path (None: unknown file or wrong token)."""
        if token != self.token:
            return None
        stored = self._files_by_path.get(path)
        return stored.data if stored else None

    def _log_call(
        self, method: str, params: Params, files: dict[str, list[tornado.httputil.HTTPFile]]
    ) -> None:
        logged = dict(params)
        for name, uploads in files.items():
            logged[name] = {"file_name": uploads[0].filename, "size": len(uploads[0].body)}
        self.calls.append((method, logged))
        if len(self.calls) > CALLS_KEPT + CALLS_KEPT // 10:
            # Trim in batches so that appending stays O(1) amortised.
            del self.calls[: len(self.calls) - CALLS_KEPT]

    def _take_failure(self, method: str) -> ApiError | None:
        queue = self._failures.get(method.lower())
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.popleft()
        parameters = {"retry_after": failure.retry_after} if failure.retry_after else None
        return ApiError(failure.error_code, failure.description, parameters)
