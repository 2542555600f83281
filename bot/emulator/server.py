"""A local Telegram Bot API server on loopback: the emulator behind chat mode, tests and benches.

The bot talks to it over real HTTP exactly as it talks to api.telegram.org (tornado on the
running asyncio loop); scripted users (`user.py`) inject updates and read what the bot did.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import mimetypes
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from types import TracebackType
from typing import Any, Self

import httpx
import tornado.httpserver
import tornado.httputil
import tornado.netutil
import tornado.web

from .markup import EntityParseError, ParsedText, html_to_text, parse_html
from .models import BotMessage, Button, CallbackAnswer, ChatEvent, DocumentInfo, UserMessage
from .user import ScriptedUser

_LOGGER = logging.getLogger(__name__)

# Limits of the real Bot API (see docs/telegram.md).
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
MAX_UPLOAD_SIZE = 50 * 1024 * 1024
CALLS_KEPT = 10_000

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)

# Form values arrive as strings; PTB JSON-encodes everything that is not a str, so these are
# turned back into the types a JSON body would have carried.
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "allowed_updates",
        "menu_button",
        "message_ids",
        "media",
    }
)
_INT_PARAMS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "cache_time",
        "reply_to_message_id",
        "message_thread_id",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "show_alert",
        "protect_content",
        "disable_notification",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "disable_content_type_detection",
    }
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_INTEGER = re.compile(r"-?\d+")


class ApiError(Exception):
    """A Bot API error response: {"ok": false, "error_code": ..., "description": ...}."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str

    def document_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name is not None:
            doc["file_name"] = self.file_name
        if self.mime_type is not None:
            doc["mime_type"] = self.mime_type
        return doc

    def info(self) -> DocumentInfo:
        return DocumentInfo(
            self.file_id,
            self.file_unique_id,
            self.file_name,
            self.mime_type,
            len(self.data),
            self.data,
        )


@dataclass
class _BotRecord:
    """A bot message as stored: the parsed content plus what tests want to know about it."""

    message_id: int
    chat_id: int
    date: int
    source: str  # text or caption exactly as the bot sent it
    parse_mode: str | None
    parsed: ParsedText
    markup: dict[str, Any] | None  # inline keyboard only: Telegram returns no other markup
    document: _StoredFile | None
    protect_content: bool
    changed_seq: int
    plain: str = ""
    buttons: list[list[Button]] = field(default_factory=list)
    edit_date: int | None = None
    deleted: bool = False
    deleted_seq: int = 0

    def __post_init__(self) -> None:
        self._derive()

    def _derive(self) -> None:
        # Computed once per change so that snapshots stay cheap under benchmark load.
        if (self.parse_mode or "").lower() == "html":
            self.plain = html_to_text(self.source)
        elif self.parse_mode:
            self.plain = self.parsed.text
        else:
            self.plain = self.source
        rows = (self.markup or {}).get("inline_keyboard", [])
        self.buttons = [
            [Button(b["text"], b.get("callback_data"), b.get("url")) for b in row] for row in rows
        ]

    def set_content(
        self, source: str, parse_mode: str | None, parsed: ParsedText, seq: int
    ) -> None:
        self.source, self.parse_mode, self.parsed = source, parse_mode, parsed
        self._edited(seq)

    def set_markup(self, markup: dict[str, Any] | None, seq: int) -> None:
        self.markup = markup
        self._edited(seq)

    def _edited(self, seq: int) -> None:
        self.edit_date = int(time.time())
        self.changed_seq = seq
        self._derive()

    def to_json(self, sender: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": sender,
            "chat": chat,
            "date": self.date,
        }
        if self.document is not None:
            message["document"] = self.document.document_json()
            if self.parsed.text:
                message["caption"] = self.parsed.text
                if self.parsed.entities:
                    message["caption_entities"] = self.parsed.entities
        else:
            message["text"] = self.parsed.text
            if self.parsed.entities:
                message["entities"] = self.parsed.entities
        if self.markup is not None:
            message["reply_markup"] = self.markup
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.protect_content:
            message["has_protected_content"] = True
        return message

    def snapshot(self) -> BotMessage:
        return BotMessage(
            message_id=self.message_id,
            chat_id=self.chat_id,
            text=self.source,
            plain=self.plain,
            buttons=[list(row) for row in self.buttons],
            deleted=self.deleted,
            edited=self.edit_date is not None,
            document=self.document.info() if self.document else None,
            date=self.date,
            protect_content=self.protect_content,
            parse_mode=self.parse_mode,
        )


