"""What the emulator remembers: files, messages and one `ChatState` per private chat.

`ChatState` is also the read side of the scripted user's public API: it hands out snapshots
(`models.py`), never its records.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .markup import ParsedText, html_to_text
from .models import BotMessage, Button, CallbackAnswer, ChatEvent, DocumentInfo, UserMessage


@dataclass
class StoredFile:
    """A file known to the emulator; `declared_size` lets a test make Telegram lie about it."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str
    declared_size: int | None = None

    @property
    def file_size(self) -> int:
        return len(self.data) if self.declared_size is None else self.declared_size

    def document_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
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
class BotRecord:
    """A bot message as stored: the parsed content plus what tests want to know about it."""

    message_id: int
    chat_id: int
    date: int
    source: str  # text or caption exactly as the bot sent it
    parse_mode: str | None
    parsed: ParsedText
    markup: dict[str, Any] | None  # inline keyboard only: Telegram returns no other markup
    document: StoredFile | None
    protect_content: bool
    changed_seq: int
    edit_date: int | None = None
    deleted: bool = False
    deleted_seq: int = 0
    # Derived once per change, on first use: a benchmark that only counts messages never
    # pays for the HTML → text conversion (tests and the terminal read it on every snapshot).
    _plain: str | None = field(default=None, init=False, repr=False)
    _buttons: list[list[Button]] | None = field(default=None, init=False, repr=False)

    @property
    def plain(self) -> str:
        """Readable plain text of the message as it is now."""
        if self._plain is None:
            if (self.parse_mode or "").lower() == "html":
                self._plain = html_to_text(self.source)
            elif self.parse_mode:
                self._plain = self.parsed.text
            else:
                self._plain = self.source
        return self._plain

    @property
    def buttons(self) -> list[list[Button]]:
        """The inline keyboard as it is now, rows of buttons."""
        if self._buttons is None:
            rows = (self.markup or {}).get("inline_keyboard", [])
            self._buttons = [
                [
                    Button(
                        b["text"],
                        b.get("callback_data"),
                        b.get("url"),
                        (b.get("web_app") or {}).get("url"),
                    )
                    for b in row
                ]
                for row in rows
            ]
        return self._buttons

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
        self._plain = self._buttons = None

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
class UserRecord:
    message_id: int
    kind: str
    text: str | None
    file_name: str | None
    deleted: bool = False
    deleted_seq: int = 0

    def snapshot(self) -> UserMessage:
        return UserMessage(self.message_id, self.kind, self.text, self.deleted, self.file_name)


@dataclass
class ChatState:
    """One private chat: the user, the shared message-id counter and everything said."""

    user_json: dict[str, Any]
    chat_json: dict[str, Any]
    next_message_id: int = 1
    records: dict[int, BotRecord | UserRecord] = field(default_factory=dict)
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

    # ----------------------------------------------------------------- read side (snapshots)

    def bot_messages(self, start: int = 0) -> list[BotMessage]:
        """Bot messages from position `start` on, oldest first, deleted ones flagged."""
        records = (self.records[i] for i in self.bot_ids[start:])
        return [r.snapshot() for r in records if isinstance(r, BotRecord)]

    @property
    def bot_message_count(self) -> int:
        return len(self.bot_ids)

    def user_messages(self) -> list[UserMessage]:
        records = (self.records[i] for i in self.user_ids)
        return [r.snapshot() for r in records if isinstance(r, UserRecord)]

    def callback_answers(self) -> list[CallbackAnswer]:
        return [answer for _, answer in sorted(self.answered.values(), key=lambda x: x[0])]

    def unanswered_callbacks(self) -> list[str]:
        return [query_id for query_id in self.query_ids if query_id not in self.answered]

    def events_since(self, mark: int) -> list[ChatEvent]:
        """Everything that happened here after the change-history position `mark`, in order."""
        events: list[ChatEvent] = []
        for record in self.records.values():
            if isinstance(record, BotRecord):
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
        for seq, answer in self.answered.values():
            if seq > mark:
                events.append(ChatEvent(seq, "answer", answer=answer))
        events.sort(key=lambda event: event.seq)
        return events
