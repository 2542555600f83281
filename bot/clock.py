"""The one clock: the store, the renderer, reminders and stale-session checks read it.

Tests swap its source (`clock.source = lambda: 1_000_000.0`) instead of patching time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime


class Clock:
    """Wall-clock time from one replaceable source of epoch seconds."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self.source = source

    def epoch(self) -> float:
        return self.source()

    def now(self) -> datetime:
        """The current moment, aware UTC."""
        return datetime.fromtimestamp(self.source(), UTC)
