"""CPU-bound key operations off the event loop, with a hard time bound.

Unlocking a key or opening a PFX runs key derivation that holds the GIL; run in the event
loop (or a thread) one hostile file would stall every chat. `KeyWorker` runs such an operation
in a small pool of worker processes (spawn context, started lazily, at most `max_workers`): if
one runs past `timeout` seconds its process is killed and replaced, and the caller gets
`KeyOperationTimeout`. Secrets (password, key material) travel only through the worker's pipe:
never a file, argv, environment or log. The core's typed errors come back as the same classes.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.certs.errors import CertificateError, KeyOperationTimeout
from bot.certs.protected import open_protected_pfx
from bot.certs.unlock import UnlockedKey, unlock
from bot.certs.upload import CertificateBundle

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "KeyWorker"]

DEFAULT_TIMEOUT_SECONDS = 10.0
_GENERIC_FAILURE = "The key operation failed."


@dataclass(frozen=True)
class _KeyBlob:
    """An UnlockedKey as it crosses the pipe (key objects do not pickle)."""

    pkcs8_der: bytes
    random_num: bytes | None
    key_format: str

    def __repr__(self) -> str:
        return f"_KeyBlob(key_format={self.key_format!r})"


def _to_blob(key: UnlockedKey) -> _KeyBlob:
    der = key.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return _KeyBlob(der, key.random_num, key.key_format)


def _from_blob(blob: _KeyBlob) -> UnlockedKey:
    key = serialization.load_der_private_key(
        blob.pkcs8_der, None, unsafe_skip_rsa_key_validation=True
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    return UnlockedKey(key, blob.random_num, blob.key_format)


def _perform(operation: str, args: tuple[Any, ...]) -> Any:
    if operation == "unlock":
        return _to_blob(unlock(*args))
    if operation == "open_protected_pfx":
        data, password, label = args
        bundle, key = open_protected_pfx(data, password, label=label)
        return bundle, _to_blob(key)
    raise ValueError(f"unknown operation {operation!r}")


def _serve(conn: multiprocessing.connection.Connection) -> None:
    """The worker's loop: one request in, one ("ok"|"error", value) out, until EOF."""
    while True:
        try:
            operation, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", _perform(operation, args))
        except CertificateError as exc:
            reply = ("error", exc)
        except Exception:  # never ship an arbitrary exception (its text could be anything)
            reply = ("error", CertificateError(_GENERIC_FAILURE))
        del args
        conn.send(reply)


class _Process:
    def __init__(self, context: multiprocessing.context.BaseContext) -> None:
        parent, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), daemon=True)  # type: ignore[attr-defined]
        self.process.start()
        child.close()
        self.conn = parent

    def call(self, operation: str, args: tuple[Any, ...]) -> tuple[str, Any]:
        self.conn.send((operation, args))
        reply: tuple[str, Any] = self.conn.recv()
        return reply

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class KeyWorker:
    """A lazily started pool of at most `max_workers` key-operation processes."""

    def __init__(
        self,
        *,
        max_workers: int = 2,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        start_method: str = "spawn",
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self.timeout = timeout
        self._context = multiprocessing.get_context(start_method)
        self._idle: list[_Process] = []
        self._slots: asyncio.Semaphore | None = None
        self.killed = 0  # workers stopped for running past the time bound

    async def unlock(
        self, bundle: CertificateBundle, password: str, *, timeout: float | None = None
    ) -> UnlockedKey:
        blob = await self._run("unlock", (bundle, password), timeout)
        return _from_blob(blob)

    async def open_protected_pfx(
        self, data: bytes, password: str, *, label: str = "pfx", timeout: float | None = None
    ) -> tuple[CertificateBundle, UnlockedKey]:
        bundle, blob = await self._run("open_protected_pfx", (data, password, label), timeout)
        return bundle, _from_blob(blob)

    async def _run(self, operation: str, args: tuple[Any, ...], timeout: float | None) -> Any:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_workers)
        async with self._slots:
            worker = (
                self._idle.pop() if self._idle else await asyncio.to_thread(_Process, self._context)
            )
            call = asyncio.ensure_future(asyncio.to_thread(worker.call, operation, args))
            try:
                status, value = await asyncio.wait_for(
                    asyncio.shield(call), timeout if timeout is not None else self.timeout
                )
            except TimeoutError:
                # Kill the stuck worker; its blocked recv ends with EOFError and the thread too.
                await asyncio.to_thread(worker.kill)
                call.cancel()
                self.killed += 1
                raise KeyOperationTimeout() from None
            except (EOFError, OSError) as exc:  # the worker died (e.g. out of memory)
                await asyncio.to_thread(worker.kill)
                raise CertificateError(_GENERIC_FAILURE) from exc
            self._idle.append(worker)
        if status == "error":
            raise value
        return value

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for worker in idle:
            await asyncio.to_thread(worker.kill)
