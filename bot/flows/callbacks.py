"""Callback data: one definition per button kind, a short prefix plus short fields.

The client can forge any of it, so handlers re-check ownership and state in the store.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 64

# Prefixes (kept short: callback_data is at most 64 bytes).
MENU = "m"  # m:<register|revoke|certs|faq|language>
LANGUAGE = "lg"  # lg:<ko|en>
REGISTER = "rg"  # rg:pick:<n> · rg:ok · rg:no
REVOKE = "rv"  # rv:pick:<certificate id> · rv:why:<reason> · rv:ok · rv:no
FAQ = "fq"  # fq:t:<topic> · fq:e:<entry> · fq:up:<entry> · fq:dn:<entry> · fq:home
ACTION = "ac"  # ac:<register|revoke|certs|contact>


class CallbackDataError(ValueError):
    """Callback data that this bot did not make (or cannot have made)."""


def make(prefix: str, *parts: str | int) -> str:
    data = ":".join([prefix, *(str(p) for p in parts)])
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise CallbackDataError(f"callback data over {MAX_BYTES} bytes: {data[:20]}…")
    return data


@dataclass(frozen=True)
class Parsed:
    prefix: str
    parts: tuple[str, ...]

    def int_part(self, index: int) -> int:
        try:
            value = int(self.parts[index])
        except (IndexError, ValueError):
            raise CallbackDataError("not a number") from None
        if value < 0 or value > 2**62:
            raise CallbackDataError("out of range")
        return value

    def part(self, index: int) -> str:
        try:
            return self.parts[index]
        except IndexError:
            raise CallbackDataError("missing field") from None


def parse(data: str | None) -> Parsed:
    if not data or len(data.encode("utf-8")) > MAX_BYTES:
        raise CallbackDataError("empty or too long")
    prefix, *parts = data.split(":")
    return Parsed(prefix, tuple(parts))


def pattern(prefix: str, *first: str) -> str:
    """A regex for CallbackQueryHandler matching this prefix (and optional first field)."""
    if first:
        return rf"^{prefix}:({'|'.join(first)})(:|$)"
    return rf"^{prefix}(:|$)"
