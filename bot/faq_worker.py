"""The bot's side of the FAQ worker process (faq/serve.py): questions out, answers back.

One child process holds the fitted FAQ model and matches every question; the event loop
only writes a JSON line to its stdin and resolves a future when the answer line comes back,
so matching never holds the loop (bench/e2e.py: the bot's CPU per update drops by the
matcher's share, and one hostile question delays no other chat's buttons or uploads).

A question that gets no answer within `timeout` seconds, or a worker that died, raises
`FaqWorkerError`; the worker is then killed and replaced on the next question (FaqService
retries once). Only public text crosses the pipe: questions that look like a password or a
resident number are deleted before the FAQ ever sees them (bot/flows/secrets.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import sys
from typing import Any

from faq import serve
from faq.build import BuildInputs
from faq.matcher import MatchResult
from faq.serve import config_of, result_from_wire

__all__ = ["FaqWorker", "FaqWorkerError"]

log = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 120.0  # loading a cached model takes ~2 s; fitting is done before


class FaqWorkerError(RuntimeError):
    """The worker did not answer: it died, timed out or never became ready."""


class _NoAnswer(Exception):
    """Set on a question's future when its time is up (FaqWorker.match turns it into a
    FaqWorkerError after replacing the worker)."""


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(_NoAnswer())


class FaqWorker:
    """One `python -m faq.serve` child; `match` is safe to call from many chats at once."""

    def __init__(self, inputs: BuildInputs, timeout: float = 10.0) -> None:
        self.inputs = inputs
        self.timeout = timeout
        self.kb_sha256 = ""
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> int:
        """Spawn the worker and wait until it has loaded the model; the number of entries."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", serve.__name__,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=1 << 20,
        )  # fmt: skip
        assert process.stdin is not None and process.stdout is not None
        self._process = process
        process.stdin.write(json.dumps(config_of(self.inputs)).encode() + b"\n")
        try:
            line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_SECONDS)
            ready = json.loads(line) if line else {}
        except (TimeoutError, ValueError):
            ready = {}
        if not ready.get("ready"):
            await self.close()
            raise FaqWorkerError(f"the FAQ worker did not start: {ready.get('error', 'no reply')}")
        self.kb_sha256 = str(ready.get("kb_sha256", ""))
        self._reader = asyncio.create_task(self._read(process), name="faq-worker-reader")
        return int(ready.get("entries", 0))

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        try:
            while line := await process.stdout.readline():
                message = json.loads(line)
                future = self._pending.pop(message.get("i"), None)
                if future is not None and not future.done():
                    future.set_result(message)
        except (ValueError, asyncio.LimitOverrunError, ConnectionError) as error:
            log.error("FAQ worker sent something unreadable: %s", type(error).__name__)
        finally:
            self._fail_pending("the FAQ worker stopped")

    def _fail_pending(self, why: str) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(FaqWorkerError(why))

    async def match(self, text: str, lang: str | None) -> MatchResult:
        process = self._process
        if process is None or process.returncode is not None or self._reader is None:
            raise FaqWorkerError("the FAQ worker is not running")
        if self._reader.done():
            raise FaqWorkerError("the FAQ worker stopped")
        assert process.stdin is not None
        request_id = next(self._ids)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._pending[request_id] = future
        # A timer on the future itself: asyncio.wait_for costs a task's worth of bookkeeping
        # per question, and this runs for every message the bot gets.
        timer = loop.call_later(self.timeout, _expire, future)
        line = json.dumps({"i": request_id, "q": text, "l": lang}, ensure_ascii=False)
        try:
            process.stdin.write(line.encode() + b"\n")
            await process.stdin.drain()
            message = await future
        except _NoAnswer:
            self._pending.pop(request_id, None)
            log.error("FAQ worker gave no answer within %.0f s: replacing it", self.timeout)
            await self.close(kill=True)
            raise FaqWorkerError("the FAQ worker timed out") from None
        except FaqWorkerError:  # the reader saw the worker stop
            raise
        except (ConnectionError, RuntimeError):
            self._pending.pop(request_id, None)
            raise FaqWorkerError("the FAQ worker's pipe is closed") from None
        finally:
            timer.cancel()
        if "x" in message:
            raise FaqWorkerError(f"the FAQ worker failed on a question: {message['x']}")
        return result_from_wire(text, message)

    async def close(self, *, kill: bool = False) -> None:
        """End the worker: questions already sent are answered first (end of input), then
        it is killed if it does not exit within a few seconds (at once with `kill`)."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None and not process.stdin.is_closing():
            process.stdin.close()
        try:
            if kill:
                raise TimeoutError
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        self._fail_pending("the FAQ worker was closed")
