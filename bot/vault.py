"""The in-memory key vault: a user's uploaded certificate files, for a short time only.

Uploaded key files (and anything else of the 접근매체) never go to user_data, SQLite or disk.
Entries expire after a TTL and are dropped on cancel, timeout, lock-out and success.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class VaultEntry:
    """What one user has uploaded in the current registration."""

    files: list[Any] = field(default_factory=list)  # bot.certs.UploadedFile
    bundles: list[Any] = field(default_factory=list)  # bot.certs.CertificateBundle
    chosen: Any = None  # the CertificateBundle being registered
    protected_pfx: bytes | None = None  # a PFX that only its password can open (certs encrypted)
    unlocked: bool = False
    identity_verified: bool = False
    random_num: bytes | None = None  # R, kept only until the identity check
    expires_at: float = 0.0


class KeyVault:
    """Per-user entries with a time-to-live; nothing here survives the process."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[int, VaultEntry] = {}

    def get(self, user_id: int) -> VaultEntry | None:
        entry = self._entries.get(user_id)
        if entry is None:
            return None
        if entry.expires_at < self._clock():
            self.drop(user_id)
            return None
        entry.expires_at = self._clock() + self.ttl
        return entry

    def open(self, user_id: int) -> VaultEntry:
        """The user's entry, created empty if needed."""
        entry = self.get(user_id)
        if entry is None:
            entry = VaultEntry(expires_at=self._clock() + self.ttl)
            self._entries[user_id] = entry
        return entry

    def drop(self, user_id: int) -> None:
        entry = self._entries.pop(user_id, None)
        if entry is not None:
            entry.files.clear()
            entry.bundles.clear()
            entry.chosen = None
            entry.protected_pfx = None
            entry.random_num = None

    def sweep(self) -> int:
        """Drop every expired entry; returns how many."""
        now = self._clock()
        expired = [uid for uid, e in self._entries.items() if e.expires_at < now]
        for uid in expired:
            self.drop(uid)
        return len(expired)

    def __len__(self) -> int:
        return len(self._entries)
