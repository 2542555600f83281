"""signPri.key: read the encryption scheme, derive keys from a password, decrypt, parse PKCS#8.

Covers seedCBCWithSHA1, the old fixed-IV seedCBC and PBES2 (SEED or AES), docs/certificates.md
Plaintext keys only ever live in local variables of these functions and their callers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.hazmat.decrepit.ciphers.algorithms import SEED
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.ciphers.algorithms import AES

from bot.certs import der
from bot.certs.errors import (
    IterationLimitExceeded,
    NotACertificate,
    NotRSA,
    UnsupportedFormat,
)

__all__ = [
    "MAX_ITERATIONS",
    "KeyScheme",
    "cbc_decrypt",
    "decrypt_candidates",
    "parse_key_blob",
    "parse_private_key_info",
    "password_candidates",
]

MAX_ITERATIONS = 100_000
SEED_CBC_WITH_SHA1 = "1.2.410.200004.1.15"
SEED_CBC = "1.2.410.200004.1.4"
PBES2 = "1.2.840.113549.1.5.13"
PBKDF2 = "1.2.840.113549.1.5.12"
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
RANDOM_NUM = "1.2.410.200004.10.1.1.3"
FIXED_IV = b"0123456789012345"  # the old seedCBC scheme's constant IV (docs/certificates.md)

PRF_HASHES = {
    "1.2.840.113549.2.7": "sha1",
    "1.2.840.113549.2.8": "sha224",
    "1.2.840.113549.2.9": "sha256",
    "1.2.840.113549.2.10": "sha384",
    "1.2.840.113549.2.11": "sha512",
}
# cipher OID -> (name, key bytes)
PBES2_CIPHERS = {
    SEED_CBC: ("seed", 16),
    "2.16.840.1.101.3.4.1.2": ("aes", 16),
    "2.16.840.1.101.3.4.1.22": ("aes", 24),
    "2.16.840.1.101.3.4.1.42": ("aes", 32),
}


@dataclass(frozen=True)
class KeyScheme:
    """The public parameters of an encrypted signPri.key (nothing secret in here)."""

    key_format: str  # seed-sha1 | seed-cbc | pbes2-seed | pbes2-aes
    salt: bytes
    iterations: int
    ciphertext: bytes
    prf: str = "sha1"  # PBES2 only
    cipher: str = "seed"
    key_length: int = 16
    iv: bytes = b""


def _check_iterations(count: int) -> int:
    if count < 1:
        raise UnsupportedFormat("The key file has an invalid iteration count.")
    if count > MAX_ITERATIONS:
        raise IterationLimitExceeded()
    return count


def parse_key_blob(blob: bytes) -> KeyScheme:
    """Read the EncryptedPrivateKeyInfo; raise NotACertificate, UnsupportedFormat, IterationLimitExceeded."""
    try:
        outer = der.parse(blob).expect(der.SEQUENCE).children()
        if len(outer) != 2:
            raise der.DerError("EncryptedPrivateKeyInfo has two parts")
        alg = outer[0].expect(der.SEQUENCE).children()
        ciphertext = outer[1].expect(der.OCTET_STRING).value
        oid = alg[0].as_oid()
    except (der.DerError, IndexError) as exc:
        raise NotACertificate("The private key file is malformed.") from exc
    if not ciphertext or len(ciphertext) % 16:
        raise NotACertificate("The private key file is malformed.")
    try:
        if oid in (SEED_CBC_WITH_SHA1, SEED_CBC):
            params = alg[1].expect(der.SEQUENCE).children()
            salt = params[0].expect(der.OCTET_STRING).value
            iterations = _check_iterations(params[1].as_int())
            fmt = "seed-sha1" if oid == SEED_CBC_WITH_SHA1 else "seed-cbc"
            return KeyScheme(fmt, salt, iterations, ciphertext)
        if oid == PBES2:
            return _parse_pbes2(alg[1], ciphertext)
    except (der.DerError, IndexError, ValueError) as exc:  # e.g. empty PBES2 parameters
        raise UnsupportedFormat("The private key's encryption parameters are malformed.") from exc
    raise UnsupportedFormat("The private key uses an unsupported encryption scheme.")


def _parse_pbes2(params_tlv: der.Tlv, ciphertext: bytes) -> KeyScheme:
    parts = params_tlv.expect(der.SEQUENCE).children()
    if len(parts) < 2:
        raise der.DerError("PBES2 parameters have a KDF and a scheme")
    kdf, scheme = parts[:2]
    kdf_parts = kdf.expect(der.SEQUENCE).children()
    if kdf_parts[0].as_oid() != PBKDF2:
        raise UnsupportedFormat("Only PBKDF2 is supported inside PBES2.")
    kp = kdf_parts[1].expect(der.SEQUENCE).children()
    salt = kp[0].expect(der.OCTET_STRING).value  # the "otherSource" choice is not used in practice
    iterations = _check_iterations(kp[1].as_int())
    key_length: int | None = None
    prf = "sha1"  # an absent prf means hmacWithSHA1 (RFC 8018)
    for extra in kp[2:]:
        if extra.tag == der.INTEGER:
            key_length = extra.as_int()
        else:
            prf_oid = extra.expect(der.SEQUENCE).children()[0].as_oid()
            if prf_oid not in PRF_HASHES:
                raise UnsupportedFormat("The key file uses an unsupported PBKDF2 hash.")
            prf = PRF_HASHES[prf_oid]
    scheme_parts = scheme.expect(der.SEQUENCE).children()
    cipher_oid = scheme_parts[0].as_oid()
    if cipher_oid not in PBES2_CIPHERS:
        # ARIA and friends: cryptography has no ARIA (docs/certificates.md)
        raise UnsupportedFormat("The key file uses an unsupported cipher.")
    cipher, size = PBES2_CIPHERS[cipher_oid]
    iv = scheme_parts[1].expect(der.OCTET_STRING).value
    if len(iv) != 16 or (key_length is not None and key_length != size):
        raise UnsupportedFormat("The key file's cipher parameters are inconsistent.")
    return KeyScheme(
        f"pbes2-{cipher}",
        salt,
        iterations,
        ciphertext,
        prf=prf,
        cipher=cipher,
        key_length=size,
        iv=iv,
    )


def password_candidates(password: str) -> list[bytes]:
    """UTF-8 first; cp949 too when the password has non-ASCII characters (docs/certificates.md)."""
    # Telegram or a terminal may leave the line ending; a password never contains one.
    password = password.rstrip("\r\n")
    candidates = [password.encode("utf-8")]
    if not password.isascii():
        try:
            legacy = password.encode("cp949")
        except UnicodeEncodeError:
            legacy = b""
        if legacy and legacy not in candidates:
            candidates.append(legacy)
    return candidates


def cbc_decrypt(cipher: str, key: bytes, iv: bytes, ciphertext: bytes) -> bytes | None:
    """Decrypt and strip PKCS#7 padding; None when the padding is wrong (a wrong password, mostly)."""
    algorithm = SEED(key) if cipher == "seed" else AES(key)
    decryptor = Cipher(algorithm, modes.CBC(iv)).decryptor()
    plain = decryptor.update(ciphertext) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 16 or plain[-pad:] != bytes([pad]) * pad:
        return None
    return plain[:-pad]


