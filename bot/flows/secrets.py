"""Reading secrets from chat messages: the one place a password or identity number is taken.

`take_secret` deletes the message at once and hands the value to one local variable of the
caller (never logged, stored or echoed). `looks_like_secret` is the one filter for every other
text the bot reads (free text, questions inside a flow, text after a timeout, upload captions):
what it flags is deleted from the chat and never matched, stored or logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.flows.common import Context, delete_user_message, say, tr


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


async def guard_caption(update: object, context: Context) -> None:
    """Before every flow (group -1): an upload whose caption looks like a password or an
    identity number is deleted from the chat and not read at all; the user is told why and
    asked to send the file again without it. Nothing of it is kept."""
    message = update.effective_message if isinstance(update, Update) else None
    if message is None or not message.caption or not looks_like_secret(message.caption):
        return
    assert isinstance(update, Update)
    deleted = await delete_user_message(update)
    key = "common.caption_secret_deleted" if deleted else "common.caption_secret_not_deleted"
    await say(update, context, await tr(update, context, key))
    raise ApplicationHandlerStop


async def stale_secret_note(update: Update, context: Context) -> str | None:
    """Text that reaches a step after its conversation timed out (a late password): deleted
    if it looks like a secret; the line telling the user, or None."""
    message = update.effective_message
    text = (message.text or message.caption or "") if message is not None else ""
    if not text or not looks_like_secret(text):
        return None
    deleted = await delete_user_message(update)
    return await tr(
        update, context, "common.secret_deleted" if deleted else "common.secret_not_deleted"
    )


# ---- the filter ---------------------------------------------------------------------------
# A password, typed at the wrong moment, is one token mixing letters, digits and symbols (also
# glued to a name in Hangul, `홍길동/kb2024!`), or a value after a word like "비번" / "pw".
# Questions are full of digits too ("인증서 2개", "5번 틀렸어요", dates, phone numbers, file
# names, versions): those shapes pass. tests/flows/test_flows_hardening_secrets.py holds the
# corpus both ways.

# Resident / foreigner registration numbers (13 digits, '-' or not) and business numbers.
_ID_NUMBER = re.compile(r"(?<!\d)(?:\d{6} ?-? ?\d{7}|\d{3}-\d{2}-\d{5})(?!\d)")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3131-\u318e]+")
_HANGUL_THEN_DIGITS = re.compile(r"[\uac00-\ud7a3]{2,}\d{4,}")  # 사랑해1004, alone
_EDGES = "\"'`“”‘’()[]{}<>「」『』/\\|:;=,*"
_QUESTION_END = "?.,~…"
_SOFT_SYMBOLS = frozenset("-_.'’&/#+")  # inside words and names: e-mail, Q&A, PKCS#12
_BENIGN = re.compile(
    r"""(?xi)
      [\d.,:/~+()%-]+                                    # numbers, dates, times, phones, sums
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+                       # an e-mail address
    | (?:https?://|www\.)\S+                             # a link
    | [\w-]+(?:\.[\w-]+)*\.(?:com|net|org|kr|io)(?:/\S*)?  # a domain
    | [\w-]+\.(?:key|der|pfx|p12|zip|cer|crt|pem|txt|png|jpe?g|pdf|exe|apk|dmg)  # a file name
    | (?:[a-z]:)?(?:[\\/][\w .-]+){2,}[\\/]?             # a path
    | (?:v|ver|version)?\d+(?:\.\d+)+[a-z]?                # a version
    | [a-z]+[-_]\d{1,4}|\d{1,4}[-_][a-z]+                 # a name and a number: COVID-19
    | \d+(?:kb|mb|gb|tb|bytes?|bits?|st|nd|rd|th|px|ms|sec|hz|[kgmshdpx])  # a number + unit
    | (?:sha|md|rsa|pkcs|x|utf|win|windows|ios|android|iphone|ipad|galaxy|macos|aes|des|seed
        |aria|tls|ssl|http|ie|chrome|edge|office|usb|lte|npki|ver|v|step|page|no|error|err
        |code)[-_ #]?\d{1,4}                             # a technical name with a number
    | sha-?\d+with\w+                                    # an algorithm name
    """
)
_KEYWORDS_LATIN = frozenset({"password", "passwd", "passcode", "pwd", "pw", "pin", "pass"})
_KEYWORDS_HANGUL = ("비밀번호", "비번", "암호", "패스워드", "주민번호", "주민등록번호")
_PARTICLES = re.compile(r"(?:은|는|이|가|을|를|도)$")
_FILLERS = frozenset({"is", "was", "=", ":", "-", "->", "은", "는"})


def looks_like_secret(text: str) -> bool:
    """True for text that is most likely a password or an identity number sent at the wrong
    moment (free text, a question inside a flow, text after a timeout, an upload's caption).
    Such text is deleted from the chat and never matched, stored or logged."""
    if _ID_NUMBER.search(text):
        return True
    tokens = text.split()
    if not tokens:
        return False
    alone = len(tokens) == 1
    if any(_token_is_secret(token, alone=alone) for token in tokens):
        return True
    return any(_value_like(value) for value in _keyword_values(tokens))


def _trim(token: str) -> str:
    """The token without quotes, brackets and separators around it, or a question's end."""
    previous = None
    while previous != token:
        previous = token
        token = token.strip(_EDGES).rstrip(_QUESTION_END)
    return token


def _token_is_secret(token: str, *, alone: bool) -> bool:
    if not _HANGUL.search(token):
        return _password_shape(_trim(token), alone=alone)
    if alone and _HANGUL_THEN_DIGITS.fullmatch(_trim(token)):
        return True
    for part in _HANGUL.split(token):
        part = _trim(part)
        if not part or _BENIGN.fullmatch(part):
            continue
        digits = sum(c.isdigit() for c in part)
        if digits >= 4 and any(not c.isalnum() for c in part):  # 홍길동1234!, 김철수!2024
            return True
        if _password_shape(part, alone=False):
            return True
    return False


def _password_shape(token: str, *, alone: bool) -> bool:
    """A token (no Hangul, no spaces) shaped like a password rather than a word or a number."""
    size = len(token)
    if token.isdigit():
        return alone and size >= 6  # a PIN, an account number, half a resident number
    if size < 6 or _BENIGN.fullmatch(token):
        return False
    letters = any(c.isalpha() for c in token)
    digits = any(c.isdigit() for c in token)
    hard = {c for c in token if not c.isalnum() and c not in _SOFT_SYMBOLS}
    inner_hard = {c for c in token.rstrip("!") if not c.isalnum() and c not in _SOFT_SYMBOLS}
    if letters and digits:
        return bool(hard) or size >= (6 if alone else 8)
    if digits and inner_hard:
        return True  # 1234!@#$
    return letters and bool(inner_hard) and size >= 8  # Sunny!Day, !Q@W#E$R


def _keyword_values(tokens: list[str]) -> list[str]:
    """What follows "비번", "pw:", "password is" … (the word itself glued to it, or the next)."""
    values: list[str] = []
    for index, token in enumerate(tokens):
        word = token.lower()
        glued = ""
        for sep in (":", "="):
            if sep in word:
                word, _, glued = word.partition(sep)
        word = _PARTICLES.sub("", _trim(word))
        if not (word in _KEYWORDS_LATIN or word.endswith(_KEYWORDS_HANGUL)):
            continue
        if glued:
            values.append(token[len(token) - len(glued) :])
            continue
        rest = [t for t in tokens[index + 1 : index + 3] if t.lower() not in _FILLERS]
        if rest:
            values.append(rest[0])
    return values


def _value_like(value: str) -> bool:
    """A value given after a password word: digits (4+) or a mix, never a Hangul phrase."""
    value = _trim(value)
    if len(value) < 4 or _HANGUL.search(value):
        return False
    if value.isdigit():
        return True
    if _BENIGN.fullmatch(value):
        return False
    letters = any(c.isalpha() for c in value)
    digits = any(c.isdigit() for c in value)
    symbols = any(not c.isalnum() for c in value)
    return (letters and digits) or (digits and symbols) or (letters and symbols)
