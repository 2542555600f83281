"""Operator-tool fixes: folders of several certificates, encrypted PFX, zip names, chain output."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from certs_support import make_cert
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from bot.certs import assemble, classify
from bot.certs.cli import inspect_command, make_test_cert_command
from bot.certs.testgen import write_test_certificate


def _run(monkeypatch, capsys, argv: list[str], stdin: str = "") -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    monkeypatch.delenv("TRUSTED_CA_FILE", raising=False)
    code = inspect_command(argv)
    return code, capsys.readouterr().out


def test_npki_folder_with_three_certificates_shows_all(tmp_path, monkeypatch, capsys) -> None:
    gens = [make_cert(key_index=i, password="pw-1234!") for i in range(3)]
    for gen in gens:
        write_test_certificate(tmp_path, gen)
    code, out = _run(monkeypatch, capsys, [str(tmp_path / "NPKI"), "--json"])
    data = json.loads(out)
    assert code == 0
    assert {c["fingerprint_sha256"] for c in data["certificates"]} == {
        g.info.fingerprint_sha256 for g in gens
    }
    assert all(c["chain"]["status"] == "verified" for c in data["certificates"])
    assert all("TEST" in c["trust_anchors"] for c in data["certificates"])


def test_encrypted_certificate_pfx_opens_with_the_password(tmp_path, monkeypatch, capsys) -> None:
    gen = make_cert(key_index=4)
    key = serialization.load_der_private_key(gen.private_key_pkcs8_der, None)
    from cryptography import x509

    data = pkcs12.serialize_key_and_certificates(
        b"x",
        key,  # type: ignore[arg-type]
        x509.load_der_x509_certificate(gen.cert_der),
        None,
        serialization.BestAvailableEncryption(b"pfx-Pw1!"),
    )
    path = tmp_path / "export.pfx"
    path.write_bytes(data)
    code, out = _run(monkeypatch, capsys, [str(path), "--json"])
    assert code == 2 and json.loads(out)["error"] == "pfx_certificate_encrypted"
    code, out = _run(monkeypatch, capsys, [str(path), "--json", "--password-stdin"], "pfx-Pw1!\n")
    result = json.loads(out)
    assert code == 0, out
    assert result["fingerprint_sha256"] == gen.info.fingerprint_sha256
    assert (result["key_unlocked"], result["key_matches"]) == (True, True)
    code, out = _run(monkeypatch, capsys, [str(path), "--json", "--password-stdin"], "nope\n")
    assert code == 1 and json.loads(out)["error"] == "wrong_password"


@pytest.mark.parametrize("encoding", ["utf-8", "cp949"])
def test_zip_names_without_utf8_flag(encoding: str) -> None:
    gen = make_cert()
    folder = "NPKI/yessign/USER/cn=홍길동()0088041,ou=SHB"
    buffer = io.BytesIO()
    names: list[tuple[bytes, bytes]] = []
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, (leaf, content) in enumerate(
            (("signCert.der", gen.cert_der), ("signPri.key", gen.key_blob))
        ):
            raw = f"{folder}/{leaf}".encode(encoding)
            placeholder = (str(index) * len(raw)).encode("ascii")  # ASCII: no UTF-8 flag set
            names.append((placeholder, raw))
            archive.writestr(placeholder.decode("ascii"), content)
    data = buffer.getvalue()
    for placeholder, raw in names:  # what Linux zip (UTF-8) or Korean Windows (cp949) writes
        data = data.replace(placeholder, raw)
    assert not any(info.flag_bits & 0x800 for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    (bundle,) = assemble([classify("npki.zip", data)]).bundles
    assert bundle.label == "cn=홍길동()0088041,ou=SHB"


def test_make_test_cert_count_and_expiry(tmp_path, monkeypatch, capsys) -> None:
    assert (
        make_test_cert_command(["--out", str(tmp_path), "--count", "3", "--key-size", "1024"]) == 0
    )
    out = capsys.readouterr().out
    bundle = tmp_path / "test-ca-bundle.pem"
    assert str(bundle) in out and bundle.read_bytes().count(b"BEGIN CERTIFICATE") == 6
    combined = tmp_path / "NPKI_3certs.zip"
    assert len(assemble([classify("z.zip", combined.read_bytes())]).bundles) == 3
    code, out = _run(monkeypatch, capsys, [str(combined), "--json", "--trust", str(bundle)])
    assert code == 0 and len(json.loads(out)["certificates"]) == 3

    soon = tmp_path / "soon"
    argv = ["--out", str(soon), "--expires-in-days", "5", "--key-size", "1024"]
    assert make_test_cert_command(argv) == 0
    capsys.readouterr()
    (zip_path,) = [p for p in soon.glob("*.zip")]
    code, out = _run(monkeypatch, capsys, [str(zip_path), "--json"])
    assert json.loads(out)["days_left"] == 5


def test_inspect_reports_a_forgery_and_a_real_trust_file(tmp_path, monkeypatch, capsys) -> None:
    from bot.certs.testgen import fake_ca_key

    forged = make_cert(issuer_key=fake_ca_key("KICA"))  # yessign's name, KICA's key
    (tmp_path / "signCert.der").write_bytes(forged.cert_der)
    (tmp_path / "signPri.key").write_bytes(forged.key_blob)
    _code, out = _run(monkeypatch, capsys, [str(tmp_path)])
    assert "untrusted_chain" in out or "does NOT verify" in out
    from bot.certs.trust import REAL_ANCHORS_PATH

    _code, out = _run(
        monkeypatch, capsys, [str(tmp_path), "--json", "--trust", str(REAL_ANCHORS_PATH)]
    )
    assert json.loads(out)["chain"]["status"] == "unknown_issuer"
    assert Path(json.loads(out)["trust_anchors"]).name == "npki-bundle.pem"
