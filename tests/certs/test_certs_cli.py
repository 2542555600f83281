"""`kcert-bot inspect` and `kcert-bot make-test-cert`: output, JSON fields and exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from certs_support import make_cert

from bot.certs.cli import inspect_command, make_test_cert_command

JSON_FIELDS = {
    "owner_name", "subject", "issuer", "ca", "serial_hex", "policy_oid", "holder_type", "usage",
    "not_before", "not_after", "expired", "days_left", "fingerprint_sha256", "key_format",
    "key_unlocked", "key_matches", "identity_verified",
}  # fmt: skip


@pytest.fixture
def pair_dir(tmp_path: Path) -> tuple[Path, object]:
    gen = make_cert(password="cli-Pw1!")
    (tmp_path / "signCert.der").write_bytes(gen.cert_der)
    (tmp_path / "signPri.key").write_bytes(gen.key_blob)
    return tmp_path, gen


def _run(monkeypatch, capsys, argv: list[str], stdin: str = "") -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = inspect_command(argv)
    return code, capsys.readouterr().out


def test_json_summary_without_password(pair_dir, monkeypatch, capsys) -> None:
    folder, gen = pair_dir
    code, out = _run(
        monkeypatch, capsys, [str(folder / "signCert.der"), str(folder / "signPri.key"), "--json"]
    )
    data = json.loads(out)
    assert code == 0
    assert set(data) >= JSON_FIELDS
    assert data["owner_name"] == "홍길동" and data["ca"] == "yessign"
    assert data["key_format"] == "seed-sha1"
    assert data["not_after"].endswith("+00:00")
    assert (data["key_unlocked"], data["key_matches"], data["identity_verified"]) == (
        None,
        None,
        None,
    )
    assert data["fingerprint_sha256"] == gen.info.fingerprint_sha256


def test_password_and_identity_from_stdin(pair_dir, monkeypatch, capsys) -> None:
    folder, _gen = pair_dir
    argv = [str(folder), "--json", "--password-stdin", "--check-identity"]
    code, out = _run(monkeypatch, capsys, argv, "cli-Pw1!\n800101-1234567\n")
    data = json.loads(out)
    assert code == 0
    assert (data["key_unlocked"], data["key_matches"], data["identity_verified"]) == (
        True,
        True,
        True,
    )
    assert "cli-Pw1!" not in out and "8001011234567" not in out


def test_failed_identity_check_exits_1(pair_dir, monkeypatch, capsys) -> None:
    folder, _gen = pair_dir
    argv = [str(folder), "--json", "--password-stdin", "--check-identity"]
    code, out = _run(monkeypatch, capsys, argv, "cli-Pw1!\n8001011234568\n")
    assert code == 1 and json.loads(out)["identity_verified"] is False


def test_wrong_password_exits_1(pair_dir, monkeypatch, capsys) -> None:
    folder, _gen = pair_dir
    code, out = _run(
        monkeypatch, capsys, [str(folder), "--json", "--password-stdin"], "nope-nope\n"
    )
    data = json.loads(out)
    assert code == 1 and data["key_unlocked"] is False
    assert "nope-nope" not in out


def test_key_mismatch_exits_1(tmp_path: Path, monkeypatch, capsys) -> None:
    mine, other = make_cert(key_index=0), make_cert(key_index=7)
    (tmp_path / "signCert.der").write_bytes(mine.cert_der)
    (tmp_path / "signPri.key").write_bytes(other.key_blob)
    code, out = _run(
        monkeypatch, capsys, [str(tmp_path), "--json", "--password-stdin"], "test1234!\n"
    )
    data = json.loads(out)
    assert code == 1 and (data["key_unlocked"], data["key_matches"]) == (True, False)


def test_unusable_input_exits_2(tmp_path: Path, monkeypatch, capsys) -> None:
    junk = tmp_path / "junk.der"
    junk.write_bytes(b"definitely not a certificate")
    code, out = _run(monkeypatch, capsys, [str(junk), "--json"])
    assert code == 2 and json.loads(out) == {
        "error": "not_a_certificate",
        "message": json.loads(out)["message"],
    }
    big = tmp_path / "big.pfx"
    big.write_bytes(bytes(70_000))
    code, out = _run(monkeypatch, capsys, [str(big), "--json"])
    assert code == 2 and json.loads(out)["error"] == "file_too_large"
    code, out = _run(monkeypatch, capsys, [str(tmp_path / "missing.der")])
    assert code == 2 and "오류 / Error" in out


def test_identity_unavailable_exits_2(tmp_path: Path, monkeypatch, capsys) -> None:
    gen = make_cert(identity_number=None)
    (tmp_path / "signCert.der").write_bytes(gen.cert_der)
    (tmp_path / "signPri.key").write_bytes(gen.key_blob)
    argv = [str(tmp_path), "--json", "--password-stdin", "--check-identity"]
    code, out = _run(monkeypatch, capsys, argv, "test1234!\n8001011234567\n")
    data = json.loads(out)
    assert (
        code == 2 and data["identity_error"] == "no_identity_data" and data["key_matches"] is True
    )


def test_human_output_is_korean_first(pair_dir, monkeypatch, capsys) -> None:
    folder, _gen = pair_dir
    code, out = _run(monkeypatch, capsys, [str(folder), "--password-stdin"], "cli-Pw1!\n")
    assert code == 0
    assert "소유자 / Owner" in out and "홍길동" in out
    assert "금융결제원" in out and "은행·신용카드·보험용" in out
    assert "cli-Pw1!" not in out


def test_check_identity_requires_password(pair_dir, monkeypatch, capsys) -> None:
    folder, _gen = pair_dir
    with pytest.raises(SystemExit) as info:
        _run(monkeypatch, capsys, [str(folder), "--check-identity"])
    assert info.value.code == 2


@pytest.mark.parametrize("fmt", ["seed-sha1", "pfx"])
def test_make_test_cert_then_inspect(tmp_path: Path, monkeypatch, capsys, fmt: str) -> None:
    argv = [
        "--out",
        str(tmp_path),
        "--format",
        fmt,
        "--ca",
        "KICA",
        "--key-size",
        "1024",
        "--name",
        "이몽룡",
    ]
    assert make_test_cert_command(argv) == 0
    printed = capsys.readouterr().out
    assert "signCert.der" in printed and ".zip" in printed
    folders = list((tmp_path / "NPKI" / "KICA" / "USER").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("cn=이몽룡")
    target = next(tmp_path.glob("*.pfx")) if fmt == "pfx" else next(tmp_path.glob("*.zip"))
    code, out = _run(
        monkeypatch, capsys, [str(target), "--json", "--password-stdin"], "test1234!\n"
    )
    data = json.loads(out)
    assert code == 0 and data["ca"] == "KICA" and data["key_matches"] is True
    assert data["key_format"] == fmt
