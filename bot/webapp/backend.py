"""What the server asks of the bot: register a proven certificate, lock after wrong passwords.

`bot.webapp.policy_backend.PolicyBackend` is the real policy (the chat flow's checks, locks and
confirmation); `bot.webapp.store_backend` is the small adapter the server's unit tests use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot.webapp.initdata import WebAppUser

__all__ = ["LockKind", "Outcome", "RegistrationBackend"]

LockKind = Literal["password", "identity"]


@dataclass(frozen=True)
class Outcome:
    """The answer to the page: `code` is stable (the page maps it to a ko/en text).

    `details` carries public, display-only values (e.g. the owner name or a date).
    """

    ok: bool
    code: str
    details: Mapping[str, str] = field(default_factory=dict)


class RegistrationBackend(Protocol):
    async def register(self, user: WebAppUser, cert_der: bytes) -> Outcome:
        """Register a certificate whose key the user has just proven to hold."""
        ...

    async def lock(
        self, user: WebAppUser, cert_der: bytes | None, kind: LockKind = "password"
    ) -> Outcome:
        """Too many wrong passwords (or identity numbers) on the page: lock like the chat flow."""
        ...
