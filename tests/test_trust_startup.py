"""H2: trust anchors at start-up, and the store's one-active rule over issuer spellings."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.app import create_application
from bot.cli import main
from bot.config import Settings
from bot.store import AlreadyActiveElsewhere, Store, open_database
from bot.store.repository import NewCertificate
from tests.conftest import cert


def test_run_without_trust_anchors_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    for name in ("TRUSTED_CA_FILE", "ALLOW_UNVERIFIED_ISSUERS", "ALLOW_UNKNOWN_ISSUERS"):
        monkeypatch.delenv(name, raising=False)
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "TRUSTED_CA_FILE" in err and "ALLOW_UNVERIFIED_ISSUERS=true" in err


def test_unreadable_trust_file_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    (tmp_path / "bundle.pem").write_text("not a pem")
    monkeypatch.setenv("TRUSTED_CA_FILE", str(tmp_path / "bundle.pem"))
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("Invalid setting TRUSTED_CA_FILE:") and len(err.splitlines()) == 1


async def test_allow_unverified_without_anchors_starts_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token="123:abc",
        database_path=tmp_path / "db.sqlite3",
        allow_unverified_issuers=True,
    )
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        app = await create_application(settings)
    try:
        assert app.services.trust is None
        assert any("no issuer is verified" in r.getMessage() for r in caplog.records)
    finally:
        await app.services.store.close()  # never initialized: the store is all to close


async def test_issuer_spelling_is_one_issuer_in_the_store(tmp_path: Path) -> None:
    store = Store(await open_database(tmp_path / "db.sqlite3"))
    try:
        info = cert(name="대문자").info
        first = NewCertificate.of(info, key_format="seed-sha1", cert_der=b"x")
        shouting = NewCertificate.of(
            info,
            issuer_dn=info.issuer_dn.replace("O=yessign", "O=YESSIGN"),
            key_format="seed-sha1",
            cert_der=b"y",
        )
        assert shouting.issuer_dn != first.issuer_dn
        await store.register_certificate(1, first, max_active=1)
        with pytest.raises(AlreadyActiveElsewhere):
            await store.register_certificate(2, shouting, max_active=1)
    finally:
        await store.close()
