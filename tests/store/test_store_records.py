"""One record of a certificate's public facts: columns derived from it, no localized text
in SQLite, and the migration that dropped it, run on a database made at the old schema."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.flows.render import summary, usage_text
from bot.store import Store, open_database
from bot.store.database import migration_scripts
from bot.store.records import (
    INSERT_COLUMNS,
    SELECT_COLUMNS,
    CertificateFacts,
    NewCertificate,
    RegisteredCertificate,
)
from bot.texts import Catalog
from tests.conftest import cert


def _table_columns(path: Path, table: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


async def test_columns_are_the_record_fields(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "r.sqlite3")
    await db.close()
    columns = _table_columns(tmp_path / "r.sqlite3", "certificates")
    facts = [f.name for f in dataclasses.fields(CertificateFacts)]
    assert set(INSERT_COLUMNS) == {*facts, "cert_der"}
    assert set(SELECT_COLUMNS) | {"cert_der", "release_note"} == set(columns)
    assert not [c for c in columns if c.endswith(("_ko", "_en"))]  # no localized text


def test_facts_of_a_core_certificate_info() -> None:
    gen = cert(name="사실확인", ca="KICA")
    new = NewCertificate.of(gen.info, key_format="seed-cbc", cert_der=gen.cert_der)
    assert new.owner_name == "사실확인" and new.ca == "KICA" and new.key_format == "seed-cbc"
    assert new.policy_oid == gen.info.policy_oid and new.not_after == gen.info.not_after


def _old_schema_database(path: Path) -> None:
    """A database as version 3 of the schema left it, with one certificate in it."""
    with sqlite3.connect(path) as conn:
        for version, _, sql in migration_scripts():
            if version <= 3:
                conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
        now = datetime.now(UTC)
        conn.execute("INSERT INTO users (user_id, first_seen, last_seen) VALUES (7, 'x', 'x')")
        conn.execute(
            "INSERT INTO certificates (user_id, issuer_dn, serial_hex, subject_dn, owner_name, ca,"
            " policy_oid, holder_type, usage, usage_purpose_ko, usage_purpose_en, not_before,"
            " not_after, fingerprint_sha256, key_format, cert_der, status, registered_at)"
            " VALUES (7, 'CN=ca', '0a', 'CN=옛날', '옛날', 'yessign', '1.2.410.200005.1.1.4',"
            " 'personal', 'restricted', '옛 용도', 'old purpose', ?, ?, 'ff', 'seed-sha1', x'30',"
            " 'active', ?)",
            (
                (now - timedelta(days=1)).isoformat(timespec="seconds"),
                (now + timedelta(days=100)).isoformat(timespec="seconds"),
                now.isoformat(timespec="seconds"),
            ),
        )
        conn.execute(
            "INSERT INTO password_locks (scope, failures, locked_until, updated_at)"
            " VALUES ('user:7', 2, NULL, 'x')"
        )


async def test_migration_from_the_old_schema_keeps_rows_and_drops_localized_text(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    _old_schema_database(path)
    assert "usage_purpose_ko" in _table_columns(path, "certificates")
    db = await open_database(path)
    store = Store(db)
    try:
        assert await db.schema_version() == len(migration_scripts())
        (kept,) = await store.active_certificates_of(7)
        assert isinstance(kept, RegisteredCertificate)
        assert kept.owner_name == "옛날" and kept.policy_oid == "1.2.410.200005.1.1.4"
        # The purpose now comes from the policy table, in the reader's language.
        catalog = Catalog("ko")
        assert usage_text(catalog, "ko", kept) == "용도제한(은행·신용카드·보험용)"
        assert "Banking, credit card and insurance" in usage_text(catalog, "en", kept)
        assert "옛 용도" not in summary(catalog, "ko", kept, datetime.now(UTC))
        # The failure counters survived the rename to attempt locks.
        assert (await store.registration_lock(7)).failures == 2
    finally:
        await db.close()
    columns = _table_columns(path, "certificates")
    assert "usage_purpose_ko" not in columns and "usage_purpose_en" not in columns
