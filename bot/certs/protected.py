"""PFX files whose certificates are encrypted too (Windows-style exports).

Nothing in such a file can be shown before the password is known, so the password opens it
first: the signing certificate and its key come out together, already checked to match.
"""

from __future__ import annotations

import hashlib
import warnings

from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

from bot.certs.errors import NotACertificate, WrongPassword
from bot.certs.pfx import check_pfx_iterations
from bot.certs.unlock import UnlockedKey, unlock
from bot.certs.upload import CertificateBundle, _bundle, _pick_sign_certificate

__all__ = ["file_fingerprint", "open_protected_pfx"]


def open_protected_pfx(
    data: bytes, password: str, *, label: str = "pfx"
) -> tuple[CertificateBundle, UnlockedKey]:
    """Decrypt the whole PFX with the password; return its signing certificate and key.

    Raises WrongPassword, KeyMismatch, NotRSA or NotACertificate like `unlock`, and
    IterationLimitExceeded before anything runs the file's own iteration counts.
    """
    check_pfx_iterations(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # BER fallback notices for damaged files
            _key, cert, extra = pkcs12.load_key_and_certificates(
                data, password.rstrip("\r\n").encode("utf-8")
            )
    except Exception as exc:  # a bad MAC or password; hostile input may raise anything
        raise WrongPassword() from exc
    certificates = [c.public_bytes(Encoding.DER) for c in ([cert] if cert else []) + list(extra)]
    if not certificates:
        raise NotACertificate("The PKCS#12 file holds no certificate.")
    bundle = _bundle(_pick_sign_certificate(certificates), None, data, label)
    return bundle, unlock(bundle, password)


def file_fingerprint(data: bytes) -> str:
    """SHA-256 of an uploaded file, for what must be keyed before its certificate is known."""
    return hashlib.sha256(data).hexdigest()
