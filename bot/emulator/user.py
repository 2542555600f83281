"""A scripted Telegram user in a private chat with the bot, driven by tests, benches and chat mode.

It injects updates into the emulator (text, documents, stray media, button presses) and reads
back what the bot did to the chat: messages as they are now, deletions, callback answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from .markup import utf16_len
from .models import BotMessage, Button, CallbackAnswer, ChatEvent, UserMessage

if TYPE_CHECKING:
    from .server import BotApiEmulator

# Telegram marks "/cmd" and "/cmd@botname" at the start of a message as a bot_command.
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,64})?(?=\s|$)")

# A tiny valid PNG, so that a bot which downloads a stray photo gets real image bytes.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)


class ScriptedUser:
    """One user of the emulated Telegram; the chat id equals the user id."""

    def __init__(self, emulator: BotApiEmulator, user_id: int) -> None:
        self._emulator = emulator
        self.user_id = user_id
        self.chat_id = user_id

    def __repr__(self) -> str:
        return f"ScriptedUser({self.user_id})"

    # ----------------------------------------------------------------- acting

    async def send_text(self, text: str) -> int:
        """Send a text message; returns its message_id."""
        if not text:
            raise ValueError("Telegram clients do not send empty messages")
        content: dict[str, Any] = {"text": text}
        command = _COMMAND.match(text)
        if command is not None:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}
            ]
        return self._emulator.send_user_message(self.user_id, "text", content, text=text)

    async def send_document(
        self,
        data: bytes,
        file_name: str | None,
        mime_type: str | None = None,
        *,
        declared_size: int | None = None,
        caption: str | None = None,
    ) -> int:
        """Send a file as a document (with a caption if given); the bot can fetch it with
        getFile.

        `declared_size` makes the update (and getFile) claim another size than the bytes
        served: a lying client, for download caps.
        """
        stored = self._emulator.store_file(
            data, file_name, mime_type, "documents", declared_size=declared_size
        )
        content: dict[str, Any] = {"document": stored.document_json()}
        if caption:
            content["caption"] = caption
        return self._emulator.send_user_message(
            self.user_id, "document", content, text=caption, file_name=file_name
        )

    async def send_photo(self, data: bytes = _PNG) -> int:
        """Send a photo: stray input the bot should refuse politely."""
        stored = self._emulator.store_file(data, None, "image/png", "photos")
        size = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(data),
            "width": 1,
            "height": 1,
        }
        return self._emulator.send_user_message(self.user_id, "photo", {"photo": [size]})

    async def send_sticker(self) -> int:
        """Send a sticker: stray input the bot should refuse politely."""
        stored = self._emulator.store_file(b"RIFF\x00\x00\x00\x00WEBP", None, None, "stickers")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
            "file_size": len(stored.data),
        }
        return self._emulator.send_user_message(self.user_id, "sticker", {"sticker": sticker})

    async def press(self, label: str, *, message_id: int | None = None) -> str:
        """Press the inline button labelled `label`; returns the callback query id.

        Looks at the given message, or at visible bot messages from the newest back; in each,
        a button whose text equals the label wins over one whose text merely contains it.
        """
        candidates = [m for m in reversed(self.visible) if m.buttons]
        if message_id is not None:
            candidates = [m for m in candidates if m.message_id == message_id]
        for message in candidates:
            button = _find_button(message, label)
            if button is None:
                continue
            if button.callback_data is None:
                target = button.url or button.web_app_url
                raise LookupError(f"button {label!r} is not a callback button ({target})")
            return self._emulator.send_callback_query(
                self.user_id, button.callback_data, message.message_id
            )
        available = [f"#{m.message_id}: {m.labels}" for m in candidates] or ["(no buttons)"]
        raise LookupError(f"no button {label!r}; available: {'; '.join(available)}")

    def web_app_url(self, label: str) -> str:
        """The page URL of the web_app button labelled `label` (newest visible message first)."""
        for message in reversed(self.visible):
            button = _find_button(message, label) if message.buttons else None
            if button is not None and button.web_app_url:
                return button.web_app_url
        raise LookupError(f"no web_app button {label!r}")

    def open_web_app(self, label: str) -> str:
        """What Telegram opens for the button: its URL with initData signed for this user
        (HMAC-SHA256 with key HMAC("WebAppData", token), as core.telegram.org specifies)."""
        return self.web_app_link(self.web_app_url(label))

    def web_app_link(self, url: str) -> str:
        user = self._emulator.chat(self.chat_id).user_json
        fields = {
            "auth_date": str(int(time.time())),
            "query_id": f"EMU{self.user_id}",
            "user": json.dumps(
                {k: user[k] for k in ("id", "first_name", "language_code") if k in user},
                ensure_ascii=False,
                separators=(",", ":"),
            ),
        }
        check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields)).encode()
        secret = hmac.new(b"WebAppData", self._emulator.token.encode(), hashlib.sha256).digest()
        fields["hash"] = hmac.new(secret, check, hashlib.sha256).hexdigest()
        data = quote(urlencode(fields), safe="")
        return f"{url}#tgWebAppData={data}&tgWebAppVersion=7.0&tgWebAppPlatform=emulator"

    async def press_data(self, callback_data: str, *, message_id: int) -> str:
        """Send a callback query with arbitrary data: forged or stale presses."""
        return self._emulator.send_callback_query(self.user_id, callback_data, message_id)

    async def ask(self, text: str, **settle_kw: float) -> list[BotMessage]:
        """Send text, wait for the bot to settle; bot messages new or edited since."""
        mark = self._emulator.mark()
        await self.send_text(text)
        await self._emulator.settle(**settle_kw)
        return self.changed_since(mark)

    async def upload(self, data: bytes, file_name: str | None, **kw: Any) -> list[BotMessage]:
        """Send a document, wait for the bot to settle; bot messages new or edited since."""
        settle_kw = {k: kw.pop(k) for k in ("quiet", "timeout") if k in kw}
        mark = self._emulator.mark()
        await self.send_document(data, file_name, **kw)
        await self._emulator.settle(**settle_kw)
        return self.changed_since(mark)

    async def tap(self, label: str, **kw: Any) -> list[BotMessage]:
        """Press a button, wait for the bot to settle; bot messages new or edited since."""
        settle_kw = {k: kw.pop(k) for k in ("quiet", "timeout") if k in kw}
        mark = self._emulator.mark()
        await self.press(label, **kw)
        await self._emulator.settle(**settle_kw)
        return self.changed_since(mark)

    async def wait_until(self, predicate: Callable[[], bool], *, timeout: float = 10.0) -> None:
        """Wait until `predicate()` holds; re-checked at each change in this chat only."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met in chat {self.chat_id} within {timeout}s")
            await self._emulator.wait_for_change(remaining, chat_id=self.chat_id)

    async def next_message(self, *, after: int, timeout: float = 10.0) -> BotMessage:
        """The first bot message sent after the chat had `after` bot messages."""
        await self.wait_for_count(after + 1, timeout=timeout)
        return self.messages_since(after)[0]

    async def wait_for_count(self, count: int, *, timeout: float = 10.0) -> None:
        """Until the bot has sent `count` messages here; no snapshot is taken (benchmarks)."""
        await self.wait_until(lambda: self.message_count >= count, timeout=timeout)

    @property
    def message_count(self) -> int:
        """How many messages the bot has sent here (cheap: no snapshots)."""
        return self._emulator.chat(self.chat_id).bot_message_count

    def messages_since(self, index: int) -> list[BotMessage]:
        """Bot messages from position `index` on (as in `messages`), without copying the rest."""
        return self._emulator.chat(self.chat_id).bot_messages(index)

    # ----------------------------------------------------------------- observing

    @property
    def messages(self) -> list[BotMessage]:
        """Bot messages in this chat, oldest first, deleted ones included (flagged)."""
        return self._emulator.chat(self.chat_id).bot_messages()

    @property
    def visible(self) -> list[BotMessage]:
        """Bot messages still in the chat."""
        return [m for m in self.messages if not m.deleted]

    @property
    def last(self) -> BotMessage:
        """The newest visible bot message, as it reads now."""
        visible = self.visible
        if not visible:
            raise LookupError(f"the bot has no visible message in chat {self.chat_id}")
        return visible[-1]

    def texts(self) -> list[str]:
        """Visible bot messages as plain text."""
        return [m.plain for m in self.visible]

    @property
    def user_messages(self) -> list[UserMessage]:
        """What this user sent, with deleted=True for messages the bot deleted."""
        return self._emulator.chat(self.chat_id).user_messages()

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """answerCallbackQuery calls for this user's presses, in order."""
        return self._emulator.chat(self.chat_id).callback_answers()

    def unanswered_callbacks(self) -> list[str]:
        """Query ids the bot never answered (the client would still show a spinner)."""
        return self._emulator.chat(self.chat_id).unanswered_callbacks()

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """The custom reply keyboard the bot last set in this chat, if any."""
        return self._emulator.chat(self.chat_id).reply_keyboard

    def changed_since(self, mark: int) -> list[BotMessage]:
        """Bot messages created or edited after `mark` (from `BotApiEmulator.mark()`)."""
        return [e.message for e in self.changes_since(mark) if e.message is not None]

    def changes_since(self, mark: int) -> list[ChatEvent]:
        """Everything that happened in this chat after `mark`, in order."""
        return self._emulator.chat(self.chat_id).events_since(mark)


def _find_button(message: BotMessage, label: str) -> Button | None:
    buttons = message.flat_buttons
    for button in buttons:
        if button.text == label:
            return button
    partial = [button for button in buttons if label in button.text]
    if len(partial) > 1:
        raise LookupError(
            f"{label!r} is ambiguous in message #{message.message_id}: {[b.text for b in partial]}"
        )
    return partial[0] if partial else None
