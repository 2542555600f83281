"""Shared test material for the Mini App: generated NPKI files in every format the page reads."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import SEED
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.serialization import pkcs12
from pyasn1.codec.der import encoder
from pyasn1.type import univ

from bot.certs.testgen import GeneratedCertificate, encrypt_private_key, generate_test_certificate

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "bot" / "webapp" / "static"
JS_TESTS = Path(__file__).resolve().parent / "js"
PASSWORD = "test1234!"

_KEYS: list[rsa.RSAPrivateKey] = []


def rsa_key(index: int = 0) -> rsa.RSAPrivateKey:
    """Cached 2048-bit keys: generating one costs ~0.1 s."""
    while len(_KEYS) <= index:
        _KEYS.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _KEYS[index]


def make_cert(fmt: str = "seed-sha1", key_index: int = 0, **kwargs: Any) -> GeneratedCertificate:
    return generate_test_certificate(fmt=fmt, private_key=rsa_key(key_index), **kwargs)


def _tlv(tag: int, value: bytes) -> bytes:
    size = len(value)
    if size < 0x80:
        return bytes([tag, size]) + value
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + value


def _oid(dotted: str) -> bytes:
    return encoder.encode(univ.ObjectIdentifier(dotted))


def pfx_pbes2_keeping_random(gen: GeneratedCertificate, password: str = PASSWORD) -> bytes:
    """A PFX whose shrouded key bag is PBES2/AES-256 (R kept); cert bag plain; no MAC.

    The page never checks the MAC (the key's match with the certificate decides), so a
    MAC-less file is enough to exercise the PBES2 key-bag path with the KISA attribute.
    """
    epki = encrypt_private_key(gen.private_key_pkcs8_der, password.encode(), "pbes2-aes")
    cert_bag = _tlv(
        0x30,
        _oid("1.2.840.113549.1.12.10.1.3")
        + _tlv(
            0xA0,
            _tlv(0x30, _oid("1.2.840.113549.1.9.22.1") + _tlv(0xA0, _tlv(0x04, gen.cert_der))),
        ),
    )
    key_bag = _tlv(0x30, _oid("1.2.840.113549.1.12.10.1.2") + _tlv(0xA0, epki))

    def data(body: bytes) -> bytes:
        return _tlv(0x30, _oid("1.2.840.113549.1.7.1") + _tlv(0xA0, _tlv(0x04, body)))

    auth_safe = _tlv(0x30, data(_tlv(0x30, cert_bag)) + data(_tlv(0x30, key_bag)))
    return _tlv(0x30, encoder.encode(univ.Integer(3)) + data(auth_safe))


def pfx_openssl_pbes2(gen: GeneratedCertificate, password: str = PASSWORD) -> bytes:
    """What OpenSSL 3 writes by default: PBES2/AES-256-CBC for the key and the cert bag."""
    key = serialization.load_der_private_key(gen.private_key_pkcs8_der, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode())
    )
    cert = x509.load_der_x509_certificate(gen.cert_der)
    return pkcs12.serialize_key_and_certificates(b"sign", key, cert, None, encryption)


def plain_pkcs8(gen: GeneratedCertificate) -> bytes:
    key = serialization.load_der_private_key(gen.private_key_pkcs8_der, None)
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def write_vectors(out: Path) -> Path:
    """Key files in each format, the PKCS#8 Python decrypts them to, SEED CBC from OpenSSL."""
    cases: list[dict[str, Any]] = []
    for fmt in ("seed-sha1", "seed-cbc", "pbes2-seed", "pbes2-aes"):
        gen = make_cert(fmt=fmt)
        cases.append(
            {
                "name": fmt,
                "cert": b64(gen.cert_der),
                "key": b64(gen.key_blob),
                "password": gen.password,
                "expect": "ok",
                "pkcs8": b64(gen.private_key_pkcs8_der),
                "random": b64(gen.random_num),
            }
        )
        cases.append(
            {
                "name": f"{fmt} wrong password",
                "cert": b64(gen.cert_der),
                "key": b64(gen.key_blob),
                "password": gen.password + "x",
                "expect": "wrong_password",
            }
        )
    gen = make_cert()
    other = make_cert(key_index=1)
    cases.append(
        {
            "name": "key of another certificate (kmPri)",
            "cert": b64(gen.cert_der),
            "key": b64(other.key_blob),
            "password": other.password,
            "expect": "key_mismatch",
        }
    )
    cases.append(
        {
            "name": "pfx pbes2 openssl",
            "pfx": b64(pfx_openssl_pbes2(gen)),
            "password": PASSWORD,
            "expect": "ok",
            "cert": b64(gen.cert_der),
            "pkcs8": b64(plain_pkcs8(gen)),
            "random": None,
        }
    )
    cases.append(
        {
            "name": "pfx pbes2 openssl wrong password",
            "pfx": b64(pfx_openssl_pbes2(gen)),
            "password": "nope",
            "expect": "wrong_password",
        }
    )
    cases.append(
        {
            "name": "pfx pbes2 keeping R",
            "pfx": b64(pfx_pbes2_keeping_random(gen)),
            "password": PASSWORD,
            "expect": "ok",
            "cert": b64(gen.cert_der),
            "pkcs8": b64(gen.private_key_pkcs8_der),
            "random": b64(gen.random_num),
        }
    )
    legacy = make_cert(fmt="pfx")
    assert legacy.pfx is not None
    cases.append(
        {
            "name": "pfx legacy 3DES",
            "pfx": b64(legacy.pfx),
            "password": PASSWORD,
            "expect": "legacy_pfx",
        }
    )
    seed = []
    for size in (16, 48, 1300):
        key, iv, plain = os.urandom(16), os.urandom(16), os.urandom(size)
        pad = 16 - size % 16
        encryptor = Cipher(SEED(key), modes.CBC(iv)).encryptor()
        cipher = encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()
        seed.append({"key": b64(key), "iv": b64(iv), "plain": b64(plain), "cipher": b64(cipher)})
    vectors = {
        "cases": cases,
        "seed_cbc": seed,
        "sha1": [{"data": b64(d), "digest": hashlib.sha1(d).hexdigest()} for d in _sha1_inputs()],
    }
    path = out / "vectors.json"
    path.write_text(json.dumps(vectors), encoding="utf-8")
    return path


def _sha1_inputs() -> list[bytes]:
    return [b"", b"abc", bytes(55), bytes(56), bytes(64), os.urandom(1000)]