@dataclass
class _UserRecord:
    message_id: int
    kind: str
    text: str | None
    file_name: str | None
    deleted: bool = False
    deleted_seq: int = 0

    def snapshot(self) -> UserMessage:
        return UserMessage(self.message_id, self.kind, self.text, self.deleted, self.file_name)


@dataclass
class _Chat:
    """One private chat: the user, the shared message-id counter and everything said."""

    user_json: dict[str, Any]
    chat_json: dict[str, Any]
    next_message_id: int = 1
    records: dict[int, _BotRecord | _UserRecord] = field(default_factory=dict)
    bot_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    query_ids: list[str] = field(default_factory=list)
    answered: dict[str, tuple[int, CallbackAnswer]] = field(default_factory=dict)
    reply_keyboard: list[list[str]] | None = None

    @property
    def chat_id(self) -> int:
        return int(self.chat_json["id"])

    def new_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class _Failure:
    error_code: int
    description: str
    remaining: int
    retry_after: int | None


# A pending long poll ends with one of these results.
_WOKEN, _TERMINATED, _RELEASED = "woken", "terminated", "released"

Params = dict[str, Any]
_Method = Callable[[Params, "_Request"], Any]


@dataclass
class _Request:
    """What a method handler needs beyond its parameters."""

    files: dict[str, list[tornado.httputil.HTTPFile]]
    closed: asyncio.Future[None]  # resolved when the client drops the connection


