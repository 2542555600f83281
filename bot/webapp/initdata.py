"""Telegram Mini App initData: validation exactly as Telegram specifies, and signing for tests.

secret = HMAC-SHA256(key="WebAppData", msg=bot_token); hash = hex(HMAC-SHA256(secret,
data_check_string)), where data_check_string is every received field except `hash`, as
sorted `key=value` lines joined by "\\n" (core.telegram.org/bots/webapps#validating-data-...).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "MAX_AGE_SECONDS",
    "InitDataError",
    "WebAppUser",
    "sign_init_data",
    "validate_init_data",
]

MAX_AGE_SECONDS = 3600
_FUTURE_SKEW_SECONDS = 60
_MAX_LENGTH = 8192


class InitDataError(Exception):
    """initData is missing, forged or stale; `code` is the stable refusal code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class WebAppUser:
    id: int
    first_name: str
    language_code: str | None
    auth_date: int


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> bytes:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields)).encode()


def validate_init_data(
    init_data: str,
    bot_token: str,
    *,
    max_age: int = MAX_AGE_SECONDS,
    now: float | None = None,
) -> WebAppUser:
    """The user Telegram vouches for; raises InitDataError(code) otherwise."""
    if not init_data or len(init_data) > _MAX_LENGTH or not bot_token:
        raise InitDataError("init_data_missing")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("init_data_invalid") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            raise InitDataError("init_data_invalid")
        fields[key] = value
    received = fields.pop("hash", "")
    expected = hmac.new(_secret(bot_token), _check_string(fields), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), received.encode()):
        raise InitDataError("init_data_invalid")
    moment = time.time() if now is None else now
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        user_id = user["id"]
    except (KeyError, ValueError, TypeError):
        raise InitDataError("init_data_invalid") from None
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        raise InitDataError("init_data_invalid")
    if auth_date < moment - max_age or auth_date > moment + _FUTURE_SKEW_SECONDS:
        raise InitDataError("init_data_expired")
    language = user.get("language_code")
    return WebAppUser(
        id=user_id,
        first_name=str(user.get("first_name", "")),
        language_code=language if isinstance(language, str) else None,
        auth_date=auth_date,
    )


def sign_init_data(
    bot_token: str,
    user_id: int,
    *,
    first_name: str = "",
    language_code: str | None = None,
    auth_date: int | None = None,
    query_id: str | None = None,
) -> str:
    """initData for a user as Telegram would sign it (for `make chat` and tests)."""
    user: dict[str, object] = {"id": user_id, "first_name": first_name or f"user{user_id}"}
    if language_code:
        user["language_code"] = language_code
    fields = {
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
    }
    if query_id:
        fields["query_id"] = query_id
    fields["hash"] = hmac.new(_secret(bot_token), _check_string(fields), hashlib.sha256).hexdigest()
    return urlencode(fields)
