"""Request parameters as the Bot API reads them: form strings back to JSON types, validation.

PTB sends either a JSON body or a form whose non-str values are JSON-encoded; both end up as
the same `Params` dict here.
"""

from __future__ import annotations

import json
import mimetypes
import re
from typing import Any

from .errors import MAX_CALLBACK_DATA_BYTES, bad

Params = dict[str, Any]

# Form values arrive as strings; PTB JSON-encodes everything that is not a str, so these are
# turned back into the types a JSON body would have carried.
JSON_PARAMS = frozenset(
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
INT_PARAMS = frozenset(
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
BOOL_PARAMS = frozenset(
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
CHAT_ACTIONS = frozenset(
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
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_INTEGER = re.compile(r"-?\d+")


def normalise(raw: Params) -> Params:
    """Turn form strings back into the JSON types the Bot API would have parsed."""
    params: Params = {}
    for name, value in raw.items():
        if isinstance(value, str):
            if name in JSON_PARAMS:
                try:
                    value = json.loads(value)
                except ValueError:
                    raise bad(f"can't parse {name} JSON object") from None
            elif name in INT_PARAMS and _INTEGER.fullmatch(value):
                value = int(value)
            elif name in BOOL_PARAMS:
                value = value.lower() in ("true", "1")
        params[name] = value
    return params


def scope_key(scope: Any) -> str:
    """A BotCommandScope as a dict key (the default scope when absent)."""
    if not isinstance(scope, dict):
        scope = {"type": "default"}
    return json.dumps(scope, sort_keys=True)


_WEB_APP_SCHEMES = ("https://", "http://127.0.0.1", "http://localhost")


def inline_button(button: Any) -> dict[str, Any]:
    """One validated inline keyboard button, or the error Telegram gives for it."""
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad("can't parse inline keyboard button: Text is not specified")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= (
            MAX_CALLBACK_DATA_BYTES
        ):
            raise bad("BUTTON_DATA_INVALID")
    elif "url" in button:
        if not isinstance(button["url"], str) or not button["url"]:
            raise bad("BUTTON_URL_INVALID")
    elif "web_app" in button:
        web_app = button["web_app"]
        url = web_app.get("url") if isinstance(web_app, dict) else None
        if not isinstance(url, str) or not url.startswith(_WEB_APP_SCHEMES):
            # Telegram: HTTPS only; the emulator also takes a page on this machine (make chat).
            raise bad(
                f"inline keyboard button Web App URL '{url}' is invalid: Only HTTPS links are allowed"
            )
    elif not any(key != "text" for key in button):
        raise bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    return dict(button)


def upload_mime(content_type: str, file_name: str | None) -> str | None:
    """The MIME type Telegram would record for an uploaded part."""
    if content_type and content_type != "application/octet-stream":
        return content_type
    guessed = mimetypes.guess_type(file_name)[0] if file_name else None
    return guessed or content_type or None