class BotApiEmulator:
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
        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, ScriptedUser] = {}
        self._updates: deque[dict[str, Any]] = deque()
        self._next_update_id = 1
        self._poll: asyncio.Future[str] | None = None
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._query_numbers = itertools.count(4_000_000_000_000_000_001)
        self._query_chat: dict[str, int] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._seq = 0
        self._inflight = 0
        self._last_activity = 0.0
        self._activity = 0  # counts changes; identifies the moment a settle() saw quiet
        self._settled: tuple[int, float] = (-1, 0.0)
        self._changed = asyncio.Event()
        # Webhook mode (setWebhook): updates are POSTed to the bot instead of polled.
        self._webhook: tuple[str, str | None] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status)
        self._server: tornado.httpserver.HTTPServer | None = None
        self._bound_port: int | None = None
        self._methods: dict[str, _Method] = {
            name.lower(): getattr(self, f"_api_{name}")
            for name in (
                "getMe",
                "logOut",
                "close",
                "getUpdates",
                "deleteWebhook",
                "setWebhook",
                "getWebhookInfo",
                "setMyCommands",
                "deleteMyCommands",
                "getMyCommands",
                "setMyDescription",
                "setMyShortDescription",
                "setMyName",
                "setChatMenuButton",
                "getChat",
                "sendMessage",
                "editMessageText",
                "editMessageCaption",
                "editMessageReplyMarkup",
                "deleteMessage",
                "deleteMessages",
                "answerCallbackQuery",
                "sendChatAction",
                "sendDocument",
                "getFile",
            )
        }

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Bind the port and serve on the running loop."""
        if self._server is not None:
            return
        app = tornado.web.Application(
            [
                (r"/bot([^/]+)/([^/]+)", _ApiHandler, {"emulator": self}),
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"emulator": self}),
            ],
            log_function=_log_request,
        )
        sockets = tornado.netutil.bind_sockets(self._port, self._host)
        self._server = tornado.httpserver.HTTPServer(
            app, max_body_size=MAX_UPLOAD_SIZE + 1024 * 1024
        )
        self._server.add_sockets(sockets)
        self._bound_port = sockets[0].getsockname()[1]
        self._last_activity = asyncio.get_running_loop().time()

    async def stop(self) -> None:
        """Release any pending long poll and close the socket and open connections."""
        self._end_poll(_RELEASED)
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
        self._chats[user_id] = _Chat(user_json, chat_json)
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

    @contextlib.contextmanager
    def working(self) -> Iterator[None]:
        """Mark work the bot does between Bot API calls (e.g. a key operation in another
        process) as in flight, so `settle` waits for its cause instead of a quiet spell."""
        self._inflight += 1
        self._touch()
        try:
            yield
        finally:
            self._inflight -= 1
            self._touch()

    def mark(self) -> int:
        """A position in the change history; pass it to `ScriptedUser.changes_since`."""
        return self._seq

    def my_commands(
        self, *, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """The command list set for exactly this scope and language (no fallback)."""
        return list(self.commands.get((_scope_key(scope), language_code), []))

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot."""
        return len(self._updates)

    async def settle(self, *, quiet: float = 0.08, timeout: float = 10.0) -> None:
        """Wait until the bot confirmed every update and then made no call for `quiet` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        start = self._activity
        while True:
            # Another waiter may already have seen the chat settle after we began: accept that
            # moment, or concurrent users (one of whom sends again at once) would each wait
            # for a quiet spell of their own and a 50-user bench would run one user at a time.
            seen, seen_quiet = self._settled
            if seen >= start and seen_quiet >= quiet:
                return
            now = loop.time()
            busy = bool(self._updates) or self._inflight > 0
            idle = now - self._last_activity
            if not busy and idle >= quiet:
                self._settled = (self._activity, quiet)
                return
            remaining = deadline - now
            if remaining <= 0:
                raise TimeoutError(
                    f"bot did not settle within {timeout}s: {len(self._updates)} unconfirmed "
                    f"update(s), {self._inflight} call(s) in flight"
                )
            wait = remaining if busy else min(quiet - idle, remaining)
            # Woken early by any activity; the loop then re-evaluates.
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), wait)

    async def wait_for_change(self, timeout: float) -> None:
        """Return at the next change in any chat (or after `timeout` seconds)."""
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    # ----------------------------------------------------------------- used by ScriptedUser

    def _chat_of(self, user_id: int) -> _Chat:
        return self._chats[user_id]

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _touch(self) -> None:
        self._activity += 1
        self._last_activity = asyncio.get_running_loop().time()
        # Replace the event so waiters wake once and new waiters wait for the next change.
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def _push_update(self, kind: str, payload: dict[str, Any]) -> None:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._updates.append(update)
        self._touch()
        self._end_poll(_WOKEN)

    def _user_message(
        self,
        user_id: int,
        kind: str,
        content: dict[str, Any],
        *,
        text: str | None = None,
        file_name: str | None = None,
    ) -> int:
        chat = self._chats[user_id]
        message_id = chat.new_message_id()
        message = {
            "message_id": message_id,
            "from": chat.user_json,
            "chat": chat.chat_json,
            "date": int(time.time()),
            **content,
        }
        chat.records[message_id] = _UserRecord(message_id, kind, text, file_name)
        chat.user_ids.append(message_id)
        self._push_update("message", message)
        return message_id

    def _callback_query(self, user_id: int, data: str, message_id: int) -> str:
        chat = self._chats[user_id]
        record = chat.records.get(message_id)
        if isinstance(record, _BotRecord) and not record.deleted:
            message = record.to_json(self._bot_sender(), chat.chat_json)
        else:
            # What Telegram sends for a message the bot can no longer see.
            message = {"chat": chat.chat_json, "message_id": message_id, "date": 0}
        query_id = str(next(self._query_numbers))
        chat.query_ids.append(query_id)
        self._query_chat[query_id] = user_id
        self._push_update(
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

    def _store_file(
        self, data: bytes, file_name: str | None, mime_type: str | None, folder: str
    ) -> _StoredFile:
        number = next(self._file_numbers)
        suffix = PurePath(file_name).suffix if file_name else ""
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        stored = _StoredFile(
            file_id=f"BQACAgUAAxkBAAI{number:06d}-{self.bot_id}",
            file_unique_id=f"AgAD{number:06d}",
            data=bytes(data),
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{folder}/file_{number}{suffix}",
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _bot_messages(self, user_id: int, start: int = 0) -> list[BotMessage]:
        chat = self._chats[user_id]
        records = (chat.records[i] for i in chat.bot_ids[start:])
        return [r.snapshot() for r in records if isinstance(r, _BotRecord)]

    def _bot_message_count(self, user_id: int) -> int:
        return len(self._chats[user_id].bot_ids)

    def _user_messages(self, user_id: int) -> list[UserMessage]:
        chat = self._chats[user_id]
        records = (chat.records[i] for i in chat.user_ids)
        return [r.snapshot() for r in records if isinstance(r, _UserRecord)]

    def _events_since(self, user_id: int, mark: int) -> list[ChatEvent]:
        chat = self._chats[user_id]
        events: list[ChatEvent] = []
        for record in chat.records.values():
            if isinstance(record, _BotRecord):
                if record.changed_seq > mark:
                    events.append(ChatEvent(record.changed_seq, "message", record.snapshot()))
                if record.deleted_seq > mark:
                    events.append(
                        ChatEvent(record.deleted_seq, "bot_deleted", message_id=record.message_id)
                    )
            elif record.deleted_seq > mark:
                events.append(
                    ChatEvent(record.deleted_seq, "user_deleted", message_id=record.message_id)
                )
        for seq, answer in chat.answered.values():
            if seq > mark:
                events.append(ChatEvent(seq, "answer", answer=answer))
        events.sort(key=lambda event: event.seq)
        return events

    # ----------------------------------------------------------------- HTTP entry points

    async def _handle(
        self, token: str, method: str, params: Params, request: _Request
    ) -> tuple[int, dict[str, Any]]:
        """Run one Bot API call; returns the HTTP status and the JSON envelope."""
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        handler = self._methods.get(method.lower())
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        long_poll = handler == self._api_getUpdates
        if not long_poll:
            # A long poll is idle waiting, not work: it must not hold settle() back.
            self._inflight += 1
            self._touch()
        try:
            params = _normalise(params)
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
            if not long_poll:
                self._inflight -= 1
                self._touch()

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

    def _file_bytes(self, token: str, path: str) -> bytes | None:
        if token != self.token:
            return None
        stored = self._files_by_path.get(path)
        return stored.data if stored else None

    # ----------------------------------------------------------------- helpers for methods

    def _bot_sender(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _chat(self, params: Params) -> _Chat:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _message_id(self, params: Params, missing: str) -> int:
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad(missing)
        return message_id

    def _parse(self, text: str, parse_mode: str | None, entities: Any, *, what: str) -> ParsedText:
        mode = (parse_mode or "").lower()
        if mode == "html":
            try:
                parsed = parse_html(text)
            except EntityParseError as error:
                raise _bad(f"can't parse entities: {error}") from None
        elif mode:
            # Markdown modes are passed through unparsed: this project writes HTML.
            parsed = ParsedText(text)
        else:
            parsed = ParsedText(text, list(entities) if isinstance(entities, list) else [])
        limit = MAX_CAPTION_LENGTH if what == "caption" else MAX_TEXT_LENGTH
        if len(parsed.text) > limit:
            raise _bad(
                "message caption is too long" if what == "caption" else "message is too long"
            )
        if what == "text" and not parsed.text.strip():
            raise _bad("message text is empty")
        return parsed

    def _markup(self, raw: Any, chat: _Chat) -> dict[str, Any] | None:
        """Validate reply_markup; returns the inline keyboard to store (None for others)."""
        if raw is None or raw == "":
            return None
        if not isinstance(raw, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in raw:
            rows = raw["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad("can't parse reply keyboard markup JSON object")
            clean = [[_inline_button(button) for button in row] for row in rows if row]
            return {"inline_keyboard": clean} if clean else None
        if isinstance(raw.get("keyboard"), list):
            chat.reply_keyboard = [
                [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
                for row in raw["keyboard"]
            ]
        elif raw.get("remove_keyboard"):
            chat.reply_keyboard = None
        return None

    def _bot_record(self, chat: _Chat, params: Params) -> _BotRecord:
        """The bot message an edit targets, or the error Telegram gives for it."""
        record = chat.records.get(self._message_id(params, "message to edit not found"))
        if record is None or record.deleted:
            raise _bad("message to edit not found")
        if not isinstance(record, _BotRecord):
            raise _bad("message can't be edited")
        return record

    def _new_bot_message(
        self,
        chat: _Chat,
        params: Params,
        *,
        source: str,
        parsed: ParsedText,
        document: _StoredFile | None = None,
    ) -> dict[str, Any]:
        markup = self._markup(params.get("reply_markup"), chat)
        record = _BotRecord(
            message_id=chat.new_message_id(),
            chat_id=chat.chat_id,
            date=int(time.time()),
            source=source,
            parse_mode=params.get("parse_mode"),
            parsed=parsed,
            markup=markup,
            document=document,
            protect_content=bool(params.get("protect_content")),
            changed_seq=self._next_seq(),
        )
        chat.records[record.message_id] = record
        chat.bot_ids.append(record.message_id)
        return record.to_json(self._bot_sender(), chat.chat_json)

    def _end_poll(self, outcome: str) -> None:
        poll, self._poll = self._poll, None
        if poll is not None and not poll.done():
            poll.set_result(outcome)

    # ----------------------------------------------------------------- Bot API methods
    # Named after the Bot API methods (camelCase) so the dispatch table reads like the docs.

    def _api_getMe(self, params: Params, request: _Request) -> dict[str, Any]:
        return {
            **self._bot_sender(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _api_logOut(self, params: Params, request: _Request) -> bool:
        return True

    def _api_close(self, params: Params, request: _Request) -> bool:
        return True

    async def _api_getUpdates(self, params: Params, request: _Request) -> list[dict[str, Any]]:
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
        self._end_poll(_TERMINATED)
        if not self._updates and timeout > 0 and self._server is not None:
            poll: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._poll = poll
            waiters: set[asyncio.Future[Any]] = {poll, request.closed}
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if self._poll is poll:
                self._poll = None
            if poll.done() and poll.result() == _TERMINATED:
                raise ApiError(409, CONFLICT)
            if request.closed.done():
                return []  # nobody is listening: hand these updates to the next request
        batch = list(itertools.islice(self._updates, limit))
        if batch:
            self._touch()
        return batch

    def _confirm(self, offset: int) -> None:
        before = len(self._updates)
        if offset < 0:
            # Negative offset: keep only the last -offset updates, forget the rest.
            while len(self._updates) > -offset:
                self._updates.popleft()
        else:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        if len(self._updates) != before:
            self._touch()

    async def _api_deleteWebhook(self, params: Params, request: _Request) -> bool:
        await self._stop_webhook()
        if params.get("drop_pending_updates"):
            self._updates.clear()
            self._touch()
        return True

    async def _api_setWebhook(self, params: Params, request: _Request) -> bool:
        url = params.get("url")
        if not isinstance(url, str) or not url:
            await self._stop_webhook()
            return True
        if not url.startswith(("http://", "https://")):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad("bad webhook: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        await self._stop_webhook()
        self._webhook = (url, str(secret) if secret is not None else None)
        self._end_poll(_TERMINATED)
        self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhook())
        return True

    def _api_getWebhookInfo(self, params: Params, request: _Request) -> dict[str, Any]:
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
                    event = self._changed
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(event.wait(), 1.0)
                    continue
                url, secret = self._webhook
                update = self._updates[0]
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                self._inflight += 1
                try:
                    response = await client.post(url, json=update, headers=headers)
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0
                finally:
                    self._inflight -= 1
                self.webhook_deliveries.append((update["update_id"], status))
                if 200 <= status < 300:
                    if self._updates and self._updates[0] is update:
                        self._updates.popleft()
                    self._touch()
                else:
                    await asyncio.sleep(0.2)

    def _api_setMyCommands(self, params: Params, request: _Request) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_NAME.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self.commands[key] = [dict(command) for command in commands]
        return True

    def _api_deleteMyCommands(self, params: Params, request: _Request) -> bool:
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self.commands.pop(key, None)
        return True

    def _api_getMyCommands(self, params: Params, request: _Request) -> list[dict[str, Any]]:
        key = (_scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return self.commands.get(key, [])

    def _api_setMyDescription(self, params: Params, request: _Request) -> bool:
        return True

    def _api_setMyShortDescription(self, params: Params, request: _Request) -> bool:
        return True

    def _api_setMyName(self, params: Params, request: _Request) -> bool:
        return True

    def _api_setChatMenuButton(self, params: Params, request: _Request) -> bool:
        return True

    def _api_getChat(self, params: Params, request: _Request) -> dict[str, Any]:
        chat = self._chat(params)
        return {**chat.chat_json, "accent_color_id": 0, "max_reaction_count": 11}

    def _api_sendMessage(self, params: Params, request: _Request) -> dict[str, Any]:
        chat = self._chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise _bad("message text is empty")
        parsed = self._parse(text, params.get("parse_mode"), params.get("entities"), what="text")
        return self._new_bot_message(chat, params, source=text, parsed=parsed)

    def _api_editMessageText(self, params: Params, request: _Request) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise _bad("message to edit not found")  # no inline mode in this project
        chat = self._chat(params)
        record = self._bot_record(chat, params)
        if record.document is not None:
            raise _bad("there is no text in the message to edit")
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise _bad("message text is empty")
        parsed = self._parse(text, params.get("parse_mode"), params.get("entities"), what="text")
        # Telegram drops the inline keyboard when an edit does not repeat it.
        markup = self._markup(params.get("reply_markup"), chat)
        if parsed == record.parsed and markup == record.markup:
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        seq = self._next_seq()
        record.markup = markup
        record.set_content(text, params.get("parse_mode"), parsed, seq)
        return record.to_json(self._bot_sender(), chat.chat_json)

    def _api_editMessageCaption(self, params: Params, request: _Request) -> dict[str, Any]:
        chat = self._chat(params)
        record = self._bot_record(chat, params)
        if record.document is None:
            raise _bad("there is no caption in the message to edit")
        caption = str(params.get("caption") or "")
        parsed = self._parse(
            caption, params.get("parse_mode"), params.get("caption_entities"), what="caption"
        )
        markup = self._markup(params.get("reply_markup"), chat)
        if parsed == record.parsed and markup == record.markup:
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        record.markup = markup
        record.set_content(caption, params.get("parse_mode"), parsed, self._next_seq())
        return record.to_json(self._bot_sender(), chat.chat_json)

    def _api_editMessageReplyMarkup(self, params: Params, request: _Request) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise _bad("message to edit not found")
        chat = self._chat(params)
        record = self._bot_record(chat, params)
        markup = self._markup(params.get("reply_markup"), chat)
        if markup == record.markup:
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        record.set_markup(markup, self._next_seq())
        return record.to_json(self._bot_sender(), chat.chat_json)

    def _api_deleteMessage(self, params: Params, request: _Request) -> bool:
        chat = self._chat(params)
        message_id = self._message_id(params, "message identifier is not specified")
        if not self._delete(chat, message_id):
            raise _bad("message to delete not found")
        return True

    def _api_deleteMessages(self, params: Params, request: _Request) -> bool:
        chat = self._chat(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad("message identifiers are not specified")
        for message_id in ids:
            if isinstance(message_id, int):
                self._delete(chat, message_id)  # missing ones are skipped, as on Telegram
        return True

    def _delete(self, chat: _Chat, message_id: int) -> bool:
        record = chat.records.get(message_id)
        if record is None or record.deleted:
            return False
        record.deleted = True  # kept, flagged: tests assert on what was deleted
        record.deleted_seq = self._next_seq()
        return True

    def _api_answerCallbackQuery(self, params: Params, request: _Request) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        user_id = self._query_chat.get(query_id)
        if user_id is None:
            raise ApiError(400, QUERY_INVALID)
        chat = self._chats[user_id]
        if query_id in chat.answered:
            raise ApiError(400, QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        answer = CallbackAnswer(
            query_id=query_id,
            text=str(text) if text else None,
            show_alert=bool(params.get("show_alert")),
            url=params.get("url"),
        )
        chat.answered[query_id] = (self._next_seq(), answer)
        return True

    def _api_sendChatAction(self, params: Params, request: _Request) -> bool:
        self._chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _api_sendDocument(self, params: Params, request: _Request) -> dict[str, Any]:
        chat = self._chat(params)
        document = params.get("document")
        uploads = request.files.get("document")
        if isinstance(document, str) and document.startswith("attach://"):
            uploads = request.files.get(document.removeprefix("attach://"))
        if uploads:
            upload = uploads[0]
            stored = self._store_file(
                upload.body,
                upload.filename or None,
                _upload_mime(upload.content_type, upload.filename),
                "documents",
            )
        elif isinstance(document, str) and document:
            found = self._files.get(document)
            if found is None:
                raise _bad("wrong file identifier/HTTP URL specified")
            stored = found
        else:
            raise _bad("there is no document in the request")
        caption = str(params.get("caption") or "")
        parsed = self._parse(
            caption, params.get("parse_mode"), params.get("caption_entities"), what="caption"
        )
        return self._new_bot_message(chat, params, source=caption, parsed=parsed, document=stored)

    def _api_getFile(self, params: Params, request: _Request) -> dict[str, Any]:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad("wrong file_id or the file is temporarily unavailable")
        if len(stored.data) > MAX_DOWNLOAD_SIZE:
            raise _bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }


def _scope_key(scope: Any) -> str:
    if not isinstance(scope, dict):
        scope = {"type": "default"}
    return json.dumps(scope, sort_keys=True)


def _inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise _bad("can't parse inline keyboard button: Text is not specified")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= (
            MAX_CALLBACK_DATA_BYTES
        ):
            raise _bad("BUTTON_DATA_INVALID")
    elif "url" in button:
        if not isinstance(button["url"], str) or not button["url"]:
            raise _bad("BUTTON_URL_INVALID")
    elif not any(key != "text" for key in button):
        raise _bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    return dict(button)


def _upload_mime(content_type: str, file_name: str | None) -> str | None:
    if content_type and content_type != "application/octet-stream":
        return content_type
    guessed = mimetypes.guess_type(file_name)[0] if file_name else None
    return guessed or content_type or None


def _normalise(raw: Params) -> Params:
    """Turn form strings back into the JSON types the Bot API would have parsed."""
    params: Params = {}
    for name, value in raw.items():
        if isinstance(value, str):
            if name in _JSON_PARAMS:
                try:
                    value = json.loads(value)
                except ValueError:
                    raise _bad(f"can't parse {name} JSON object") from None
            elif name in _INT_PARAMS and _INTEGER.fullmatch(value):
                value = int(value)
            elif name in _BOOL_PARAMS:
                value = value.lower() in ("true", "1")
        params[name] = value
    return params


def _log_request(handler: tornado.web.RequestHandler) -> None:
    # Tornado's access log would print the token (it is in the path); log only the method.
    method = handler.path_args[-1] if handler.path_args else handler.request.path
    _LOGGER.debug("%s %s -> %s", handler.request.method, method, handler.get_status())


class _ApiHandler(tornado.web.RequestHandler):
    """POST/GET /bot<token>/<method>."""

    def initialize(self, emulator: BotApiEmulator) -> None:
        self.emulator = emulator
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_connection_close(self) -> None:
        # A long poll whose client went away must not keep the getUpdates slot.
        if not self.closed.done():
            self.closed.set_result(None)

    def compute_etag(self) -> None:
        return None

    def _params(self) -> Params:
        params: Params = {}
        for name, values in self.request.query_arguments.items():
            params[name] = values[-1].decode("utf-8", "replace")
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json") and self.request.body:
            try:
                body = json.loads(self.request.body)
            except ValueError:
                body = None
            if isinstance(body, dict):
                params.update(body)
        else:
            for name, values in self.request.body_arguments.items():
                params[name] = values[-1].decode("utf-8", "replace")
        return params

    async def post(self, token: str, method: str) -> None:
        request = _Request(self.request.files, self.closed)
        try:
            status, body = await self.emulator._handle(token, method, self._params(), request)
        except ApiError as error:  # raised by parameter normalisation
            status, body = error.error_code, error.envelope()
        if self.closed.done():
            return
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False))

    async def get(self, token: str, method: str) -> None:
        await self.post(token, method)


class _FileHandler(tornado.web.RequestHandler):
    """GET /file/bot<token>/<file_path>: the bytes behind getFile's file_path."""

    def initialize(self, emulator: BotApiEmulator) -> None:
        self.emulator = emulator

    def compute_etag(self) -> None:
        return None

    def get(self, token: str, path: str) -> None:
        data = self.emulator._file_bytes(token, path)
        if data is None:
            self.set_status(404)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}))
            return
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(data)
