"""The one record of a certificate's public facts, and the rows derived from it.

`CertificateFacts` lists what the store keeps about a certificate (never a key, never a
secret, never a localized text); the table's column lists and the row conversion are derived
from the dataclass fields, so a new fact is added in one place.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self

import aiosqlite

from bot.certs.inspect import kst_days_left


@dataclass(frozen=True)
class CertificateFacts:
    """The public facts of a certificate that the store keeps.

    The usage purpose is not stored: it is a localized text, looked up from `policy_oid` in
    the certificate core's catalog when rendering.
    """

    issuer_dn: str
    serial_hex: str
    subject_dn: str
    owner_name: str
    ca: str
    policy_oid: str | None
    holder_type: str
    usage: str
    not_before: datetime
    not_after: datetime
    fingerprint_sha256: str
    key_format: str

    @classmethod
    def of(cls, source: object, **extra: Any) -> Self:
        """The facts read from any object that has them as attributes (e.g. the core's
        CertificateInfo), plus `extra` for those it lacks (e.g. the key format)."""
        values = {
            f.name: extra[f.name] if f.name in extra else getattr(source, f.name)
            for f in dataclasses.fields(cls)
        }
        return cls(**values)

    def days_left(self, now: datetime) -> int:
        """Days until expiry in KST calendar days (negative once expired), as /certs shows."""
        return kst_days_left(self.not_after, now)


@dataclass(frozen=True)
class NewCertificate(CertificateFacts):
    """A certificate about to be registered, with its DER."""

    cert_der: bytes


@dataclass(frozen=True)
class RegisteredCertificate(CertificateFacts):
    """A row of the certificates table, as flows see it."""

    id: int
    user_id: int
    status: str
    registered_at: datetime
    ended_at: datetime | None
    release_reason: str | None


def column_names(record: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(record))


#: What an INSERT writes (the facts and the DER) and what a SELECT reads back.
INSERT_COLUMNS = column_names(NewCertificate)
SELECT_COLUMNS = column_names(RegisteredCertificate)
SELECT_LIST = ", ".join(SELECT_COLUMNS)


def to_sql(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return value


def insert_values(cert: NewCertificate) -> tuple[object, ...]:
    return tuple(to_sql(getattr(cert, name)) for name in INSERT_COLUMNS)


_DATETIME_FIELDS = frozenset(
    name
    for name, hint in typing.get_type_hints(RegisteredCertificate).items()
    if hint is datetime or datetime in typing.get_args(hint)
)


def registered(row: aiosqlite.Row) -> RegisteredCertificate:
    """One SELECT row (columns SELECT_LIST) as a RegisteredCertificate."""
    values: dict[str, Any] = {
        name: datetime.fromisoformat(row[name])
        if name in _DATETIME_FIELDS and row[name]
        else row[name]
        for name in SELECT_COLUMNS
    }
    return RegisteredCertificate(**values)