def _pbkdf1_sha1(password: bytes, salt: bytes, iterations: int) -> bytes:
    digest = hashlib.sha1(password + salt).digest()
    sha1 = hashlib.sha1
    for _ in range(iterations - 1):
        digest = sha1(digest).digest()
    return digest


def decrypt_candidates(scheme: KeyScheme, password: bytes) -> Iterator[bytes]:
    """Yield each plaintext whose padding is valid; the caller decides which one is the key."""
    if scheme.key_format == "seed-sha1":
        dk = _pbkdf1_sha1(password, scheme.salt, scheme.iterations)
        iv = hashlib.sha1(dk[16:20]).digest()[:16]
        plain = cbc_decrypt("seed", dk[:16], iv, scheme.ciphertext)
        if plain is not None:
            yield plain
    elif scheme.key_format == "seed-cbc":
        # Sources disagree on this scheme's KDF (docs/certificates.md): PBKDF1 first, then PBKDF2.
        keys = (
            _pbkdf1_sha1(password, scheme.salt, scheme.iterations)[:16],
            hashlib.pbkdf2_hmac("sha1", password, scheme.salt, scheme.iterations, 16),
        )
        for key in keys:
            plain = cbc_decrypt("seed", key, FIXED_IV, scheme.ciphertext)
            if plain is not None:
                yield plain
    else:
        key = hashlib.pbkdf2_hmac(
            scheme.prf, password, scheme.salt, scheme.iterations, scheme.key_length
        )
        plain = cbc_decrypt(scheme.cipher, key, scheme.iv, scheme.ciphertext)
        if plain is not None:
            yield plain


def parse_private_key_info(plain: bytes) -> tuple[rsa.RSAPrivateKey, bytes | None]:
    """Parse PKCS#8 (+ KISA randomNum attribute). ValueError when it is not a sound RSA key.

    Raises NotRSA only for a well-formed PKCS#8 of another key type.
    """
    top = der.parse(plain).expect(der.SEQUENCE).children()
    if len(top) < 3 or top[0].as_int() not in (0, 1):
        raise der.DerError("not a PrivateKeyInfo")
    alg_oid = top[1].expect(der.SEQUENCE).children()[0].as_oid()
    top[2].expect(der.OCTET_STRING)
    random_num: bytes | None = None
    for extra in top[3:]:
        if extra.tag != der.CONTEXT_0:  # [1] publicKey of PKCS#8 v2 is allowed and ignored
            continue
        for attribute in extra.children():
            parts = attribute.expect(der.SEQUENCE).children()
            if parts[0].as_oid() == RANDOM_NUM:
                values = parts[1].expect(der.SET).children()
                bits = values[0].expect(der.BIT_STRING).value
                if len(bits) > 1 and bits[0] == 0:
                    random_num = bits[1:]
    if alg_oid != RSA_ENCRYPTION:
        raise NotRSA()
    # Full validation costs ~30 ms for 2048 bits; the arithmetic checks below are what matter
    # here (the modulus is compared with the certificate's by the caller).
    key = serialization.load_der_private_key(plain, None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise NotRSA()
    _check_rsa_consistency(key)
    return key, random_num


def _check_rsa_consistency(key: rsa.RSAPrivateKey) -> None:
    numbers = key.private_numbers()
    p, q, d = numbers.p, numbers.q, numbers.d
    n, e = numbers.public_numbers.n, numbers.public_numbers.e
    if (
        p < 3
        or q < 3
        or p * q != n
        or not 1 < e < n
        or (e * d) % (p - 1) != 1
        or (e * d) % (q - 1) != 1
        or numbers.dmp1 != d % (p - 1)
        or numbers.dmq1 != d % (q - 1)
        or (numbers.iqmp * q) % p != 1
    ):
        raise ValueError("inconsistent RSA key")
