"""Shared fixtures: the emulator, the real bot on a real SQLite file, generated certificates.

`bot` runs the real Application (create_application → polling) against the emulator over
loopback HTTP; `restart()` stops it and starts a new one on the same database file.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvloop

from bot.app import create_application, shutdown, startup
from bot.certs.testgen import GeneratedCertificate, fake_ca_bundle_path, generate_test_certificate
from bot.config import Settings
from bot.emulator import BotApiEmulator, ScriptedUser
from bot.emulator.ptb import connect
from bot.flows.common import KcertApplication
from bot.keywork import KeyWorker
from bot.logs import configure_logging
from faq.build import BuildInputs, build_answerer

PASSWORD = "Kb-test-pw!2026"
IDENTITY = "8001011234567"


# The fitted FAQ model, cached by the hash of its inputs across tests (and across local runs).
FAQ_CACHE = Path(__file__).resolve().parents[1] / ".pytest_cache" / "faq-model"
# Bots started as real processes by the tests find the same cache.
os.environ.setdefault("FAQ_CACHE_DIR", str(FAQ_CACHE))


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Every async test runs on uvloop, the loop `kcert-bot run` and `chat` use."""
    return {"uvloop": uvloop.new_event_loop}


@pytest.fixture(scope="session", autouse=True)
def faq_model() -> None:
    """Fit the shipped FAQ model once per run (seconds; then every bot start loads it)."""
    build_answerer(BuildInputs(cache_dir=FAQ_CACHE))


def make_settings(emulator: BotApiEmulator, database: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "faq_cache_dir": FAQ_CACHE,
        # In this process (a worker costs ~2 s per bot); test_faq_worker.py runs the worker.
        "faq_worker": False,
        "bot_token": emulator.token,
        "telegram_api_url": emulator.base_url,
        "database_path": database,
        "log_level": "DEBUG",
        # The generated certificates are issued by the TEST CA: the tests trust its bundle.
        "trusted_ca_file": fake_ca_bundle_path(),
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class SharedKeyWorker(KeyWorker):
    """One warm pool of key workers for the whole test session (a spawn costs ~0.6 s): an
    application's shutdown does not close it; the session's end does. While an operation
    runs inside a handler, settle() waits for it: an update is done only when its handler is."""


    async def close(self) -> None:
        pass

    async def close_for_real(self) -> None:
        await super().close()


@pytest.fixture(scope="session")
def shared_keywork() -> Iterator[SharedKeyWorker]:
    worker = SharedKeyWorker(max_workers=2)
    yield worker
    asyncio.run(worker.close_for_real())


@dataclass
class BotHarness:
    """The running bot; `restart()` simulates a process restart on the same database."""

    emulator: BotApiEmulator
    settings: Settings
    app: KcertApplication | None = None
    clock: Callable[[], float] | None = None
    keywork: KeyWorker | None = None
    log_path: Path | None = None
    users: dict[int, ScriptedUser] = field(default_factory=dict)
    _disconnect: Callable[[], None] | None = None

    async def start(self) -> None:
        self.app = await create_application(self.settings, clock=self.clock, keywork=self.keywork)
        # The bot's processor reports each finished update: settle() waits on that cause.
        self._disconnect = connect(self.emulator, self.app)
        await startup(self.app)
        assert self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=0, timeout=5)

    async def stop(self) -> None:
        if self.app is not None:
            await shutdown(self.app)
            self.app = None
        if self._disconnect is not None:
            self._disconnect()
            self._disconnect = None

    async def restart(self, **overrides: Any) -> None:
        await self.stop()
        if overrides:
            self.settings = self.settings.model_copy(update=overrides)
        await self.start()

    @property
    def services(self) -> Any:
        assert self.app is not None
        return self.app.services

    def user(self, user_id: int = 1001, **kw: Any) -> ScriptedUser:
        if user_id not in self.users:
            self.users[user_id] = self.emulator.user(user_id, **kw)
        return self.users[user_id]


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emu:
        yield emu


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """Everything logged during the test, through the production redaction filter, at DEBUG."""
    path = tmp_path / "bot.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    configure_logging("DEBUG", handler)
    yield path
    handler.close()
    logging.getLogger().removeHandler(handler)


@pytest.fixture
async def bot_factory(
    emulator: BotApiEmulator, tmp_path: Path, shared_keywork: SharedKeyWorker
) -> AsyncIterator[Callable[..., Any]]:
    harnesses: list[BotHarness] = []

    async def factory(**overrides: Any) -> BotHarness:
        clock = overrides.pop("clock", None)
        keywork = overrides.pop("keywork", shared_keywork)
        harness = BotHarness(
            emulator,
            make_settings(emulator, tmp_path / "bot.sqlite3", **overrides),
            clock=clock,
            keywork=keywork,
        )
        await harness.start()
        harnesses.append(harness)
        return harness

    yield factory
    for harness in harnesses:
        await harness.stop()


@pytest.fixture
async def bot(bot_factory: Callable[..., Any]) -> BotHarness:
    return await bot_factory()  # type: ignore[no-any-return]


_CERT_CACHE: dict[tuple[Any, ...], GeneratedCertificate] = {}


def cert(**kw: Any) -> GeneratedCertificate:
    """A generated certificate (cached per argument set: RSA key generation is slow)."""
    kw.setdefault("password", PASSWORD)
    kw.setdefault("identity_number", IDENTITY)
    kw.setdefault("key_size", 1024)
    key = tuple(sorted(kw.items()))
    if key not in _CERT_CACHE:
        _CERT_CACHE[key] = generate_test_certificate(**kw)
    return _CERT_CACHE[key]
