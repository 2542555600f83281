"""Prove possession: unlock a bundle's private key with the user's password.

The password is right only when the padding is valid, the PKCS#8 parses and the key's public
numbers equal the certificate's (docs/certificates.md). Nothing decrypted is cached or logged.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa

from bot.certs import keyfile, pfx
from bot.certs.errors import (
    CertificateError,
    IncompleteUpload,
    KeyMismatch,
    NotACertificate,
    NotRSA,
    UnsupportedFormat,
    WrongPassword,
)
from bot.certs.inspect import load_certificate
from bot.certs.upload import CertificateBundle

__all__ = ["UnlockedKey", "unlock", "unlock_key_blob"]


@dataclass(frozen=True)
class UnlockedKey:
    """The unlocked signing key and the KISA random number R (None when the file has none)."""

    private_key: rsa.RSAPrivateKey
    random_num: bytes | None
    key_format: str

    def __repr__(self) -> str:  # keep key material out of logs and tracebacks
        return (
            f"UnlockedKey(key_format={self.key_format!r}, has_random={self.random_num is not None})"
        )


def unlock(bundle: CertificateBundle, password: str) -> UnlockedKey:
    """Unlock the bundle's key; raises WrongPassword, KeyMismatch, UnsupportedFormat, ..."""
    if bundle.key_blob is not None:
        return unlock_key_blob(bundle.cert_der, bundle.key_blob, password)
    if bundle.pfx is not None:
        return _unlock_pfx(bundle.cert_der, bundle.pfx, password)
    raise IncompleteUpload("The private key has not been uploaded yet.")


def _certificate_numbers(cert_der: bytes) -> rsa.RSAPublicNumbers:
    try:
        public_key = load_certificate(cert_der).public_key()
    except CertificateError:
        raise
    except Exception as exc:  # the key is parsed lazily: a damaged one surfaces only here
        raise NotACertificate("The certificate's public key is malformed.") from exc
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise NotRSA()
    return public_key.public_numbers()


def unlock_key_blob(cert_der: bytes, key_blob: bytes, password: str) -> UnlockedKey:
    target = _certificate_numbers(cert_der)
    scheme = keyfile.parse_key_blob(key_blob)
    mismatch = False
    for password_bytes in keyfile.password_candidates(password):
        for plain in keyfile.decrypt_candidates(scheme, password_bytes):
            try:
                key, random_num = keyfile.parse_private_key_info(plain)
            except CertificateError:
                raise  # NotRSA: the password was right, the key type is not supported
            except Exception:
                continue  # padding alone accepts ~0.5% of wrong passwords
            if key.public_key().public_numbers() == target:
                return UnlockedKey(key, random_num, scheme.key_format)
            mismatch = True  # decrypted to a sound key, but another certificate's (e.g. kmPri)
    if mismatch:
        raise KeyMismatch()
    raise WrongPassword()


def _unlock_pfx(cert_der: bytes, data: bytes, password: str) -> UnlockedKey:
    target = _certificate_numbers(cert_der)
    cert = load_certificate(cert_der)
    try:
        key, random_num = pfx.load_key_and_random(data, password, cert)
    except (WrongPassword, UnsupportedFormat):
        raise
    if not isinstance(key, rsa.RSAPrivateKey):
        raise NotRSA()
    if key.public_key().public_numbers() != target:
        raise KeyMismatch()
    return UnlockedKey(key, random_num, "pfx")
