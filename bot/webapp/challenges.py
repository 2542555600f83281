"""One-time challenges: random 32 bytes, bound to one Telegram user, 5 minutes, in memory only."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Challenge", "ChallengeBook", "ChallengeError"]

CHALLENGE_TTL_SECONDS = 300
MAX_PER_USER = 5
MAX_TOTAL = 10_000


class ChallengeError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Challenge:
    id: str
    user_id: int
    value: bytes
    expires: float
    identity_fingerprint: str | None = None  # set once the VID check passed for this cert


class ChallengeBook:
    def __init__(
        self, *, ttl: float = CHALLENGE_TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._items: dict[str, Challenge] = {}

    def __len__(self) -> int:
        return len(self._items)

    def _purge(self) -> None:
        moment = self._clock()
        for key in [k for k, c in self._items.items() if c.expires <= moment]:
            del self._items[key]

    def issue(self, user_id: int) -> Challenge:
        self._purge()
        mine = sorted(
            (c for c in self._items.values() if c.user_id == user_id), key=lambda c: c.expires
        )
        for old in mine[: max(0, len(mine) - MAX_PER_USER + 1)]:
            del self._items[old.id]  # a user keeps at most MAX_PER_USER open challenges
        if len(self._items) >= MAX_TOTAL:
            raise ChallengeError("busy")
        challenge = Challenge(
            id=secrets.token_urlsafe(16),
            user_id=user_id,
            value=secrets.token_bytes(32),
            expires=self._clock() + self._ttl,
        )
        self._items[challenge.id] = challenge
        return challenge

    def peek(self, challenge_id: str, user_id: int) -> Challenge:
        """The open challenge (not consumed), if it is this user's and still fresh."""
        challenge = self._items.get(challenge_id)
        if challenge is None:
            raise ChallengeError("challenge_unknown")
        if challenge.user_id != user_id:
            raise ChallengeError("challenge_foreign")
        if challenge.expires <= self._clock():
            del self._items[challenge_id]
            raise ChallengeError("challenge_expired")
        return challenge

    def take(self, challenge_id: str, user_id: int) -> Challenge:
        """Consume the challenge: whatever happens next, it cannot be used again."""
        challenge = self.peek(challenge_id, user_id)
        del self._items[challenge_id]
        return challenge

    def drop(self, challenge_id: str) -> None:
        self._items.pop(challenge_id, None)
