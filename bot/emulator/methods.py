"""The Bot API methods about chats, messages, commands and files (the updates side is in
`updates.py`). Named after the Bot API methods (camelCase) so the table reads like the docs.

A mixin of `BotApiEmulator`: it works on the emulator's chats and files.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .errors import (
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_CAPTION_LENGTH,
    MAX_DOWNLOAD_SIZE,
    MAX_TEXT_LENGTH,
    NOT_MODIFIED,
    QUERY_INVALID,
    ApiError,
    bad,
)
from .markup import EntityParseError, ParsedText, parse_html
from .models import CallbackAnswer
from .params import CHAT_ACTIONS, COMMAND_NAME, Params, inline_button, scope_key, upload_mime
from .records import BotRecord, ChatState, StoredFile

if TYPE_CHECKING:
    from .progress import Progress
    from .transport import Request

MESSAGE_METHODS = (
    "getMe",
    "logOut",
    "close",
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


class MessageMethods:
    """Chats, messages, commands, callback answers and files."""

    bot_id: int
    bot_username: str
    bot_first_name: str
    commands: dict[tuple[str, str], list[dict[str, Any]]]
    _chats: dict[int, ChatState]
    _files: dict[str, StoredFile]
    _query_chat: dict[str, int]
    _seq: int
    _progress: Progress

    def store_file(
        self, data: bytes, file_name: str | None, mime_type: str | None, folder: str
    ) -> StoredFile:
        raise NotImplementedError  # provided by BotApiEmulator

    # ----------------------------------------------------------------- helpers

    def _next_seq(self, chat_id: int) -> int:
        """The next position in the change history; wakes the waiters of chat `chat_id`."""
        self._seq += 1
        self._progress.chat_changed(chat_id)
        return self._seq

    def bot_sender(self) -> dict[str, Any]:
        """The bot as the `from` of its messages."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _chat(self, params: Params) -> ChatState:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad("chat_id is empty")
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad("chat not found")
        return chat

    @staticmethod
    def _message_id(params: Params, missing: str) -> int:
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise bad(missing)
        return message_id

    @staticmethod
    def _parse(text: str, parse_mode: str | None, entities: Any, *, what: str) -> ParsedText:
        mode = (parse_mode or "").lower()
        if mode == "html":
            try:
                parsed = parse_html(text)
            except EntityParseError as error:
                raise bad(f"can't parse entities: {error}") from None
        elif mode:
            # Markdown modes are passed through unparsed: this project writes HTML.
            parsed = ParsedText(text)
        else:
            parsed = ParsedText(text, list(entities) if isinstance(entities, list) else [])
        limit = MAX_CAPTION_LENGTH if what == "caption" else MAX_TEXT_LENGTH
        if len(parsed.text) > limit:
            raise bad("message caption is too long" if what == "caption" else "message is too long")
        if what == "text" and not parsed.text.strip():
            raise bad("message text is empty")
        return parsed

    @staticmethod
    def _markup(raw: Any, chat: ChatState) -> dict[str, Any] | None:
        """Validate reply_markup; returns the inline keyboard to store (None for others)."""
        if raw is None or raw == "":
            return None
        if not isinstance(raw, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in raw:
            rows = raw["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad("can't parse reply keyboard markup JSON object")
            clean = [[inline_button(button) for button in row] for row in rows if row]
            return {"inline_keyboard": clean} if clean else None
        if isinstance(raw.get("keyboard"), list):
            chat.reply_keyboard = [
                [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
                for row in raw["keyboard"]
            ]
        elif raw.get("remove_keyboard"):
            chat.reply_keyboard = None
        return None

    def _bot_record(self, chat: ChatState, params: Params) -> BotRecord:
        """The bot message an edit targets, or the error Telegram gives for it."""
        record = chat.records.get(self._message_id(params, "message to edit not found"))
        if record is None or record.deleted:
            raise bad("message to edit not found")
        if not isinstance(record, BotRecord):
            raise bad("message can't be edited")
        return record

    def _new_bot_message(
        self,
        chat: ChatState,
        params: Params,
        *,
        source: str,
        parsed: ParsedText,
        document: StoredFile | None = None,
    ) -> dict[str, Any]:
        markup = self._markup(params.get("reply_markup"), chat)
        record = BotRecord(
            message_id=chat.new_message_id(),
            chat_id=chat.chat_id,
            date=int(time.time()),
            source=source,
            parse_mode=params.get("parse_mode"),
            parsed=parsed,
            markup=markup,
            document=document,
            protect_content=bool(params.get("protect_content")),
            changed_seq=self._next_seq(chat.chat_id),
        )
        chat.records[record.message_id] = record
        chat.bot_ids.append(record.message_id)
        return record.to_json(self.bot_sender(), chat.chat_json)

    def _delete(self, chat: ChatState, message_id: int) -> bool:
        record = chat.records.get(message_id)
        if record is None or record.deleted:
            return False
        record.deleted = True  # kept, flagged: tests assert on what was deleted
        record.deleted_seq = self._next_seq(chat.chat_id)
        return True

    # ----------------------------------------------------------------- the bot itself

    def _api_getMe(self, params: Params, request: Request) -> dict[str, Any]:
        return {
            **self.bot_sender(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _api_logOut(self, params: Params, request: Request) -> bool:
        return True

    def _api_close(self, params: Params, request: Request) -> bool:
        return True

    def _api_setMyCommands(self, params: Params, request: Request) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict) or not COMMAND_NAME.fullmatch(
                str(command.get("command", ""))
            ):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self.commands[key] = [dict(command) for command in commands]
        return True

    def _api_deleteMyCommands(self, params: Params, request: Request) -> bool:
        key = (scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self.commands.pop(key, None)
        return True

    def _api_getMyCommands(self, params: Params, request: Request) -> list[dict[str, Any]]:
        key = (scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return self.commands.get(key, [])

    def _api_setMyDescription(self, params: Params, request: Request) -> bool:
        return True

    def _api_setMyShortDescription(self, params: Params, request: Request) -> bool:
        return True

    def _api_setMyName(self, params: Params, request: Request) -> bool:
        return True

    def _api_setChatMenuButton(self, params: Params, request: Request) -> bool:
        return True

    # ----------------------------------------------------------------- chats and messages

    def _api_getChat(self, params: Params, request: Request) -> dict[str, Any]:
        chat = self._chat(params)
        return {**chat.chat_json, "accent_color_id": 0, "max_reaction_count": 11}

    def _api_sendMessage(self, params: Params, request: Request) -> dict[str, Any]:
        chat = self._chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise bad("message text is empty")
        parsed = self._parse(text, params.get("parse_mode"), params.get("entities"), what="text")
        return self._new_bot_message(chat, params, source=text, parsed=parsed)

    def _api_editMessageText(self, params: Params, request: Request) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise bad("message to edit not found")  # no inline mode in this project
        chat = self._chat(params)
        record = self._bot_record(chat, params)
        if record.document is not None:
            raise bad("there is no text in the message to edit")
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise bad("message text is empty")
        parsed = self._parse(text, params.get("parse_mode"), params.get("entities"), what="text")
        # Telegram drops the inline keyboard when an edit does not repeat it.
        markup = self._markup(params.get("reply_markup"), chat)
        if parsed == record.parsed and markup == record.markup:
            raise bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        seq = self._next_seq(chat.chat_id)
        record.markup = markup
        record.set_content(text, params.get("parse_mode"), parsed, seq)
        return record.to_json(self.bot_sender(), chat.chat_json)

    def _api_editMessageCaption(self, params: Params, request: Request) -> dict[str, Any]:
        chat = self._chat(params)
        record = self._bot_record(chat, params)
        if record.document is None:
            raise bad("there is no caption in the message to edit")
        caption = str(params.get("caption") or "")
        parsed = self._parse(
            caption, params.get("parse_mode"), params.get("caption_entities"), what="caption"
        )
        markup = self._markup(params.get("reply_markup"), chat)
        if parsed == record.parsed and markup == record.markup:
            raise bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        record.markup = markup
        record.set_content(caption, params.get("parse_mode"), parsed, self._next_seq(chat.chat_id))
        return record.to_json(self.bot_sender(), chat.chat_json)

    def _api_editMessageReplyMarkup(self, params: Params, request: Request) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise bad("message to edit not found")
        chat = self._chat(params)
        record = self._bot_record(chat, params)
        markup = self._markup(params.get("reply_markup"), chat)
        if markup == record.markup:
            raise bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        record.set_markup(markup, self._next_seq(chat.chat_id))
        return record.to_json(self.bot_sender(), chat.chat_json)

    def _api_deleteMessage(self, params: Params, request: Request) -> bool:
        chat = self._chat(params)
        message_id = self._message_id(params, "message identifier is not specified")
        if not self._delete(chat, message_id):
            raise bad("message to delete not found")
        return True

    def _api_deleteMessages(self, params: Params, request: Request) -> bool:
        chat = self._chat(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad("message identifiers are not specified")
        for message_id in ids:
            if isinstance(message_id, int):
                self._delete(chat, message_id)  # missing ones are skipped, as on Telegram
        return True

    def _api_answerCallbackQuery(self, params: Params, request: Request) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        user_id = self._query_chat.get(query_id)
        if user_id is None:
            raise ApiError(400, QUERY_INVALID)
        chat = self._chats[user_id]
        if query_id in chat.answered:
            raise ApiError(400, QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad("MESSAGE_TOO_LONG")
        answer = CallbackAnswer(
            query_id=query_id,
            text=str(text) if text else None,
            show_alert=bool(params.get("show_alert")),
            url=params.get("url"),
        )
        chat.answered[query_id] = (self._next_seq(chat.chat_id), answer)
        return True

    def _api_sendChatAction(self, params: Params, request: Request) -> bool:
        self._chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        return True

    # ----------------------------------------------------------------- files

    def _api_sendDocument(self, params: Params, request: Request) -> dict[str, Any]:
        chat = self._chat(params)
        document = params.get("document")
        uploads = request.files.get("document")
        if isinstance(document, str) and document.startswith("attach://"):
            uploads = request.files.get(document.removeprefix("attach://"))
        if uploads:
            upload = uploads[0]
            stored = self.store_file(
                upload.body,
                upload.filename or None,
                upload_mime(upload.content_type, upload.filename),
                "documents",
            )
        elif isinstance(document, str) and document:
            found = self._files.get(document)
            if found is None:
                raise bad("wrong file identifier/HTTP URL specified")
            stored = found
        else:
            raise bad("there is no document in the request")
        caption = str(params.get("caption") or "")
        parsed = self._parse(
            caption, params.get("parse_mode"), params.get("caption_entities"), what="caption"
        )
        return self._new_bot_message(chat, params, source=caption, parsed=parsed, document=stored)

    def _api_getFile(self, params: Params, request: Request) -> dict[str, Any]:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad("wrong file_id or the file is temporarily unavailable")
        if stored.file_size > MAX_DOWNLOAD_SIZE:
            raise bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }
