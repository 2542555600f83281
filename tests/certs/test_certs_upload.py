"""Classifying uploads and assembling bundles: loose files, zips, NPKI trees, hostile archives."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from certs_support import make_cert

from bot.certs import (
    MAX_FILE_BYTES,
    ArchiveRejected,
    FileKind,
    FileTooLarge,
    NotACertificate,
    assemble,
    classify,
    unlock,
)


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_classify_by_content_not_name(seed_cert, pfx_cert) -> None:
    assert classify("whatever.bin", seed_cert.cert_der).kind is FileKind.CERT
    assert classify("SIGNCERT.DER", seed_cert.key_blob).kind is FileKind.KEY
    assert classify(None, pfx_cert.pfx).kind is FileKind.PFX
    assert classify("cert.p12", seed_cert.zip_bytes).kind is FileKind.ZIP
    assert classify("KmCert.der", seed_cert.cert_der).kind is FileKind.KM_CERT
    assert classify("KMPRI.KEY", seed_cert.key_blob).kind is FileKind.KM_KEY


def test_files_one_by_one_in_any_order(seed_cert) -> None:
    key = classify("signPri.key", seed_cert.key_blob)
    cert = classify("signCert.der", seed_cert.cert_der)
    assert assemble([]).missing == ("cert", "key")
    assert assemble([key]).missing == ("cert",)
    assert assemble([cert]).missing == ("key",)
    assembly = assemble([key, cert])
    assert assembly.missing == ()
    (bundle,) = assembly.bundles
    assert bundle.key_format == "seed-sha1" and bundle.label == "signCert.der"
    assert bundle.info.fingerprint_sha256 == seed_cert.info.fingerprint_sha256


def test_zip_of_one_folder(seed_cert) -> None:
    (bundle,) = assemble([classify("cert.zip", seed_cert.zip_bytes)]).bundles
    assert bundle.label == seed_cert.folder_name
    assert unlock(bundle, seed_cert.password).random_num == seed_cert.random_num


def test_npki_tree_with_three_certs_and_km_files() -> None:
    gens = [
        make_cert(ca="yessign", key_index=0),
        make_cert(ca="KICA", key_index=1, name="김철수"),
        make_cert(ca="CrossCert", key_index=2, fmt="pbes2-seed"),
    ]
    km = make_cert(key_index=3)
    entries: dict[str, bytes] = {}
    for gen in gens:
        base = f"NPKI/{gen.ca_folder}/USER/{gen.folder_name}"
        entries[f"{base}/SignCert.der"] = gen.cert_der
        entries[f"{base}/SignPri.key"] = gen.key_blob
        entries[f"{base}/kmCert.der"] = km.cert_der
        entries[f"{base}/kmPri.key"] = km.key_blob
    entries["NPKI/desktop.ini"] = b"[.ShellClassInfo]"
    assembly = assemble([classify("NPKI.zip", _zip(entries))])
    assert assembly.missing == ()
    assert {b.info.fingerprint_sha256 for b in assembly.bundles} == {
        g.info.fingerprint_sha256 for g in gens
    }
    assert km.info.fingerprint_sha256 not in {b.info.fingerprint_sha256 for b in assembly.bundles}
    labels = {b.label for b in assembly.bundles}
    assert labels == {g.folder_name for g in gens}
    for bundle in assembly.bundles:
        assert unlock(bundle, "test1234!").private_key.key_size == 1024


def test_duplicates_are_merged(seed_cert) -> None:
    files = [
        classify("a.zip", seed_cert.zip_bytes),
        classify("signCert.der", seed_cert.cert_der),
        classify("signPri.key", seed_cert.key_blob),
        classify("b.zip", seed_cert.zip_bytes),
    ]
    assert len(assemble(files).bundles) == 1


def test_pfx_and_zip_together_give_two_bundles(seed_cert, pfx_cert) -> None:
    files = [classify("a.zip", seed_cert.zip_bytes), classify("b.pfx", pfx_cert.pfx)]
    formats = sorted(b.key_format for b in assemble(files).bundles)
    assert formats == ["pfx", "seed-sha1"]


def test_pfx_inside_a_zip_folder(pfx_cert) -> None:
    data = _zip({"cn=x/홍길동_0a1b2c3d.pfx": pfx_cert.pfx})
    (bundle,) = assemble([classify("x.zip", data)]).bundles
    assert bundle.key_format == "pfx" and bundle.label == "cn=x"


class _Cp949Info(zipfile.ZipInfo):
    """Writes the name as Korean Windows does: cp949 bytes, no UTF-8 flag."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("cp949"), self.flag_bits


