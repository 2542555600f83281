"""PKCS#12 (.pfx/.p12) exports: find the certificate, unlock the key, and recover R.

`cryptography` checks the MAC and password but drops the PKCS#8 attributes, so the shrouded
key bag is also decrypted here (RFC 7292 App. B KDF, 3DES or PBES2) to read R (npki.md §3.3).
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.serialization import pkcs12

from bot.certs import der, keyfile
from bot.certs.errors import (
    NotACertificate,
    PfxCertificateEncrypted,
    UnsupportedFormat,
    WrongPassword,
)

__all__ = [
    "PfxContents",
    "load_key_and_random",
    "pkcs12_kdf",
    "read_pfx",
]

DATA = "1.2.840.113549.1.7.1"
ENCRYPTED_DATA = "1.2.840.113549.1.7.6"
CERT_BAG = "1.2.840.113549.1.12.10.1.3"
SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2"
X509_CERTIFICATE = "1.2.840.113549.1.9.22.1"
PBE_SHA1_3DES = "1.2.840.113549.1.12.1.3"
PBE_SHA1_2DES = "1.2.840.113549.1.12.1.4"
_MAX_BAGS = 32


@dataclass(frozen=True)
class PfxContents:
    """What a PFX shows without its password: the certificates and the encrypted key bags."""

    certificates: tuple[bytes, ...]
    key_bags: tuple[bytes, ...]  # EncryptedPrivateKeyInfo DER of each shrouded key bag


def read_pfx(data: bytes) -> PfxContents:
    """Walk the unencrypted parts of a PFX; raise NotACertificate or PfxCertificateEncrypted."""
    try:
        contents = _walk(data)
    except (der.DerError, IndexError, ValueError) as exc:
        raise NotACertificate("The PKCS#12 file is malformed.") from exc
    if not contents.certificates:
        raise PfxCertificateEncrypted()
    return contents


def _walk(data: bytes) -> PfxContents:
    pfx = der.parse(data).expect(der.SEQUENCE).children()
    if pfx[0].as_int() != 3:
        raise der.DerError("PFX version 3 expected")
    auth_safe = _content_info(pfx[1])
    if auth_safe[0] != DATA:
        raise UnsupportedFormat("Public-key-protected PKCS#12 files are not supported.")
    certs: list[bytes] = []
    keys: list[bytes] = []
    for info in der.parse(auth_safe[1]).expect(der.SEQUENCE).children():
        content_type, content = _content_info(info)
        if content_type != DATA:
            continue  # encryptedData: only readable with the password (cryptography does that)
        for bag in der.parse(content).expect(der.SEQUENCE).children()[:_MAX_BAGS]:
            parts = bag.expect(der.SEQUENCE).children()
            bag_id = parts[0].as_oid()
            value = parts[1].expect(der.CONTEXT_0).children()[0]
            if bag_id == CERT_BAG:
                cert_bag = value.expect(der.SEQUENCE).children()
                if cert_bag[0].as_oid() == X509_CERTIFICATE:
                    inner = cert_bag[1].expect(der.CONTEXT_0).children()[0]
                    certs.append(inner.expect(der.OCTET_STRING).value)
            elif bag_id == SHROUDED_KEY_BAG:
                keys.append(der.encode_tlv(value.tag, value.value))
    return PfxContents(tuple(certs), tuple(keys))


def _content_info(tlv: der.Tlv) -> tuple[str, bytes]:
    parts = tlv.expect(der.SEQUENCE).children()
    content_type = parts[0].as_oid()
    if content_type != DATA:
        return content_type, b""
    explicit = parts[1].expect(der.CONTEXT_0).children()[0]
    return content_type, explicit.expect(der.OCTET_STRING).value


def pkcs12_kdf(password: bytes, salt: bytes, purpose: int, iterations: int, size: int) -> bytes:
    """RFC 7292 Appendix B.2 with SHA-1; `password` is already BMPString bytes + 00 00."""
    u, v = 20, 64
    diversifier = bytes([purpose]) * v
    s, p = _stretch(salt, v), _stretch(password, v)
    block = bytearray(s + p)
    out = b""
    while len(out) < size:
        a = hashlib.sha1(diversifier + bytes(block)).digest()
        for _ in range(iterations - 1):
            a = hashlib.sha1(a).digest()
        out += a
        b = int.from_bytes((a * (v // u + 1))[:v], "big")
        for j in range(0, len(block), v):
            chunk = (int.from_bytes(block[j : j + v], "big") + b + 1) % (1 << (v * 8))
            block[j : j + v] = chunk.to_bytes(v, "big")
    return out[:size]


def _stretch(value: bytes, v: int) -> bytes:
    """Repeat `value` to the next multiple of v bytes (RFC 7292 B.2 steps 2-3)."""
    if not value:
        return b""
    size = v * ((len(value) + v - 1) // v)
    return (value * (size // len(value) + 1))[:size]


def _bmp_password(password: str) -> bytes:
    return password.encode("utf-16-be") + b"\x00\x00"


def _decrypt_key_bag(bag: bytes, password: str) -> bytes | None:
    """Decrypt one shrouded key bag; None when the scheme is unknown or the padding is wrong."""
    epki = der.parse(bag).expect(der.SEQUENCE).children()
    alg = epki[0].expect(der.SEQUENCE).children()
    oid = alg[0].as_oid()
    ciphertext = epki[1].expect(der.OCTET_STRING).value
    if oid in (PBE_SHA1_3DES, PBE_SHA1_2DES):
        params = alg[1].expect(der.SEQUENCE).children()
        salt = params[0].expect(der.OCTET_STRING).value
        iterations = params[1].as_int()
        if not 1 <= iterations <= keyfile.MAX_ITERATIONS or not ciphertext or len(ciphertext) % 8:
            return None
        pw = _bmp_password(password)
        key = pkcs12_kdf(pw, salt, 1, iterations, 24 if oid == PBE_SHA1_3DES else 16)
        if oid == PBE_SHA1_2DES:
            key = key + key[:8]
        iv = pkcs12_kdf(pw, salt, 2, iterations, 8)
        decryptor = Cipher(TripleDES(key), modes.CBC(iv)).decryptor()
        plain = decryptor.update(ciphertext) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= 8 or plain[-pad:] != bytes([pad]) * pad:
            return None
        return plain[:-pad]
    if oid == keyfile.PBES2:
        try:
            scheme = keyfile.parse_key_blob(bag)
        except Exception:
            return None
        for plain in keyfile.decrypt_candidates(scheme, password.encode("utf-8")):
            return plain
    return None


def load_key_and_random(
    data: bytes, password: str, cert: x509.Certificate
) -> tuple[object, bytes | None]:
    """Return (private key, R or None) for the key that matches `cert`; WrongPassword otherwise."""
    password = password.rstrip("\r\n")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # BER fallback notices for damaged files
            key, _cert, _extra = pkcs12.load_key_and_certificates(data, password.encode("utf-8"))
    except Exception as exc:  # ValueError for a bad MAC/password; hostile input may raise others
        raise WrongPassword() from exc
    if key is None:
        raise WrongPassword()
    random_num: bytes | None = None
    try:
        contents = _walk(data)
        target = cert.public_key().public_numbers()  # type: ignore[union-attr]
        for bag in contents.key_bags:
            plain = _decrypt_key_bag(bag, password)
            if plain is None:
                continue
            try:
                bag_key, bag_random = keyfile.parse_private_key_info(plain)
            except Exception:
                continue
            if bag_key.public_key().public_numbers() == target:
                key, random_num = bag_key, bag_random
                break
    except (der.DerError, IndexError, ValueError, UnsupportedFormat):
        pass  # R stays unknown; the key from cryptography is still good
    return key, random_num
