"""The FAQ knowledge base and its matcher, as the bot holds them (reloadable, no Telegram).

Its own module so the typed context can name it without importing a flow.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.config import Settings
from faq.kb import Entry, KnowledgeBase, load_knowledge_base
from faq.matcher import Matcher, MatchResult, MatchSettings


class FaqService:
    """The knowledge base and its matcher; reloadable without a restart."""

    def __init__(self, path: Path | None, match_settings: MatchSettings) -> None:
        self.path = path
        self.match_settings = match_settings
        self.kb: KnowledgeBase = load_knowledge_base(path)
        self.matcher = Matcher(self.kb, match_settings)

    @classmethod
    def from_settings(cls, settings: Settings) -> FaqService:
        defaults = MatchSettings()
        tuned = dataclasses.replace(
            defaults,
            answer_threshold=settings.faq_answer_threshold
            if settings.faq_answer_threshold is not None
            else defaults.answer_threshold,
            suggest_threshold=settings.faq_suggest_threshold
            if settings.faq_suggest_threshold is not None
            else defaults.suggest_threshold,
        )
        return cls(settings.faq_path, tuned)

    def reload(self) -> int:
        """Load the file again; on any error keep the old KB and raise KnowledgeBaseError."""
        kb = load_knowledge_base(self.path)
        matcher = Matcher(kb, self.match_settings)
        self.kb, self.matcher = kb, matcher
        return len(kb.entries)

    def match(self, text: str) -> MatchResult:
        return self.matcher.match(text)

    def entry(self, entry_id: str) -> Entry | None:
        return self.kb.get(entry_id)

    def answer_html(self, entry_id: str, lang: str) -> str | None:
        entry = self.kb.get(entry_id)
        if entry is None:
            return None
        return entry.answer.get(lang) or entry.answer.get("ko")
