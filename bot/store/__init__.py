"""The store: one SQLite file through aiosqlite, versioned schema, domain repository.

Flows call the repository's domain methods; SQL lives here only.
"""

from bot.store.database import Database, open_database
from bot.store.repository import (
    AlreadyActiveElsewhere,
    AlreadyActiveForUser,
    CertificateNotFound,
    LimitReached,
    NotActive,
    RegisteredCertificate,
    Store,
    StoreError,
)

__all__ = [
    "AlreadyActiveElsewhere",
    "AlreadyActiveForUser",
    "CertificateNotFound",
    "Database",
    "LimitReached",
    "NotActive",
    "RegisteredCertificate",
    "Store",
    "StoreError",
    "open_database",
]
