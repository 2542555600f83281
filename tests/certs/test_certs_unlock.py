"""Unlocking signPri.key and PFX files: every format, wrong passwords, foreign keys, encodings."""

from __future__ import annotations

import base64
import random
import string

import pytest
from certs_support import cached_key, make_cert
from cryptography.hazmat.primitives import serialization

from bot.certs import (
    FileKind,
    IterationLimitExceeded,
    KeyMismatch,
    UnsupportedFormat,
    WrongPassword,
    assemble,
    classify,
    unlock,
)
from bot.certs.testgen import FORMATS, encrypt_private_key


def _bundle(gen, *, use_pfx: bool = False):
    if use_pfx:
        files = [classify("export.pfx", gen.pfx)]
    else:
        files = [classify("signCert.der", gen.cert_der), classify("signPri.key", gen.key_blob)]
    assembly = assemble(files)
    assert assembly.missing == ()
    (bundle,) = assembly.bundles
    return bundle


def _pem(label: str, der: bytes) -> bytes:
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    text = "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])
    return text.encode()


@pytest.mark.parametrize("key_size", [1024, 2048])
@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_every_format(fmt: str, key_size: int) -> None:
    gen = make_cert(fmt=fmt, key_size=key_size)
    bundle = _bundle(gen, use_pfx=fmt == "pfx")
    assert bundle.key_format == fmt
    unlocked = unlock(bundle, gen.password)
    assert unlocked.key_format == fmt
    assert unlocked.random_num == gen.random_num
    assert unlocked.private_key.private_numbers() == cached_key(key_size).private_numbers()
    assert unlocked.private_key.key_size == key_size


def test_pfx_also_ships_the_pair(pfx_cert) -> None:
    unlocked = unlock(_bundle(pfx_cert), pfx_cert.password)
    assert unlocked.key_format == "seed-sha1"
    assert unlocked.random_num == pfx_cert.random_num


def test_r_recovered_from_pfx(pfx_cert) -> None:
    unlocked = unlock(_bundle(pfx_cert, use_pfx=True), pfx_cert.password)
    assert unlocked.random_num is not None
    assert unlocked.random_num == pfx_cert.random_num


def test_key_without_random_unlocks_with_none() -> None:
    gen = make_cert(include_random=False, identity_number=None)
    assert unlock(_bundle(gen), gen.password).random_num is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_passwords_never_accepted(fmt: str) -> None:
    gen = make_cert(fmt=fmt, key_index=2)
    bundle = _bundle(gen, use_pfx=fmt == "pfx")
    rng = random.Random(fmt)
    # PFX tries cost a PKCS#12 MAC each; fewer of them still prove the point.
    tries = 30 if fmt == "pfx" else 300
    alphabet = string.ascii_letters + string.digits + "!@#$"
    for _ in range(tries):
        guess = "".join(rng.choice(alphabet) for _ in range(rng.randint(6, 16)))
        if guess == gen.password:
            continue
        with pytest.raises(WrongPassword) as info:
            unlock(bundle, guess)
        assert guess not in str(info.value)


def test_password_with_telegram_newline_is_accepted(seed_cert) -> None:
    assert unlock(_bundle(seed_cert), seed_cert.password + "\n").key_format == "seed-sha1"


def test_key_from_another_certificate_is_a_mismatch() -> None:
    mine = make_cert(key_index=0)
    other = make_cert(key_index=3)
    files = [classify("signCert.der", mine.cert_der), classify("signPri.key", other.key_blob)]
    (bundle,) = assemble(files).bundles
    with pytest.raises(KeyMismatch):
        unlock(bundle, other.password)


def test_km_key_next_to_sign_cert_is_a_mismatch_not_wrong_password() -> None:
    sign = make_cert(key_index=0)
    km = make_cert(key_index=4)
    files = [classify("signCert.der", sign.cert_der), classify("signPri.key", km.key_blob)]
    with pytest.raises(KeyMismatch):
        unlock(assemble(files).bundles[0], km.password)


def test_pfx_from_another_certificate_is_a_mismatch() -> None:
    mine = make_cert(key_index=0)
    other = make_cert(fmt="pfx", key_index=5)
    from bot.certs.upload import CertificateBundle

    bundle = CertificateBundle(mine.cert_der, None, other.pfx, mine.info, "pfx", "test")
    with pytest.raises(KeyMismatch):
        unlock(bundle, other.password)


