"""Logging set-up with a redaction filter: no token, no download URL, no identity number.

Flows never log message text; this filter is the second line of defence for what libraries log.
"""

from __future__ import annotations

import logging
import re

_PATTERNS = (
    # Bot tokens, also inside URLs (…/bot123:ABC/…, …/file/bot123:ABC/…), %3A-encoded too.
    (re.compile(r"\d{5,}(?::|%3A)[A-Za-z0-9_-]{20,}"), "<token>"),
    # Resident (13) and business (10) registration numbers, with or without a hyphen.
    (re.compile(r"(?<!\d)\d{6}-?\d{7}(?!\d)"), "<id-number>"),
    (re.compile(r"(?<!\d)\d{3}-?\d{2}-?\d{5}(?!\d)"), "<id-number>"),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites every record's message with secrets masked (applied on the handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = str(record.msg)
        clean = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Exception texts can carry URLs; render them now, redacted, and drop the originals.
            formatter = logging.Formatter()
            clean = clean + "\n" + redact(formatter.formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        record.msg = clean
        record.args = None
        return True


def configure_logging(level: str = "INFO", handler: logging.Handler | None = None) -> None:
    """Root logging through one redacting handler; chatty libraries kept quiet."""
    handler = handler or logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # At DEBUG, PTB logs every update and API result in full, message texts (passwords) included:
    # it never logs below INFO here, whatever LOG_LEVEL says.
    logging.getLogger("telegram").setLevel(max(logging.getLevelName(level), logging.INFO))
    # httpx logs every request URL, and URLs contain the token.
    for name in (
        "httpx",
        "httpcore",
        "telegram.request",
        "tornado.access",
        "aiosqlite",
        "apscheduler",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)
