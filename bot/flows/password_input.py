"""What was typed at the password prompt, read without keeping it: a question that cannot be
a certificate password (answered from the FAQ instead of costing a try), and the password as
meant when the Korean keyboard was on. Pure functions over the typed text.
"""

from __future__ import annotations

import re

from bot.flows.secrets import looks_like_secret
from faq.normalize import hangul_to_en_layout

_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
_WORD = re.compile(r"\S+")
_LATIN_WORD = re.compile(r"^[A-Za-z']+[?？]?$")


def cannot_be_password(text: str) -> bool:
    """True for text no certificate password can be: Korean words with spaces between them
    ("비밀번호를 잊어버렸어요 어떻게 해요?"), or a sentence ending in a question mark.

    A certificate password has no spaces; a Korean-keyboard password ("ㅅㄷㄴㅅ1234!") is one
    token, so it still counts as a password (and is deleted). Anything that looks like a
    secret stays a password whatever else it looks like.
    """
    candidate = text.strip()
    if not candidate or looks_like_secret(candidate):
        return False
    words = _WORD.findall(candidate)
    syllables = len(_SYLLABLE.findall(candidate))
    question = candidate.endswith(("?", "？"))
    if syllables >= 2 and (len(words) >= 2 or question):
        return True
    # An English question: three or more plain words and a question mark.
    return question and len(words) >= 3 and all(_LATIN_WORD.match(w) for w in words)


def password_candidates(typed: str) -> tuple[str, ...]:
    """The password as typed, then, if it holds Hangul, the keys that typed it with the Korean
    keyboard on ("ㅅㄷㄴㅅ1234!" → "test1234!"): certificate passwords are never Hangul."""
    if not _HANGUL.search(typed):
        return (typed,)
    keys = hangul_to_en_layout(typed)
    return (typed, keys) if keys != typed else (typed,)
