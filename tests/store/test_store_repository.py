"""The store on a real SQLite file: migrations, the one-active rule, locks, persistence."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store import (
    AlreadyActiveElsewhere,
    AlreadyActiveForUser,
    CertificateNotFound,
    LimitReached,
    NotActive,
    Store,
    open_database,
)
from bot.store.database import migration_scripts
from bot.store.persistence import SqlitePersistence
from bot.store.repository import NewCertificate, scrub_free_text


def new_cert(
    serial: str = "01ab", issuer: str = "CN=yessignCA Class 2,O=yessign,C=kr"
) -> NewCertificate:
    now = datetime.now(UTC)
    return NewCertificate(
        issuer_dn=issuer,
        serial_hex=serial,
        subject_dn="CN=홍길동",
        owner_name="홍길동",
        ca="yessign",
        policy_oid="1.2.410.200005.1.1.4",
        holder_type="personal",
        usage="restricted",
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=300),
        fingerprint_sha256="ab" * 32,
        key_format="seed-sha1",
        cert_der=b"\x30\x82public",
    )


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    db = await open_database(tmp_path / "s.sqlite3")
    yield Store(db)  # type: ignore[misc]
    await db.close()


async def test_schema_version_wal_and_foreign_keys(store: Store, tmp_path: Path) -> None:
    assert await store.db.schema_version() == len(migration_scripts())
    async with store.db.connection.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0] == "wal"
    async with store.db.connection.execute("PRAGMA foreign_keys") as cur:
        assert (await cur.fetchone())[0] == 1
    # Opening again applies nothing twice.
    db2 = await open_database(tmp_path / "s.sqlite3")
    assert await db2.schema_version() == len(migration_scripts())
    await db2.close()


async def test_register_rules(store: Store) -> None:
    first = await store.register_certificate(1, new_cert("01"), max_active=1)
    assert first.status == "active" and first.user_id == 1
    with pytest.raises(AlreadyActiveForUser):
        await store.register_certificate(1, new_cert("01"), max_active=1)
    with pytest.raises(LimitReached):
        await store.register_certificate(1, new_cert("02"), max_active=1)
    with pytest.raises(AlreadyActiveElsewhere):
        await store.register_certificate(2, new_cert("01"), max_active=1)
    assert [e["event"] for e in await store.audit_events(2)] == [
        "register_refused_active_elsewhere"
    ]
    # Released: the same certificate may become active again, for anyone.
    await store.release(1, first.id, reason="lost")
    with pytest.raises(NotActive):
        await store.release(1, first.id, reason="lost")
    with pytest.raises(CertificateNotFound):
        await store.release(2, first.id, reason=None)
    again = await store.register_certificate(2, new_cert("01"), max_active=1)
    assert again.id != first.id
    assert [c.id for c in await store.history_of(1)] == [first.id]


async def test_database_enforces_one_active_certificate(store: Store, tmp_path: Path) -> None:
    await store.register_certificate(1, new_cert("77"), max_active=5)
    raw = sqlite3.connect(tmp_path / "s.sqlite3")
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute(
            "INSERT INTO certificates (user_id, issuer_dn, serial_hex, subject_dn, owner_name, ca,"
            " holder_type, usage, not_before, not_after, fingerprint_sha256, key_format, cert_der,"
            " status, registered_at) SELECT 1, issuer_dn, serial_hex, subject_dn, owner_name, ca,"
            " holder_type, usage, not_before, not_after, fingerprint_sha256, key_format, cert_der,"
            " 'active', registered_at FROM certificates"
        )
    raw.close()


async def test_password_lock(store: Store) -> None:
    scopes = ["user:1", "cert:abc"]
    now = datetime.now(UTC)
    for attempt in range(1, 5):
        state = await store.record_attempt_failure(scopes, max_attempts=5, lock_minutes=30, now=now)
        assert state.failures == attempt and state.locked_until is None
    state = await store.record_attempt_failure(scopes, max_attempts=5, lock_minutes=30, now=now)
    assert state.locked_until == now + timedelta(minutes=30)
    assert (await store.lock_state(["cert:abc"], now=now)).locked_until is not None
    # Another user uploading the same certificate is locked too (per-certificate scope).
    assert (await store.lock_state(["user:2", "cert:abc"], now=now)).locked_until is not None
    later = now + timedelta(minutes=31)
    assert (await store.lock_state(scopes, now=later)).locked_until is None
    state = await store.record_attempt_failure(scopes, max_attempts=5, lock_minutes=30, now=later)
    assert state.failures == 1


async def test_expiry_notices_are_claimed_once(store: Store) -> None:
    cert = await store.register_certificate(1, new_cert("05"), max_active=1)
    assert await store.claim_expiry_notice(cert.id, 30)
    assert not await store.claim_expiry_notice(cert.id, 30)
    assert await store.mark_expired(cert.id)
    assert not await store.mark_expired(cert.id)


async def test_faq_log_scrubs_numbers_and_ranks(store: Store) -> None:
    for _ in range(3):
        await store.log_faq_query(1, "대출 금리 알려줘", "fallback", None, 10.0)
    await store.log_faq_query(1, "주민번호 800101-1234567 맞나요", "fallback", None, 5.0)
    await store.log_faq_query(1, "인증서 등록", "answer", "how-to-register", 90.0)
    top = await store.top_unanswered()
    assert top[0] == ("대출 금리 알려줘", 3)
    assert all("1234567" not in q for q, _ in top)
    assert scrub_free_text("a" * 500) == "a" * 300


async def test_persistence_round_trip_as_json(store: Store) -> None:
    persistence = SqlitePersistence(store)
    await persistence.update_conversation("flows", (5, 5), 12)
    await persistence.update_user_data(5, {"flow": {"name": "register", "touched": 1.0}})
    await persistence.update_bot_data({"version": 1})
    await persistence.flush()
    fresh = SqlitePersistence(store)
    assert await fresh.get_conversations("flows") == {(5, 5): 12}
    assert (await fresh.get_user_data())[5]["flow"]["name"] == "register"
    assert await fresh.get_bot_data() == {"version": 1}
    await fresh.update_conversation("flows", (5, 5), None)
    assert await SqlitePersistence(store).get_conversations("flows") == {}
    with pytest.raises(TypeError):
        await fresh.update_user_data(6, {"bad": object()})  # not JSON: refused, never pickled