@pytest.mark.parametrize("fmt", ["seed-sha1", "seed-cbc", "pbes2-seed", "pbes2-aes"])
def test_cp949_password(fmt: str) -> None:
    gen = make_cert(fmt=fmt, password="비밀번호123!")
    pkcs8 = gen.private_key_pkcs8_der
    legacy = encrypt_private_key(pkcs8, "비밀번호123!".encode("cp949"), fmt)
    files = [classify("signCert.der", gen.cert_der), classify("signPri.key", legacy)]
    (bundle,) = assemble(files).bundles
    assert unlock(bundle, "비밀번호123!").random_num == gen.random_num
    # and the UTF-8 variant, which the generator wrote
    assert unlock(_bundle(gen), "비밀번호123!").random_num == gen.random_num
    with pytest.raises(WrongPassword):
        unlock(bundle, "비밀번호123?")


def test_old_seed_cbc_with_pbkdf2_key_is_accepted(seed_cert) -> None:
    """The seedCBC scheme's KDF is disputed (docs/certificates.md): a PBKDF2-derived key must also open."""
    import hashlib
    import os

    from cryptography.hazmat.decrepit.ciphers.algorithms import SEED
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, modes
    from pyasn1.codec.der import encoder
    from pyasn1.type import univ

    salt = os.urandom(8)
    key = hashlib.pbkdf2_hmac("sha1", seed_cert.password.encode(), salt, 2048, 16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(seed_cert.private_key_pkcs8_der) + padder.finalize()
    enc = Cipher(SEED(key), modes.CBC(b"0123456789012345")).encryptor()
    params = univ.Sequence()
    params[0] = univ.OctetString(salt)
    params[1] = univ.Integer(2048)
    alg = univ.Sequence()
    alg[0] = univ.ObjectIdentifier("1.2.410.200004.1.4")
    alg[1] = params
    blob = univ.Sequence()
    blob[0] = alg
    blob[1] = univ.OctetString(enc.update(padded) + enc.finalize())
    files = [
        classify("signCert.der", seed_cert.cert_der),
        classify("signPri.key", encoder.encode(blob)),
    ]
    (bundle,) = assemble(files).bundles
    assert bundle.key_format == "seed-cbc"
    assert unlock(bundle, seed_cert.password).random_num == seed_cert.random_num


def test_iteration_cap(seed_cert) -> None:
    fine = encrypt_private_key(
        seed_cert.private_key_pkcs8_der, b"pw", "seed-sha1", iterations=100_000
    )
    assert classify("signPri.key", fine).kind is FileKind.KEY
    for fmt in ("seed-sha1", "pbes2-aes"):
        heavy = encrypt_private_key(seed_cert.private_key_pkcs8_der, b"pw", fmt, iterations=100_001)
        with pytest.raises(IterationLimitExceeded) as info:
            classify("signPri.key", heavy)
        assert isinstance(info.value, UnsupportedFormat)
        assert info.value.code == "iteration_limit"


def test_unknown_encryption_scheme_is_unsupported(seed_cert) -> None:
    blob = bytearray(seed_cert.key_blob)
    oid = bytes.fromhex("2A831A8C9A44010F")  # 1.2.410.200004.1.15
    at = blob.find(oid)
    blob[at + len(oid) - 1] = 0x0B  # → 1.2.410.200004.1.11 (pbeWithHAS160AndSEED-CBC)
    with pytest.raises(UnsupportedFormat):
        classify("signPri.key", bytes(blob))


def test_unencrypted_pkcs8_is_refused(seed_cert) -> None:
    with pytest.raises(UnsupportedFormat):
        classify("signPri.key", seed_cert.private_key_pkcs8_der)


def test_pem_variants(seed_cert, pfx_cert) -> None:
    cert = classify("signCert.pem", _pem("CERTIFICATE", seed_cert.cert_der))
    key = classify("signPri.pem", _pem("ENCRYPTED PRIVATE KEY", seed_cert.key_blob))
    assert (cert.kind, key.kind) == (FileKind.CERT, FileKind.KEY)
    assert cert.data == seed_cert.cert_der and key.data == seed_cert.key_blob
    assert unlock(assemble([cert, key]).bundles[0], seed_cert.password).random_num
    crlf = _pem("PKCS12", pfx_cert.pfx).replace(b"\n", b"\r\n")
    assert classify(None, b"\xef\xbb\xbf" + crlf).kind is FileKind.PFX


def test_decrypted_key_is_not_cached_on_the_bundle(seed_cert) -> None:
    bundle = _bundle(seed_cert)
    unlocked = unlock(bundle, seed_cert.password)
    secret = unlocked.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert secret[-64:] not in repr(bundle).encode()
    assert "private" not in repr(unlocked).lower() or "key_format" in repr(unlocked)
    assert str(cached_key().private_numbers().d) not in repr(unlocked)
