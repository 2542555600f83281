"""PKCS#12 (.pfx/.p12) exports: find the certificate, unlock the key, and recover R.

`cryptography` checks the MAC and password but drops the PKCS#8 attributes, so the shrouded
key bag is also decrypted here (RFC 7292 App. B KDF, 3DES or PBES2) to read R (docs/certificates.md).
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
    CertificateError,
    IterationLimitExceeded,
    NotACertificate,
    PfxCertificateEncrypted,
    UnsupportedFormat,
    WrongPassword,
)

__all__ = [
    "PfxContents",
    "check_pfx_iterations",
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
SAFE_CONTENTS_BAG = "1.2.840.113549.1.12.10.1.6"
PBMAC1 = "1.2.840.113549.1.5.14"
# Every PBE scheme whose parameters are PBEParameter { salt, iterationCount }: PKCS#12's six
# pbeWithSHAAnd* and PKCS#5 v1.5's pbeWith{MD2,MD5,SHA1}And{DES,RC2}-CBC.
_PBE_PARAMETER_SCHEMES = frozenset(
    [f"1.2.840.113549.1.12.1.{n}" for n in range(1, 7)]
    + [f"1.2.840.113549.1.5.{n}" for n in (1, 3, 4, 6, 10, 11)]
)
_MAX_BAGS = 32
_MAX_NESTING = 3


def check_pfx_iterations(data: bytes) -> None:
    """Refuse a PFX whose MAC or any visible PBE asks for more than MAX_ITERATIONS.

    `pkcs12.load_key_and_certificates` runs whatever counts the file names, unbounded and
    holding the GIL (2³¹−1 MAC iterations stalled the bot for minutes), so every count it
    would run is read here first with the project's DER reader: the MAC (or PBMAC1's PBKDF2),
    each shrouded key bag, each encryptedData's scheme and PBES2's PBKDF2 inside them. Bags
    inside an encryptedData are only visible after decryption; the hard time bound of
    bot/keywork.py covers what is hidden there. Raises IterationLimitExceeded,
    UnsupportedFormat (a scheme whose cost cannot be read) or NotACertificate (malformed).
    """
    try:
        _check_iterations(data)
    except CertificateError:
        raise
    except (der.DerError, IndexError, ValueError) as exc:
        raise NotACertificate("The PKCS#12 file is malformed.") from exc


def _limit(count: int) -> None:
    if count < 1:
        raise UnsupportedFormat("The PKCS#12 file has an invalid iteration count.")
    if count > keyfile.MAX_ITERATIONS:
        raise IterationLimitExceeded()


def _check_scheme(alg_tlv: der.Tlv) -> None:
    """Check the iteration count of one encryption AlgorithmIdentifier."""
    parts = alg_tlv.expect(der.SEQUENCE).children()
    oid = parts[0].as_oid()
    if oid in _PBE_PARAMETER_SCHEMES:
        params = parts[1].expect(der.SEQUENCE).children()
        _limit(params[1].as_int())
    elif oid == keyfile.PBES2:
        kdf = parts[1].expect(der.SEQUENCE).children()[0]
        _check_pbkdf2(kdf)
    else:
        raise UnsupportedFormat("The PKCS#12 file uses an unsupported encryption scheme.")


def _check_pbkdf2(kdf_tlv: der.Tlv) -> None:
    kdf = kdf_tlv.expect(der.SEQUENCE).children()
    if kdf[0].as_oid() != keyfile.PBKDF2:
        # scrypt and friends have costs of their own that nothing here bounds
        raise UnsupportedFormat("Only PBKDF2 is supported inside PBES2.")
    _limit(kdf[1].expect(der.SEQUENCE).children()[1].as_int())


def _check_iterations(data: bytes) -> None:
    pfx = der.parse(data).expect(der.SEQUENCE).children()
    if pfx[0].as_int() != 3:
        raise der.DerError("PFX version 3 expected")
    if len(pfx) > 2:
        mac = pfx[2].expect(der.SEQUENCE).children()
        digest_alg = mac[0].expect(der.SEQUENCE).children()[0].expect(der.SEQUENCE).children()
        if digest_alg[0].as_oid() == PBMAC1:
            pbmac1 = digest_alg[1].expect(der.SEQUENCE).children()
            _check_pbkdf2(pbmac1[0])
        # iterations INTEGER DEFAULT 1 (absent means one)
        if len(mac) > 2:
            _limit(mac[2].as_int())
    auth_safe = _content_info(pfx[1])
    if auth_safe[0] != DATA:
        raise UnsupportedFormat("Public-key-protected PKCS#12 files are not supported.")
    infos = der.parse(auth_safe[1]).expect(der.SEQUENCE).children()
    if len(infos) > _MAX_BAGS:
        raise UnsupportedFormat("The PKCS#12 file has too many parts.")
    for info in infos:
        parts = info.expect(der.SEQUENCE).children()
        content_type = parts[0].as_oid()
        if content_type == DATA:
            content = parts[1].expect(der.CONTEXT_0).children()[0].expect(der.OCTET_STRING).value
            _check_bags(der.parse(content), depth=0)
        elif content_type == ENCRYPTED_DATA:
            encrypted = parts[1].expect(der.CONTEXT_0).children()[0].expect(der.SEQUENCE)
            content_info = encrypted.children()[1].expect(der.SEQUENCE).children()
            _check_scheme(content_info[1])
        else:
            raise UnsupportedFormat("The PKCS#12 file holds an unsupported kind of content.")


def _check_bags(safe_contents: der.Tlv, *, depth: int) -> None:
    if depth > _MAX_NESTING:
        raise UnsupportedFormat("The PKCS#12 file nests its bags too deep.")
    bags = safe_contents.expect(der.SEQUENCE).children()
    if len(bags) > _MAX_BAGS:
        raise UnsupportedFormat("The PKCS#12 file has too many bags.")
    for bag in bags:
        parts = bag.expect(der.SEQUENCE).children()
        bag_id = parts[0].as_oid()
        value = parts[1].expect(der.CONTEXT_0).children()[0]
        if bag_id == SHROUDED_KEY_BAG:
            _check_scheme(value.expect(der.SEQUENCE).children()[0])
        elif bag_id == SAFE_CONTENTS_BAG:
            _check_bags(value, depth=depth + 1)


@dataclass(frozen=True)
class PfxContents:
    """What a PFX shows without its password: the certificates and the encrypted key bags."""

    certificates: tuple[bytes, ...]
    key_bags: tuple[bytes, ...]  # EncryptedPrivateKeyInfo DER of each shrouded key bag


def read_pfx(data: bytes) -> PfxContents:
    """Walk the unencrypted parts of a PFX; raise NotACertificate or PfxCertificateEncrypted.

    Raises IterationLimitExceeded first when any count would make opening it too costly.
    """
    check_pfx_iterations(data)
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
    check_pfx_iterations(data)  # before cryptography runs the file's own counts
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
