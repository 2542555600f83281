"""Fixtures for the Mini App tests: a real SQLite store, the server on 127.0.0.1, a client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.store import Store, open_database
from bot.webapp.server import create_app
from bot.webapp.store_backend import StoreBackend

TOKEN = "123456789:WEBAPP-TEST-TOKEN"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    db = await open_database(tmp_path / "kcert.sqlite3")
    store = Store(db)
    yield store
    await store.close()


@pytest.fixture
async def client(store: Store) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    app = create_app(TOKEN, StoreBackend(store))
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


@pytest.fixture
async def identity_client(store: Store) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    app = create_app(TOKEN, StoreBackend(store), require_identity=True, max_attempts=3)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client
