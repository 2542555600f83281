"""Names from untrusted certificates, made safe to show: no control, bidi or zero-width tricks.

A certificate's CN or O= is whatever its maker wrote: a right-to-left override can reverse what
a reader sees, a newline can fake a second line in a chat message, a zero-width space can make
two names look equal. `clean_text` removes all of that; `display_name` also bounds the length.
"""

from __future__ import annotations

import unicodedata

__all__ = ["ELLIPSIS", "clean_text", "display_name"]

ELLIPSIS = "…"
# Cc: C0/C1 controls (newlines, ESC, DEL); Cf: format characters (bidi overrides and isolates,
# zero-width space/joiners, BOM, soft hyphen, tag characters); Cs: lone surrogates.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


def clean_text(text: str) -> str:
    """Drop control/format characters and collapse every run of whitespace to one space."""
    kept: list[str] = []
    for char in text:
        if char.isspace():
            kept.append(" ")
        elif unicodedata.category(char) not in _DROPPED_CATEGORIES:
            kept.append(char)
    return " ".join("".join(kept).split())


def display_name(text: str, limit: int = 40) -> str:
    """`clean_text`, then at most `limit` characters, ending in "…" when cut."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    cleaned = clean_text(text)
    if len(cleaned) <= limit:
        return cleaned
    return cleaned[: limit - 1].rstrip() + ELLIPSIS
