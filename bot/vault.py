"""Registration sessions: a user's uploaded certificate files, in memory, for a short time.

Uploaded key files (and anything else of the 접근매체) never go to user_data, SQLite or disk.
A session is in one phase at a time — awaiting files → awaiting password → unlocked →
verified — so each step checks one thing. Sessions expire after a TTL and are dropped on
cancel, timeout, lock-out and success.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from bot.certs import CertificateBundle, UploadedFile

MAX_FILES = 10  # files per registration: the session never holds more


@dataclass
class AwaitingFiles:
    """Files come in any order, each processed once on arrival: `files` holds every accepted
    upload (at most MAX_FILES), `found` the certificates a PFX or zip made when it arrived,
    `loose` the uploads still waiting for their other half (a certificate, a key, a zip that
    held only one of them), and `bundles` what is offered so far."""

    files: list[UploadedFile] = field(default_factory=list)
    bundles: list[CertificateBundle] = field(default_factory=list)
    found: list[CertificateBundle] = field(default_factory=list)
    loose: list[UploadedFile] = field(default_factory=list)
    paired: list[CertificateBundle] = field(default_factory=list)  # what `loose` makes

    @property
    def full(self) -> bool:
        return len(self.files) >= MAX_FILES


@dataclass
class AwaitingPassword:
    """One certificate chosen (`bundle`), or a PFX that only its password opens (`pfx`)."""

    bundle: CertificateBundle | None = None
    pfx: bytes | None = None


@dataclass
class Unlocked:
    """The password was right; the identity check (R from the key file) is still to come."""

    bundle: CertificateBundle
    random_num: bytes | None  # R, kept only until the identity check


@dataclass
class Verified:
    """Ready to register: the identity was checked, or the settings do not ask for it."""

    bundle: CertificateBundle


Phase = AwaitingFiles | AwaitingPassword | Unlocked | Verified
P = TypeVar("P", AwaitingFiles, AwaitingPassword, Unlocked, Verified)


@dataclass
class RegistrationSession:
    phase: Phase
    expires_at: float


class RegistrationSessions:
    """Per-user sessions with a time-to-live; nothing here survives the process."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl_seconds
        self._clock = clock
        self._sessions: dict[int, RegistrationSession] = {}

    def phase(self, user_id: int) -> Phase | None:
        """The user's current phase (None if none or expired); touching it extends the TTL."""
        session = self._sessions.get(user_id)
        if session is None:
            return None
        if session.expires_at < self._clock():
            self.drop(user_id)
            return None
        session.expires_at = self._clock() + self.ttl
        return session.phase

    def awaiting_files(self, user_id: int) -> AwaitingFiles:
        """The user's file collection, started empty if they are in no other phase."""
        phase = self.phase(user_id)
        if isinstance(phase, AwaitingFiles):
            return phase
        return self.restart(user_id)

    def restart(self, user_id: int) -> AwaitingFiles:
        """Forget whatever the user had and wait for files again."""
        self.drop(user_id)
        return self.move(user_id, AwaitingFiles())

    def move(self, user_id: int, phase: P) -> P:
        """Put the user in `phase` (the previous phase's secrets are let go of)."""
        old = self._sessions.get(user_id)
        if old is not None and old.phase is not phase:
            _scrub_replaced(old.phase, phase)
        self._sessions[user_id] = RegistrationSession(phase, self._clock() + self.ttl)
        return phase

    def drop(self, user_id: int) -> None:
        session = self._sessions.pop(user_id, None)
        if session is not None:
            _scrub(session.phase)

    def sweep(self) -> int:
        """Drop every expired session; returns how many."""
        now = self._clock()
        expired = [uid for uid, s in self._sessions.items() if s.expires_at < now]
        for uid in expired:
            self.drop(uid)
        return len(expired)

    def __len__(self) -> int:
        return len(self._sessions)


def _scrub(phase: Phase) -> None:
    """Let go of every reference to key material at once."""
    if isinstance(phase, AwaitingFiles):
        for parts in (phase.files, phase.bundles, phase.found, phase.loose, phase.paired):
            parts.clear()
    elif isinstance(phase, AwaitingPassword):
        phase.bundle, phase.pfx = None, None
    elif isinstance(phase, Unlocked):
        phase.random_num = None


def _scrub_replaced(old: Phase, new: Phase) -> None:
    """A phase replaced by the next: drop its R; files stay referenced only by the new phase."""
    if isinstance(old, Unlocked) and not isinstance(new, Unlocked):
        old.random_num = None
