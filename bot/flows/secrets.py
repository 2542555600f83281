"""Reading secrets from chat messages: the one place a password or identity number is taken.

`take_secret` deletes the message at once and hands the value to one local variable of the
caller (never logged, stored or echoed); `looks_like_secret` guards free text outside prompts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from telegram import Update

from bot.flows.common import Context, delete_user_message, tr

_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_RESIDENT_NUMBER = re.compile(r"(?<!\d)\d{6}-?\d{7}(?!\d)")


@dataclass(frozen=True, repr=False)
class Secret:
    """A secret just read, and the line that tells the user what became of its message."""

    value: str
    notice: str

    def __repr__(self) -> str:  # never the value, not even in a traceback
        return "Secret(<hidden>)"


async def take_secret(
    update: Update, context: Context, kind: Literal["password", "identity"]
) -> Secret:
    """Read the secret from its message and delete the message at once."""
    message = update.effective_message
    value = (message.text or "") if message is not None else ""
    deleted = await delete_user_message(update)
    key = f"register.{kind}_deleted" if deleted else f"register.{kind}_not_deleted"
    return Secret(value, await tr(update, context, key))


def looks_like_secret(text: str) -> bool:
    """A lone token mixing letters, digits and symbols is most likely a password sent at the
    wrong moment; a long digit run may be a resident number. Neither is matched or stored."""
    candidate = text.strip()
    if _RESIDENT_NUMBER.search(candidate):
        return True
    if not 8 <= len(candidate) <= 64 or any(c.isspace() for c in candidate):
        return False
    if _HANGUL.search(candidate) or "/" in candidate:
        return False
    has_digit = any(c.isdigit() for c in candidate)
    has_letter = any(c.isalpha() for c in candidate)
    has_symbol = any(not c.isalnum() for c in candidate)
    return has_digit and has_letter and (has_symbol or len(candidate) >= 10)
