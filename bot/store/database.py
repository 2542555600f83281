"""The SQLite connection: WAL, foreign keys, busy timeout, ordered migrations.

The schema version lives in `PRAGMA user_version`; `migrations/NNNN_*.sql` run in order at start-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


def migration_scripts() -> list[tuple[int, str, str]]:
    """All migrations shipped with the package: (version, file name, SQL), in order."""
    folder = resources.files("bot.store") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            scripts.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    scripts.sort()
    versions = [v for v, _, _ in scripts]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return scripts


class Database:
    """One aiosqlite connection plus a lock so each domain action is one transaction."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run statements atomically: BEGIN IMMEDIATE … COMMIT, or ROLLBACK on error."""
        async with self._lock:
            await self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield self.connection
            except BaseException:
                await self.connection.rollback()
                raise
            else:
                await self.connection.commit()

    async def schema_version(self) -> int:
        async with self.connection.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply pending migrations, each in its own transaction; returns the new version."""
        current = await self.schema_version()
        for version, name, sql in migration_scripts():
            if version <= current:
                continue
            log.info("applying migration %s", name)
            # executescript commits first; wrap the script so it is all-or-nothing.
            await self.connection.executescript(
                f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
            )
            current = version
        return current

    async def close(self) -> None:
        await self.connection.close()


async def open_database(path: Path | str) -> Database:
    """Open (creating if needed) the database file and bring its schema up to date."""
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    connection = await aiosqlite.connect(path, isolation_level=None)
    connection.row_factory = aiosqlite.Row
    await connection.execute("PRAGMA journal_mode = WAL")
    await connection.execute("PRAGMA foreign_keys = ON")
    await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await connection.execute("PRAGMA synchronous = NORMAL")
    # Freed pages are zeroed so deleted rows do not linger in the file.
    await connection.execute("PRAGMA secure_delete = ON")
    db = Database(connection, path)
    await db.migrate()
    return db
