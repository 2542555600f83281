"""The repository: what the bot does with its data, named after the domain.

Each method is one transaction. Only public certificate data is ever written here:
no password, identity number or key material has a column to go to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite

from bot.clock import Clock
from bot.store.database import Database
from bot.store.records import (
    INSERT_COLUMNS,
    SELECT_LIST,
    CertificateFacts,
    NewCertificate,
    RegisteredCertificate,
    insert_values,
    registered,
)

__all__ = [
    "AlreadyActiveElsewhere",
    "AlreadyActiveForUser",
    "CertificateFacts",
    "CertificateNotFound",
    "LimitReached",
    "LockState",
    "NewCertificate",
    "NotActive",
    "RegisteredCertificate",
    "Store",
    "StoreError",
    "scrub_free_text",
]


class StoreError(Exception):
    """Base of the repository's domain errors."""


class LimitReached(StoreError):
    """The user already has the maximum number of active certificates."""


class AlreadyActiveForUser(StoreError):
    """This certificate is already registered (active) for this user."""


class AlreadyActiveElsewhere(StoreError):
    """This certificate is active for another Telegram user."""


class CertificateNotFound(StoreError):
    """No such certificate for this user (unknown id, or someone else's)."""


class NotActive(StoreError):
    """The certificate exists but was already released or has expired."""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# Long digit runs (resident or account numbers) are masked before a free-text query is kept.
_DIGIT_RUN = re.compile(r"\d[\d\s-]{5,}\d")


def scrub_free_text(text: str, limit: int = 300) -> str:
    """Mask digit runs and cap the length of customer text before it is stored."""
    return _DIGIT_RUN.sub("[숫자]", text)[:limit]


def _attempt_scopes(user_id: int, certificate: str | None) -> list[str]:
    scopes = [f"user:{user_id}"]
    if certificate:
        scopes.append(f"cert:{certificate}")
    return scopes


def _pair_scope(user_id: int, certificate: str) -> str:
    """This user's failures on this certificate: what a success of theirs takes back from
    their user counter (failures on any other certificate stay counted)."""
    return f"user:{user_id}/cert:{certificate}"


@dataclass(frozen=True)
class LockState:
    """Wrong-attempt state over the scopes asked about."""

    failures: int
    locked_until: datetime | None