def test_korean_cp949_member_names(seed_cert) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in (
            ("signCert.der", seed_cert.cert_der),
            ("signPri.key", seed_cert.key_blob),
        ):
            archive.writestr(_Cp949Info("cn=홍길동/" + name), data)
    (bundle,) = assemble([classify("x.zip", buffer.getvalue())]).bundles
    assert bundle.label == "cn=홍길동"


@pytest.mark.parametrize(
    "name", ["../evil/signCert.der", "/etc/signCert.der", "a/../../x.der", "C:/x.der", "..\\x.der"]
)
def test_path_traversal_is_rejected(seed_cert, name: str) -> None:
    with pytest.raises(ArchiveRejected):
        classify("x.zip", _zip({name: seed_cert.cert_der}))


def test_nested_archive_is_rejected(seed_cert) -> None:
    with pytest.raises(ArchiveRejected):
        classify("x.zip", _zip({"inner.zip": seed_cert.zip_bytes}))
    with pytest.raises(ArchiveRejected):
        classify("x.zip", _zip({"inner.bin": seed_cert.zip_bytes}))


def test_too_many_entries() -> None:
    with pytest.raises(ArchiveRejected):
        classify("x.zip", _zip({f"f{i}.txt": b"x" for i in range(65)}))
    assert classify("x.zip", _zip({f"f{i}.txt": b"x" for i in range(64)})).kind is FileKind.ZIP


def test_zip_bomb_too_big_uncompressed() -> None:
    bomb = _zip({f"part{i}.bin": bytes(60_000) for i in range(20)})
    assert len(bomb) < MAX_FILE_BYTES
    with pytest.raises(ArchiveRejected):
        classify("bomb.zip", bomb)


def test_single_oversized_member() -> None:
    with pytest.raises((FileTooLarge, ArchiveRejected)):
        classify("x.zip", _zip({"big.der": bytes(MAX_FILE_BYTES + 1)}))


def test_lying_zip_header_is_rejected(seed_cert) -> None:
    data = bytearray(_zip({"signCert.der": bytes(5000)}))
    # shrink the declared sizes in the central directory: the reader must not trust them
    at = data.find(b"PK\x01\x02")
    data[at + 24 : at + 28] = (10).to_bytes(4, "little")
    with pytest.raises(ArchiveRejected):
        classify("x.zip", bytes(data))


def test_encrypted_zip_is_rejected(seed_cert) -> None:
    data = bytearray(_zip({"signCert.der": seed_cert.cert_der}, zipfile.ZIP_STORED))
    for magic, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(magic)
        data[at + offset] |= 0x1
    with pytest.raises(ArchiveRejected):
        classify("x.zip", bytes(data))


def test_oversized_file() -> None:
    with pytest.raises(FileTooLarge) as info:
        classify("signCert.der", os.urandom(MAX_FILE_BYTES + 1))
    assert info.value.code == "file_too_large"


@pytest.mark.parametrize("size", [0, 1, 700, 1300, 1464, 3022])
def test_random_bytes_of_plausible_length(size: int) -> None:
    data = b"\x30\x82" + os.urandom(size) if size else b""
    with pytest.raises(NotACertificate):
        classify("signPri.key", data)


def test_garbage_pem() -> None:
    with pytest.raises(NotACertificate):
        classify("x.pem", b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
    with pytest.raises(NotACertificate):
        classify("x.pem", b"-----BEGIN CERTIFICATE-----\nMIIB")


def test_two_loose_certs_pair_the_latest(seed_cert) -> None:
    other = make_cert(key_index=6)
    files = [
        classify("old.der", other.cert_der),
        classify("signCert.der", seed_cert.cert_der),
        classify("signPri.key", seed_cert.key_blob),
    ]
    (bundle,) = assemble(files).bundles
    assert bundle.info.fingerprint_sha256 == seed_cert.info.fingerprint_sha256


def test_folder_pairing_in_zip_is_not_confused_by_neighbours() -> None:
    a, b = make_cert(key_index=0), make_cert(key_index=1)
    data = _zip(
        {
            "A/signCert.der": a.cert_der,
            "B/signPri.key": b.key_blob,
            "B/signCert.der": b.cert_der,
            "A/signPri.key": a.key_blob,
        }
    )
    bundles = assemble([classify("x.zip", data)]).bundles
    assert {bd.label for bd in bundles} == {"A", "B"}
    for bundle in bundles:
        unlock(bundle, "test1234!")  # each pair belongs together
