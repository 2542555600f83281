"""The certificate core: NPKI files in, frozen facts out (pure; no Telegram, no SQLite).

classify → assemble → inspect_certificate / unlock → verify_identity, each raising one of the
typed errors in `bot.certs.errors`. See docs/certificates.md for the formats.
"""

from bot.certs.errors import (
    ERROR_CODES,
    ArchiveRejected,
    CertificateError,
    ExpiredCertificate,
    FileTooLarge,
    FinancialCertificate,
    IdentityCheckUnavailable,
    IdentityMismatch,
    IncompleteUpload,
    InvalidIdentityNumber,
    IterationLimitExceeded,
    KeyMismatch,
    KeyOperationTimeout,
    MissingRandom,
    NoIdentityData,
    NotACertificate,
    NotRegistrable,
    NotRSA,
    NotYetValid,
    PfxCertificateEncrypted,
    TrustStoreError,
    UnknownIssuer,
    UnsupportedFormat,
    UnsupportedKeySize,
    UntrustedChain,
    WrongPassword,
)
from bot.certs.identity import verify_identity
from bot.certs.inspect import KST, CertificateInfo, inspect_certificate, kst_days_left
from bot.certs.keyfile import MAX_ITERATIONS
from bot.certs.names import clean_text, display_name
from bot.certs.policy import check_registrable
from bot.certs.protected import file_fingerprint, open_protected_pfx
from bot.certs.trust import ChainResult, TrustStore, verify_chain
from bot.certs.unlock import UnlockedKey, unlock
from bot.certs.upload import (
    MAX_ARCHIVE_ENTRIES,
    MAX_ARCHIVE_UNCOMPRESSED,
    MAX_FILE_BYTES,
    Assembly,
    CertificateBundle,
    FileKind,
    UploadedFile,
    assemble,
    classify,
)

__all__ = [
    "ERROR_CODES",
    "KST",
    "MAX_ARCHIVE_ENTRIES",
    "MAX_ARCHIVE_UNCOMPRESSED",
    "MAX_FILE_BYTES",
    "MAX_ITERATIONS",
    "ArchiveRejected",
    "Assembly",
    "CertificateBundle",
    "CertificateError",
    "CertificateInfo",
    "ChainResult",
    "ExpiredCertificate",
    "FileKind",
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
    "TrustStore",
    "TrustStoreError",
    "UnknownIssuer",
    "UnlockedKey",
    "UnsupportedFormat",
    "UnsupportedKeySize",
    "UntrustedChain",
    "UploadedFile",
    "WrongPassword",
    "assemble",
    "check_registrable",
    "classify",
    "clean_text",
    "display_name",
    "file_fingerprint",
    "inspect_certificate",
    "kst_days_left",
    "open_protected_pfx",
    "unlock",
    "verify_chain",
    "verify_identity",
]
