"""Typed errors of the certificate core (bot/certs).

Every failure the core can report is one of these classes; each carries a stable `code`
that a flow maps to one catalog message. Messages are fixed English sentences for logs and
operators: they never contain a password, an identity number or key material.
"""

from __future__ import annotations

__all__ = [
    "ERROR_CODES",
    "ArchiveRejected",
    "CertificateError",
    "ExpiredCertificate",
    "FileTooLarge",
    "FinancialCertificate",
    "IdentityCheckUnavailable",
    "IdentityMismatch",
    "IncompleteUpload",
    "InvalidIdentityNumber",
    "IterationLimitExceeded",
    "KeyMismatch",
    "KeyOperationTimeout",
    "MissingRandom",
    "NoIdentityData",
    "NotACertificate",
    "NotRSA",
    "NotRegistrable",
    "NotYetValid",
    "PfxCertificateEncrypted",
    "TrustStoreError",
    "UnknownIssuer",
    "UnsupportedFormat",
    "UnsupportedKeySize",
    "UntrustedChain",
    "WrongPassword",
]


class CertificateError(Exception):
    """Base of every error the certificate core raises; `code` is stable, the text is not."""

    code: str = "certificate_error"
    default_message: str = "The certificate could not be processed."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self)


class NotACertificate(CertificateError):
    code = "not_a_certificate"
    default_message = "The file is not a certificate, a private key, a PKCS#12 file or a zip."


class UnsupportedFormat(CertificateError):
    code = "unsupported_format"
    default_message = "The file uses a format or algorithm that is not supported."


class IterationLimitExceeded(UnsupportedFormat):
    # A file chooses its own iteration count; a huge one would let an upload burn CPU.
    code = "iteration_limit"
    default_message = "The key file asks for more key-derivation iterations than allowed."


class NotRSA(UnsupportedFormat):
    code = "not_rsa"
    default_message = "Only RSA certificates and keys are supported."


class UnsupportedKeySize(UnsupportedFormat):
    code = "unsupported_key_size"
    default_message = "Only RSA keys of 1024 to 4096 bits are supported."


class PfxCertificateEncrypted(UnsupportedFormat):
    # Some exporters encrypt the certificate bag too; without a password we cannot show it.
    code = "pfx_certificate_encrypted"
    default_message = "The PKCS#12 file keeps its certificate encrypted; it cannot be read."


class WrongPassword(CertificateError):
    code = "wrong_password"
    default_message = "The password does not unlock the private key."


class KeyMismatch(CertificateError):
    code = "key_mismatch"
    default_message = "The private key does not belong to this certificate."


class FileTooLarge(CertificateError):
    code = "file_too_large"
    default_message = "The file is larger than any certificate file can be."


class ArchiveRejected(CertificateError):
    code = "archive_rejected"
    default_message = "The zip archive was rejected (unsafe, too large or unreadable)."


class IncompleteUpload(CertificateError):
    code = "incomplete_upload"
    default_message = "The certificate or its private key is missing."


class IdentityCheckUnavailable(CertificateError):
    code = "identity_check_unavailable"
    default_message = "The identity check is not possible for this certificate."


class NoIdentityData(IdentityCheckUnavailable):
    code = "no_identity_data"
    default_message = "The certificate carries no identity data (VID)."


class MissingRandom(IdentityCheckUnavailable):
    code = "missing_random"
    default_message = "The private key carries no random number (R) for the identity check."


class InvalidIdentityNumber(CertificateError):
    code = "invalid_identity_number"
    default_message = "An identity number has 13 digits (resident) or 10 digits (business)."


class IdentityMismatch(CertificateError):
    code = "identity_mismatch"
    default_message = "The identity number does not match the certificate."


class KeyOperationTimeout(CertificateError):
    # A key operation that runs past its hard time bound is stopped, not waited for.
    code = "key_operation_timeout"
    default_message = "The key operation took too long and was stopped."


class TrustStoreError(CertificateError):
    code = "trust_store_invalid"
    default_message = "The trusted CA bundle could not be read."


class NotRegistrable(CertificateError):
    """Base of the registration-policy refusals: a flow maps each subclass to one message."""

    code = "not_registrable"
    default_message = "The certificate cannot be registered."


class ExpiredCertificate(NotRegistrable):
    code = "expired"
    default_message = "The certificate has expired."


class NotYetValid(NotRegistrable):
    code = "not_yet_valid"
    default_message = "The certificate is not valid yet."


class FinancialCertificate(NotRegistrable):
    # 금융인증서 lives in the KFTC cloud; it is never a file a bank can register (docs/certificates.md).
    code = "financial_certificate"
    default_message = "A financial certificate (금융인증서) cannot be registered as a file."


class UnknownIssuer(NotRegistrable):
    code = "unknown_issuer"
    default_message = "The certificate's issuer is not a trusted certification authority."


class UntrustedChain(NotRegistrable):
    code = "untrusted_chain"
    default_message = "The certificate's chain to a trusted root CA does not verify."


def _all_subclasses(cls: type[CertificateError]) -> list[type[CertificateError]]:
    found: list[type[CertificateError]] = [cls]
    for sub in cls.__subclasses__():
        found.extend(_all_subclasses(sub))
    return found


#: code -> class, for the lead's catalog mapping and for a test that codes are unique.
ALL_ERROR_CLASSES: tuple[type[CertificateError], ...] = tuple(
    dict.fromkeys(_all_subclasses(CertificateError))
)
ERROR_CODES: dict[str, type[CertificateError]] = {c.code: c for c in ALL_ERROR_CLASSES}
