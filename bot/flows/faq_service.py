"""The FAQ as the bot holds it: knowledge base, fuzzy matcher and trained intent model, built
from the operators' YAML at start-up (cached by a hash of the inputs) and rebuilt in the
background by /reload_faq while the old one keeps answering. No Telegram here.

Its own module so the typed context can name it without importing a flow.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bot.config import Settings
from faq.answerer import Answerer, FusionSettings
from faq.build import BuildInputs, build_answerer, cache_path
from faq.kb import DEFAULT_PATH, Entry, KnowledgeBase
from faq.matcher import MatchResult
from faq.training import TRAINING_DIR

log = logging.getLogger(__name__)


def _fit_into_cache(inputs: BuildInputs) -> None:
    """In a worker process: validate the files and fit the model into the on-disk cache.

    Fitting holds the GIL for seconds; a separate process keeps every chat answered meanwhile.
    """
    build_answerer(inputs)


class FaqService:
    """The answerer and its inputs; `reload` swaps in a new one only when it built cleanly."""

    def __init__(self, inputs: BuildInputs) -> None:
        self.inputs = inputs
        cached = cache_path(inputs)
        if cached is not None and not cached.exists():
            # Fitting peaks at over a gigabyte; in a worker process that memory is returned
            # when it exits, and the bot itself only ever holds the fitted model.
            with ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            ) as pool:
                pool.submit(_fit_into_cache, inputs).result()
        self.answerer: Answerer = build_answerer(inputs)
        self._reloading: asyncio.Lock | None = None

    @property
    def kb(self) -> KnowledgeBase:
        return self.answerer.kb

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
        return cls(
            BuildInputs(
                kb_path=settings.faq_path or DEFAULT_PATH,
                training_dir=settings.faq_training_dir or TRAINING_DIR,
                cache_dir=cache,
                fusion=fusion,
            )
        )

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
            # The fitted model is in the cache now: loading it is short work in a thread (the
            # loop keeps serving between GIL switches); the old answerer answers until then.
            answerer = await asyncio.to_thread(build_answerer, self.inputs)
            self.answerer = answerer
            return len(answerer.kb.entries)

    def match(self, text: str, lang: str | None = None) -> MatchResult:
        return self.answerer.match(text, lang)

    def entry(self, entry_id: str) -> Entry | None:
        return self.answerer.kb.get(entry_id)

    def answer_html(self, entry_id: str, lang: str) -> str | None:
        entry = self.answerer.kb.get(entry_id)
        if entry is None:
            return None
        return entry.answer.get(lang) or entry.answer.get("ko")


__all__ = ["FaqService"]
