"""The certificate core: NPKI files in, frozen facts out (pure; no Telegram, no SQLite).

classify → assemble → inspect_certificate / unlock → verify_identity, each raising one of the
typed errors in `bot.certs.errors`. See /work/shared/docs/npki.md for the formats.
"""

from bot.certs.errors import (
    ERROR_CODES,
    ArchiveRejected,
    CertificateError,
    FileTooLarge,
    IdentityCheckUnavailable,
    IncompleteUpload,
    InvalidIdentityNumber,
    IterationLimitExceeded,
    KeyMismatch,
    MissingRandom,
    NoIdentityData,
    NotACertificate,
    NotRSA,
    PfxCertificateEncrypted,
    UnsupportedFormat,
    UnsupportedKeySize,
    WrongPassword,
)
from bot.certs.identity import verify_identity
from bot.certs.inspect import CertificateInfo, inspect_certificate
from bot.certs.keyfile import MAX_ITERATIONS
from bot.certs.protected import file_fingerprint, open_protected_pfx
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
    "MAX_ARCHIVE_ENTRIES",
    "MAX_ARCHIVE_UNCOMPRESSED",
    "MAX_FILE_BYTES",
    "MAX_ITERATIONS",
    "ArchiveRejected",
    "Assembly",
    "CertificateBundle",
    "CertificateError",
    "CertificateInfo",
    "FileKind",
    "FileTooLarge",
    "IdentityCheckUnavailable",
    "IncompleteUpload",
    "InvalidIdentityNumber",
    "IterationLimitExceeded",
    "KeyMismatch",
    "MissingRandom",
    "NoIdentityData",
    "NotACertificate",
    "NotRSA",
    "PfxCertificateEncrypted",
    "UnlockedKey",
    "UnsupportedFormat",
    "UnsupportedKeySize",
    "UploadedFile",
    "WrongPassword",
    "assemble",
    "classify",
    "file_fingerprint",
    "inspect_certificate",
    "open_protected_pfx",
    "unlock",
    "verify_identity",
]