class Store:
    """Domain operations on the database; one transaction per method."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or Clock()

    async def close(self) -> None:
        await self.db.close()

    # ---- users -----------------------------------------------------------------------------

    async def touch_user(self, user_id: int) -> None:
        """Record that the user exists (first and last seen)."""
        stamp = _iso(self.clock.now())
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO users (user_id, first_seen, last_seen) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET last_seen = excluded.last_seen",
                (user_id, stamp, stamp),
            )

    async def language_of(self, user_id: int) -> str | None:
        """The language the user chose, or None if they never chose."""
        async with self.db.connection.execute(
            "SELECT language FROM users WHERE user_id = ?", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        return row["language"] if row else None

    async def set_language(self, user_id: int, language: str) -> None:
        stamp = _iso(self.clock.now())
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO users (user_id, language, first_seen, last_seen) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET language = excluded.language, "
                "last_seen = excluded.last_seen",
                (user_id, language, stamp, stamp),
            )

    # ---- certificates ----------------------------------------------------------------------

    async def active_certificates_of(self, user_id: int) -> list[RegisteredCertificate]:
        async with self.db.connection.execute(
            f"SELECT {SELECT_LIST} FROM certificates WHERE user_id = ? AND status = 'active' "
            "ORDER BY registered_at, id",
            (user_id,),
        ) as cur:
            return [registered(r) for r in await cur.fetchall()]

    async def history_of(
        self, user_id: int, limit: int = 5, offset: int = 0
    ) -> list[RegisteredCertificate]:
        """Released or expired certificates, newest first (`offset` for the next pages)."""
        async with self.db.connection.execute(
            f"SELECT {SELECT_LIST} FROM certificates WHERE user_id = ? AND status != 'active' "
            "ORDER BY ended_at DESC, id DESC LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        ) as cur:
            return [registered(r) for r in await cur.fetchall()]

    async def history_count(self, user_id: int) -> int:
        async with self.db.connection.execute(
            "SELECT COUNT(*) FROM certificates WHERE user_id = ? AND status != 'active'",
            (user_id,),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def certificate_of(self, user_id: int, certificate_id: int) -> RegisteredCertificate:
        """The user's certificate by id; someone else's id is CertificateNotFound."""
        async with self.db.connection.execute(
            f"SELECT {SELECT_LIST} FROM certificates WHERE id = ? AND user_id = ?",
            (certificate_id, user_id),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            raise CertificateNotFound(certificate_id)
        return registered(row)

    async def certificate_exists(self, certificate_id: int) -> bool:
        async with self.db.connection.execute(
            "SELECT 1 FROM certificates WHERE id = ?", (certificate_id,)
        ) as cur:
            return await cur.fetchone() is not None

    async def active_holder(self, issuer_key: str, serial_hex: str) -> int | None:
        """The user for whom this certificate (issuer and serial) is active, if anyone."""
        async with self.db.connection.execute(
            "SELECT user_id FROM certificates WHERE issuer_key = ? AND serial_hex = ? "
            "AND status = 'active'",
            (issuer_key, serial_hex),
        ) as cur:
            row = await cur.fetchone()
        return int(row["user_id"]) if row is not None else None

    async def register_certificate(
        self, user_id: int, cert: NewCertificate, *, max_active: int
    ) -> RegisteredCertificate:
        """Make the certificate active for the user, audited; one transaction.

        Raises AlreadyActiveForUser (a double tap), AlreadyActiveElsewhere, or LimitReached.
        """
        stamp = _iso(self.clock.now())
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT user_id FROM certificates WHERE issuer_key = ? AND serial_hex = ? "
                "AND status = 'active'",
                (cert.issuer_key, cert.serial_hex),
            ) as cur:
                holder = await cur.fetchone()
            refused_elsewhere = holder is not None and holder["user_id"] != user_id
            if holder is not None and not refused_elsewhere:
                raise AlreadyActiveForUser()
            if refused_elsewhere:
                # Audited and committed; the caller is told after the transaction.
                await self._audit(
                    conn,
                    user_id,
                    "register_refused_active_elsewhere",
                    None,
                    {"fingerprint": cert.fingerprint_sha256},
                )
                created = None
            else:
                created = await self._insert_certificate(conn, user_id, cert, max_active, stamp)
        if created is None:
            raise AlreadyActiveElsewhere()
        return registered(created)

    async def _insert_certificate(
        self,
        conn: aiosqlite.Connection,
        user_id: int,
        cert: NewCertificate,
        max_active: int,
        stamp: str,
    ) -> aiosqlite.Row:
        async with conn.execute(
            "SELECT COUNT(*) FROM certificates WHERE user_id = ? AND status = 'active'",
            (user_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is not None and row[0] >= max_active:
            raise LimitReached()
        await conn.execute(
            "INSERT INTO users (user_id, first_seen, last_seen) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO NOTHING",
            (user_id, stamp, stamp),
        )
        cursor = await conn.execute(
            f"INSERT INTO certificates (user_id, {', '.join(INSERT_COLUMNS)}, status, "
            f"registered_at) VALUES (?, {', '.join('?' for _ in INSERT_COLUMNS)}, 'active', ?)",
            (user_id, *insert_values(cert), stamp),
        )
        certificate_id = int(cursor.lastrowid or 0)
        await self._audit(
            conn,
            user_id,
            "registered",
            certificate_id,
            {"fingerprint": cert.fingerprint_sha256, "serial": cert.serial_hex},
        )
        async with conn.execute(
            f"SELECT {SELECT_LIST} FROM certificates WHERE id = ?", (certificate_id,)
        ) as cur:
            created = await cur.fetchone()
        assert created is not None
        return created

    async def release(
        self, user_id: int, certificate_id: int, *, reason: str | None, note: str | None = None
    ) -> RegisteredCertificate:
        """Release (해제) the user's active certificate, audited; raises NotActive on a repeat."""
        stamp = _iso(self.clock.now())
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT status FROM certificates WHERE id = ? AND user_id = ?",
                (certificate_id, user_id),
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                raise CertificateNotFound(certificate_id)
            if row["status"] != "active":
                raise NotActive(certificate_id)
            await conn.execute(
                "UPDATE certificates SET status = 'released', ended_at = ?, release_reason = ?, "
                "release_note = ? WHERE id = ?",
                (stamp, reason, scrub_free_text(note) if note else None, certificate_id),
            )
            await self._audit(conn, user_id, "released", certificate_id, {"reason": reason})
            async with conn.execute(
                f"SELECT {SELECT_LIST} FROM certificates WHERE id = ?", (certificate_id,)
            ) as cur:
                updated = await cur.fetchone()
        assert updated is not None
        return registered(updated)

    # ---- audit -----------------------------------------------------------------------------

    async def audit(
        self,
        user_id: int | None,
        event: str,
        certificate_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        async with self.db.transaction() as conn:
            await self._audit(conn, user_id, event, certificate_id, detail or {})

    async def _audit(
        self,
        conn: aiosqlite.Connection,
        user_id: int | None,
        event: str,
        certificate_id: int | None,
        detail: dict[str, Any],
    ) -> None:
        await conn.execute(
            "INSERT INTO audit_events (at, user_id, event, certificate_id, detail) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                _iso(self.clock.now()),
                user_id,
                event,
                certificate_id,
                json.dumps(detail, sort_keys=True),
            ),
        )

    async def audit_events(self, user_id: int | None = None) -> list[dict[str, Any]]:
        query = "SELECT at, user_id, event, certificate_id, detail FROM audit_events"
        params: tuple[Any, ...] = ()
        if user_id is not None:
            query += " WHERE user_id = ?"
            params = (user_id,)
        async with self.db.connection.execute(query + " ORDER BY id", params) as cur:
            rows = await cur.fetchall()
        return [
            {
                "at": r["at"],
                "user_id": r["user_id"],
                "event": r["event"],
                "certificate_id": r["certificate_id"],
                "detail": json.loads(r["detail"]),
            }
            for r in rows
        ]

    # ---- attempt locks (wrong passwords and identity numbers) -------------------------------

    async def registration_lock(self, user_id: int, certificate: str | None = None) -> LockState:
        """Whether this user (or this certificate, for anyone) may try a registration now.

        `certificate` is a certificate's lock id (its public key's hash, so a copy with one
        byte changed is the same certificate), or a file id for a file whose certificate
        cannot be read before its password opens it."""
        return await self.lock_state(_attempt_scopes(user_id, certificate))

    async def record_wrong_password(
        self, user_id: int, certificate: str, *, max_attempts: int, lock_minutes: int
    ) -> LockState:
        """Count a wrong password for the user and the certificate, audited; lock both at
        the limit (the lock is audited too)."""
        return await self._record_wrong(
            "password_failed", user_id, certificate, max_attempts, lock_minutes
        )

    async def record_wrong_identity(
        self, user_id: int, certificate: str, *, max_attempts: int, lock_minutes: int
    ) -> LockState:
        """Count a wrong identity number the same way (same counters, same lock)."""
        return await self._record_wrong(
            "identity_failed", user_id, certificate, max_attempts, lock_minutes
        )

    async def clear_wrong_attempts(self, user_id: int, certificate: str) -> None:
        """The password was right: forget this certificate's count and take this user's
        failures on it back from their user counter. Failures on other certificates stay
        counted (a success on one's own certificate is no reset for another), and a lock in
        force stays."""
        pair, user_scope = _pair_scope(user_id, certificate), f"user:{user_id}"
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT failures FROM attempt_locks WHERE scope = ? AND locked_until IS NULL",
                (pair,),
            ) as cur:
                row = await cur.fetchone()
            mine = int(row["failures"]) if row is not None else 0
            for scope in (pair, f"cert:{certificate}"):
                await conn.execute(
                    "DELETE FROM attempt_locks WHERE scope = ? AND locked_until IS NULL", (scope,)
                )
            if mine:
                await conn.execute(
                    "UPDATE attempt_locks SET failures = MAX(failures - ?, 0) "
                    "WHERE scope = ? AND locked_until IS NULL",
                    (mine, user_scope),
                )
                await conn.execute(
                    "DELETE FROM attempt_locks WHERE scope = ? AND failures = 0 "
                    "AND locked_until IS NULL",
                    (user_scope,),
                )

    async def _record_wrong(
        self, event: str, user_id: int, certificate: str, max_attempts: int, lock_minutes: int
    ) -> LockState:
        state = await self.record_attempt_failure(
            [*_attempt_scopes(user_id, certificate), _pair_scope(user_id, certificate)],
            max_attempts=max_attempts,
            lock_minutes=lock_minutes,
        )
        detail = {"fingerprint": certificate, "failures": state.failures}
        await self.audit(user_id, event, None, detail)
        if state.locked_until is not None:
            await self.audit(user_id, "locked", None, {"fingerprint": certificate})
        return state

    # ---- attempt counters by scope (the primitives of the above) -----------------------

    async def lock_state(self, scopes: Sequence[str], now: datetime | None = None) -> LockState:
        """The worst state over the scopes: most failures, latest lock still in force."""
        moment = now or self.clock.now()
        failures = 0
        locked_until: datetime | None = None
        if not scopes:
            return LockState(0, None)
        marks = ",".join("?" for _ in scopes)
        async with self.db.connection.execute(
            f"SELECT failures, locked_until FROM attempt_locks WHERE scope IN ({marks})",
            tuple(scopes),
        ) as cur:
            rows = await cur.fetchall()
        for row in rows:
            until = _parse(row["locked_until"])
            if until is not None and until > moment:
                locked_until = max(locked_until or until, until)
            elif until is None:
                failures = max(failures, row["failures"])
        return LockState(failures, locked_until)

    async def record_attempt_failure(
        self,
        scopes: Sequence[str],
        *,
        max_attempts: int,
        lock_minutes: int,
        now: datetime | None = None,
    ) -> LockState:
        """Count one failure in every scope; at the limit lock them all. Returns the new state."""
        moment = now or self.clock.now()
        worst = 0
        async with self.db.transaction() as conn:
            for scope in scopes:
                async with conn.execute(
                    "SELECT failures, locked_until FROM attempt_locks WHERE scope = ?", (scope,)
                ) as cur:
                    row = await cur.fetchone()
                failures = 0
                if row is not None:
                    until = _parse(row["locked_until"])
                    # An expired lock starts the count again.
                    failures = 0 if until is not None and until <= moment else row["failures"]
                failures += 1
                worst = max(worst, failures)
                await conn.execute(
                    "INSERT INTO attempt_locks (scope, failures, locked_until, updated_at) "
                    "VALUES (?, ?, NULL, ?) ON CONFLICT (scope) DO UPDATE SET "
                    "failures = excluded.failures, locked_until = NULL, "
                    "updated_at = excluded.updated_at",
                    (scope, failures, _iso(moment)),
                )
            locked_until = None
            if worst >= max_attempts:
                locked_until = moment + timedelta(minutes=lock_minutes)
                for scope in scopes:
                    await conn.execute(
                        "UPDATE attempt_locks SET locked_until = ? WHERE scope = ?",
                        (_iso(locked_until), scope),
                    )
        return LockState(worst, locked_until)

    async def clear_attempt_failures(self, scopes: Iterable[str]) -> None:
        async with self.db.transaction() as conn:
            for scope in scopes:
                await conn.execute(
                    "DELETE FROM attempt_locks WHERE scope = ? AND locked_until IS NULL", (scope,)
                )

    # ---- expiry ----------------------------------------------------------------------------

    async def active_certificates(self) -> list[RegisteredCertificate]:
        async with self.db.connection.execute(
            f"SELECT {SELECT_LIST} FROM certificates WHERE status = 'active' ORDER BY id"
        ) as cur:
            return [registered(r) for r in await cur.fetchall()]

    async def claim_expiry_notice(self, certificate_id: int, days: int) -> bool:
        """Record that the `days` notice goes out; False if it was already sent."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO expiry_notices (certificate_id, days, sent_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (certificate_id, days, _iso(self.clock.now())),
            )
            return cursor.rowcount == 1

    async def mark_expired(self, certificate_id: int) -> bool:
        """Move an active certificate to expired; False if it was no longer active."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE certificates SET status = 'expired', ended_at = ? "
                "WHERE id = ? AND status = 'active'",
                (_iso(self.clock.now()), certificate_id),
            )
            if cursor.rowcount != 1:
                return False
            async with conn.execute(
                "SELECT user_id FROM certificates WHERE id = ?", (certificate_id,)
            ) as cur:
                row = await cur.fetchone()
            await self._audit(conn, row["user_id"] if row else None, "expired", certificate_id, {})
            return True

    # ---- FAQ -------------------------------------------------------------------------------

    async def log_faq_query(
        self,
        user_id: int | None,
        query: str,
        decision: str,
        entry_id: str | None,
        score: float | None,
    ) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO faq_queries (at, user_id, query, decision, entry_id, score) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    _iso(self.clock.now()),
                    user_id,
                    scrub_free_text(query),
                    decision,
                    entry_id,
                    score,
                ),
            )

    async def record_faq_feedback(self, user_id: int, entry_id: str, helpful: bool) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO faq_feedback (at, user_id, entry_id, helpful) "
                "VALUES (?, ?, ?, ?)",
                (_iso(self.clock.now()), user_id, entry_id, int(helpful)),
            )

    async def top_unanswered(self, *, days: int = 30, limit: int = 20) -> list[tuple[str, int]]:
        """The most frequent fallback queries of the last `days` days."""
        since = _iso(self.clock.now() - timedelta(days=days))
        async with self.db.connection.execute(
            "SELECT query, COUNT(*) AS n FROM faq_queries WHERE decision = 'fallback' AND at >= ? "
            "GROUP BY lower(query) ORDER BY n DESC, MAX(at) DESC LIMIT ?",
            (since, limit),
        ) as cur:
            return [(r["query"], r["n"]) for r in await cur.fetchall()]

    async def feedback_summary(self) -> list[tuple[str, int, int]]:
        async with self.db.connection.execute(
            "SELECT entry_id, SUM(helpful), SUM(1 - helpful) FROM faq_feedback GROUP BY entry_id"
        ) as cur:
            return [(r[0], int(r[1]), int(r[2])) for r in await cur.fetchall()]

    # ---- PTB persistence (JSON only) -------------------------------------------------------

    async def load_conversations(self, name: str) -> dict[tuple[int | str, ...], object]:
        async with self.db.connection.execute(
            "SELECT key, state FROM ptb_conversations WHERE name = ?", (name,)
        ) as cur:
            rows = await cur.fetchall()
        return {tuple(json.loads(r["key"])): json.loads(r["state"]) for r in rows}

    async def save_conversation(
        self, name: str, key: tuple[int | str, ...], state: object | None
    ) -> None:
        async with self.db.transaction() as conn:
            if state is None:
                await conn.execute(
                    "DELETE FROM ptb_conversations WHERE name = ? AND key = ?",
                    (name, json.dumps(list(key))),
                )
            else:
                await conn.execute(
                    "INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?) "
                    "ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
                    (name, json.dumps(list(key)), json.dumps(state)),
                )

    async def load_data(self, kind: str) -> dict[int, Any]:
        async with self.db.connection.execute(
            "SELECT id, data FROM ptb_data WHERE kind = ?", (kind,)
        ) as cur:
            rows = await cur.fetchall()
        return {int(r["id"]): json.loads(r["data"]) for r in rows}

    async def save_data(self, kind: str, item_id: int, data: Any) -> None:
        async with self.db.transaction() as conn:
            if data is None:
                await conn.execute(
                    "DELETE FROM ptb_data WHERE kind = ? AND id = ?", (kind, item_id)
                )
            else:
                await conn.execute(
                    "INSERT INTO ptb_data (kind, id, data) VALUES (?, ?, ?) "
                    "ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data",
                    (kind, item_id, json.dumps(data, ensure_ascii=False, default=str)),
                )
