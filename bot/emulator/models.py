"""What a scripted user sees of a chat: snapshots handed out by the emulator.

They are copies taken at the time of the call, so a test can keep one and compare it with a
later state; the emulator's own records stay private to `server.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Button:
    """One inline keyboard button."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    web_app_url: str | None = None  # a web_app button: Telegram opens this page in the app


@dataclass(frozen=True)
class DocumentInfo:
    """A document attached to a bot message (with its bytes, for tests that read them)."""

    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    file_size: int
    data: bytes = field(default=b"", repr=False)


@dataclass
class BotMessage:
    """A message the bot sent, in its current state (text after edits, deleted or not)."""

    message_id: int
    chat_id: int
    text: str  # as the bot sent it (HTML when parse_mode was HTML); the caption for documents
    plain: str  # readable plain text
    buttons: list[list[Button]]
    deleted: bool
    edited: bool
    document: DocumentInfo | None
    date: int
    protect_content: bool
    parse_mode: str | None = None

    @property
    def flat_buttons(self) -> list[Button]:
        """Buttons in the order a person reads them (the terminal numbers them so)."""
        return [button for row in self.buttons for button in row]

    @property
    def labels(self) -> list[str]:
        """Button texts, row by row, flattened."""
        return [button.text for button in self.flat_buttons]


@dataclass
class UserMessage:
    """A message the scripted user sent; `kind` is text, document, photo or sticker."""

    message_id: int
    kind: str
    text: str | None
    deleted: bool
    file_name: str | None = None


@dataclass(frozen=True)
class CallbackAnswer:
    """One answerCallbackQuery call for a query this user made."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None = None


@dataclass(frozen=True)
class ChatEvent:
    """Something that changed in a chat, in order: what the terminal prints.

    kind is "message" (new or edited bot message), "user_deleted" / "bot_deleted" (the bot
    deleted a user's or its own message) or "answer" (a callback answer, i.e. a toast).
    """

    seq: int
    kind: str
    message: BotMessage | None = None
    message_id: int | None = None
    answer: CallbackAnswer | None = None
