"""The FAQ as the bot holds it: knowledge base, fuzzy matcher and trained intent model, built
from the operators' YAML at start-up (cached by a hash of the inputs) and rebuilt in the
background by /reload_faq while the old one keeps answering. No Telegram here.

With FAQ_WORKER=true (the default) the matching runs in a worker process (bot/faq_worker.py)
and this process keeps only the knowledge base, for answers and browsing; with false (most
tests) the answerer lives here. Its own module so the typed
context can name it without importing a flow.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bot.config import Settings
from bot.faq_worker import FaqWorker, FaqWorkerError
from faq.answerer import Answerer, FusionSettings
from faq.build import BuildInputs, build_answerer, cache_path
from faq.kb import DEFAULT_PATH, Entry, KnowledgeBase, load_knowledge_base
from faq.matcher import MatchResult
from faq.training import TRAINING_DIR, load_corpus

log = logging.getLogger(__name__)


def _fit_into_cache(inputs: BuildInputs) -> None:
    """In a worker process: validate the files and fit the model into the on-disk cache.

    Fitting holds the GIL for seconds; a separate process keeps every chat answered meanwhile.
    """
    build_answerer(inputs)


class FaqService:
    """The answerer (here, or in a worker process) and its inputs; `reload` swaps in a new one
    only when it built cleanly."""

    # After a failed worker restart, questions get the fallback for this long before the
    # next attempt (a broken install must not respawn a process per message).
    RESTART_BACKOFF_SECONDS = 30.0

    def __init__(self, inputs: BuildInputs, *, worker: bool = False) -> None:
        self.inputs = inputs
        self.worker: FaqWorker | None = None
        self.answerer: Answerer | None = None
        self._fit_if_needed(inputs)
        if worker:
            self._kb = self._validated_kb(inputs)
            self.worker = FaqWorker(inputs)
        else:
            self.answerer = build_answerer(inputs)
            self._kb = self.answerer.kb
        self._reloading: asyncio.Lock | None = None
        self._restarting: asyncio.Lock | None = None
        self._restart_failed_at: float | None = None

    @staticmethod
    def _fit_if_needed(inputs: BuildInputs) -> None:
        cached = cache_path(inputs)
        if cached is not None and not cached.exists():
            # Fitting peaks at over a gigabyte; in a worker process that memory is returned
            # when it exits, and the bot itself only ever holds the fitted model.
            with ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            ) as pool:
                pool.submit(_fit_into_cache, inputs).result()

    @staticmethod
    def _validated_kb(inputs: BuildInputs) -> KnowledgeBase:
        """The knowledge base, with the training corpus checked against it (KnowledgeBaseError
        or TrainingError here, in this process, as without a worker)."""
        kb = load_knowledge_base(inputs.kb_path)
        load_corpus(kb, files=inputs.training_files())
        return kb

    @property
    def kb(self) -> KnowledgeBase:
        return self._kb

    @classmethod
    def from_settings(cls, settings: Settings) -> FaqService:
        defaults = FusionSettings()
        fusion = dataclasses.replace(
            defaults,
            # The settings are on the 0-100 scale of the fused score the CLI prints.
            answer_threshold=settings.faq_answer_threshold / 100
            if settings.faq_answer_threshold is not None
            else defaults.answer_threshold,
            suggest_threshold=settings.faq_suggest_threshold / 100
            if settings.faq_suggest_threshold is not None
            else defaults.suggest_threshold,
        )
        # Beside the database; chat mode's in-memory database keeps it in data/ (git-ignored).
        home = Path("data") if str(settings.database_path) == ":memory:" else settings.database_path.parent
        cache = settings.faq_cache_dir or home / "faq-cache"
        inputs = BuildInputs(
            kb_path=settings.faq_path or DEFAULT_PATH,
            training_dir=settings.faq_training_dir or TRAINING_DIR,
            cache_dir=cache,
            fusion=fusion,
        )
        return cls(inputs, worker=settings.faq_worker)

    async def start(self) -> None:
        """Start the worker process (nothing without one); FaqWorkerError if it cannot."""
        if self.worker is not None:
            await self._start_worker(self.worker, self.inputs)

    async def close(self) -> None:
        if self.worker is not None:
            await self.worker.close()

    async def _start_worker(self, worker: FaqWorker, inputs: BuildInputs) -> None:
        await worker.start()
        expected = hashlib.sha256(inputs.kb_path.read_bytes()).hexdigest()
        if worker.kb_sha256 != expected:
            # The file changed between this process's read and the worker's: read it again.
            log.warning("the FAQ worker read another knowledge base version: restarting it")
            await worker.close()
            self._kb = await asyncio.to_thread(self._validated_kb, inputs)
            await worker.start()

    async def reload(self) -> int:
        """Rebuild from the files in a worker process; answers keep coming from the old model.

        Raises KnowledgeBaseError or TrainingError (the old answerer stays) on a broken file.
        """
        if self._reloading is None:
            self._reloading = asyncio.Lock()
        async with self._reloading:  # two /reload_faq at once build once each, in turn
            loop = asyncio.get_running_loop()
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                await loop.run_in_executor(pool, _fit_into_cache, self.inputs)
            if self.worker is not None:
                # A new worker loads the new model while the old one keeps answering.
                kb = await asyncio.to_thread(self._validated_kb, self.inputs)
                fresh = FaqWorker(self.inputs, self.worker.timeout)
                await fresh.start()
                old, self.worker, self._kb = self.worker, fresh, kb
                await old.close()
                return len(kb.entries)
            # The fitted model is in the cache now: loading it is short work in a thread (the
            # loop keeps serving between GIL switches); the old answerer answers until then.
            answerer = await asyncio.to_thread(build_answerer, self.inputs)
            self.answerer, self._kb = answerer, answerer.kb
            return len(answerer.kb.entries)

    async def match(self, text: str, lang: str | None = None) -> MatchResult:
        """How to reply to `text`. With a worker that died or hung, it is replaced and the
        question asked again once; if that fails too, the fallback (the customer center)."""
        if self.answerer is not None:
            return self.answerer.match(text, lang)
        assert self.worker is not None
        for attempt in range(2):
            worker = self.worker
            try:
                return await worker.match(text, lang)
            except FaqWorkerError as error:
                log.error("FAQ worker: %s", error)
                if attempt or not await self._restart(worker):
                    break
        return MatchResult(text, "fallback", None, 0.0, (), lang or "ko", ())

    async def _restart(self, failed: FaqWorker) -> bool:
        """Replace `failed` (once, however many chats saw it fail); whether a worker runs."""
        if self._restarting is None:
            self._restarting = asyncio.Lock()
        async with self._restarting:
            if self.worker is not failed and self.worker is not None and self.worker.alive:
                return True  # another chat already replaced it
            failed_at = self._restart_failed_at
            if failed_at is not None and time.monotonic() - failed_at < self.RESTART_BACKOFF_SECONDS:
                return False
            await failed.close(kill=True)
            fresh = FaqWorker(self.inputs, failed.timeout)
            try:
                await self._start_worker(fresh, self.inputs)
            except (FaqWorkerError, OSError) as error:
                log.error("FAQ worker could not be restarted: %s", type(error).__name__)
                self._restart_failed_at = time.monotonic()
                return False
            self._restart_failed_at = None
            self.worker = fresh
            return True

    def entry(self, entry_id: str) -> Entry | None:
        return self._kb.get(entry_id)

    def answer_html(self, entry_id: str, lang: str) -> str | None:
        entry = self._kb.get(entry_id)
        if entry is None:
            return None
        return entry.answer.get(lang) or entry.answer.get("ko")


__all__ = ["FaqService"]
