"""PFX exports whose certificate bag is encrypted too: opened by the password first."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import load_der_x509_certificate

from bot import certs as core
from bot.certs.testgen import generate_test_certificate

PASSWORD = "Pfx-pw!2026"


def protected_pfx(other_key: bool = False) -> tuple[bytes, object]:
    gen = generate_test_certificate(password=PASSWORD, key_size=1024)
    key = serialization.load_der_private_key(gen.private_key_pkcs8_der, None)
    if other_key:
        key = serialization.load_der_private_key(
            generate_test_certificate(key_size=1024).private_key_pkcs8_der, None
        )
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .build(PASSWORD.encode())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"export",
        key,
        load_der_x509_certificate(gen.cert_der),
        None,
        encryption,  # type: ignore[arg-type]
    )
    return data, gen


def test_encrypted_certificate_bag_needs_the_password_first() -> None:
    data, gen = protected_pfx()
    upload = core.classify("export.pfx", data)
    assert upload.kind is core.FileKind.PFX
    with pytest.raises(core.PfxCertificateEncrypted):
        core.assemble([upload])
    bundle, unlocked = core.open_protected_pfx(data, PASSWORD)
    assert bundle.info.serial_hex == gen.info.serial_hex  # type: ignore[attr-defined]
    assert bundle.cert_der == gen.cert_der  # type: ignore[attr-defined]
    assert unlocked.key_format == "pfx"


def test_wrong_password_and_foreign_key() -> None:
    data, _ = protected_pfx()
    with pytest.raises(core.WrongPassword):
        core.open_protected_pfx(data, "wrong")
    with pytest.raises(core.NotACertificate):  # malformed: refused before any decryption
        core.open_protected_pfx(b"\x30\x03\x02\x01\x03", PASSWORD)
