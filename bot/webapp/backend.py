"""What the server asks of the bot: register a proven certificate, lock after wrong passwords.

The integrator plugs in the real policy (trust anchors, expiry, limits, one user per
certificate, the chat confirmation); `bot.webapp.store_backend` is the small adapter the tests use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Outcome", "RegistrationBackend"]


@dataclass(frozen=True)
class Outcome:
    """The answer to the page: `code` is stable (the page maps it to a ko/en text).

    `details` carries public, display-only values (e.g. the owner name or a date).
    """

    ok: bool
    code: str
    details: Mapping[str, str] = field(default_factory=dict)


class RegistrationBackend(Protocol):
    async def register(self, user_id: int, cert_der: bytes) -> Outcome:
        """Register a certificate whose key the user has just proven to hold."""
        ...

    async def lock(self, user_id: int, cert_der: bytes | None) -> Outcome:
        """Too many wrong passwords (or identity numbers) on the page: lock like the chat flow."""
        ...
