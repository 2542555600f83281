"""The FAQ's decision: the trained intent model (faq.intent) fused with the fuzzy matcher
(faq.matcher) → answer, "did you mean" suggestions, small talk, or the fallback.

The classifier understands phrasings nobody wrote into the knowledge base; the fuzzy score keeps
typos and English-layout Korean working. Thresholds are chosen leave-one-author-out on the
training corpus (bench/faq.py --tune), never on an evaluation set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from faq.intent import IntentModel, IntentSettings
from faq.kb import KnowledgeBase
from faq.matcher import MAX_FUZZY, Matcher, MatchResult, MatchSettings
from faq.training import OUT_OF_SCOPE, Example

__all__ = ["SMALL_TALK_PREFIX", "Answerer", "FusionSettings"]

SMALL_TALK_PREFIX = "smalltalk:"


@dataclass(frozen=True)
class FusionSettings:
    """How classifier probability and fuzzy score are combined into one decision."""

    # Chosen by `python bench/faq.py --tune`: a grid search on leave-one-author-out predictions
    # of the training corpus only; no evaluation-only set is ever looked at.
    classifier_weight: float = 0.7  # fused = w * probability + (1 - w) * fuzzy / 100
    answer_threshold: float = 0.26  # fused score at or above: answer (when clear of the rest)
    suggest_threshold: float = 0.24  # fused score at or above: offer suggestions
    margin: float = 0.0  # the best must beat the runner-up by this to be answered outright
    out_of_scope_threshold: float = 0.30  # out-of-scope probability that forces the fallback
    fuzzy_override: float = 101.0  # fuzzy score that overrides the out-of-scope class (101: never)
    small_talk_threshold: float = 0.5
    suggest_window: float = 0.12
    max_suggestions: int = 3


class Answerer:
    """Knowledge base + fuzzy matcher + intent model; `match` is the one call the bot makes."""

    def __init__(
        self,
        kb: KnowledgeBase,
        examples: Sequence[Example],
        *,
        fusion: FusionSettings | None = None,
        intent: IntentSettings | None = None,
        match_settings: MatchSettings | None = None,
        matcher: Matcher | None = None,
        model: IntentModel | None = None,
    ) -> None:
        self.kb = kb
        self.fusion = fusion or FusionSettings()
        self.matcher = matcher or Matcher(kb, match_settings)
        self.model = model or IntentModel(examples, intent, english_words=self.matcher.english_words)
        self._entry_ids = frozenset(e.id for e in kb.entries)

    def match(self, query: str, lang: str | None = None, *, exhaustive: bool = False) -> MatchResult:
        """Decide how to reply to `query`; `lang` (the chat's language) is only a hint.

        The classifier runs first. When its probabilities alone fix the decision whatever the
        fuzzy scores are (`fuzzy_irrelevant`), the fuzzy matcher (the costlier half) is not run:
        the decision and the entry are the same, only `score`/`scores` then show the
        classifier's share. `exhaustive=True` always runs both (the CLI shows every score)."""
        if not query.strip() or not any(ch.isalnum() for ch in query):
            fuzzy = self.matcher.match(query, lang)
            if fuzzy.decision == "fallback" and not fuzzy.scores:
                return fuzzy
            return self.decide(fuzzy, self.model.probabilities(query))
        probs = self.model.probabilities(query)
        if not exhaustive and self.fuzzy_irrelevant(probs):
            unscored = MatchResult(query, "fallback", None, 0.0, (), self.matcher.language(query, lang), ())
            return self.decide(unscored, probs)
        return self.decide(self.matcher.match(query, lang), probs)

    def fuzzy_irrelevant(self, probs: Mapping[str, float]) -> bool:
        """Whether `decide` reaches the same decision and entry for every possible fuzzy score
        (0-100 per entry): small talk and a confident out-of-scope class ignore fuzzy scores;
        an answer is fixed when the classifier's lead over the runner-up is larger than any
        fuzzy score could close, and its own share already clears the thresholds."""
        f = self.fusion
        if not probs:
            return False
        top_label = max(probs, key=probs.__getitem__)
        if top_label.startswith(SMALL_TALK_PREFIX) and probs[top_label] >= f.small_talk_threshold:
            return True
        confident_out = top_label == OUT_OF_SCOPE and probs[top_label] >= f.out_of_scope_threshold
        if confident_out and f.fuzzy_override > MAX_FUZZY:  # no fuzzy score can override it
            return True
        if top_label not in self._entry_ids:
            return False
        first = probs[top_label]
        second = max((probs.get(e, 0.0) for e in self._entry_ids if e != top_label), default=0.0)
        w = f.classifier_weight
        lead = w * (first - second) - (1 - w) * MAX_FUZZY / 100  # the least the best leads by
        return lead > 0 and lead >= f.margin and w * first >= f.answer_threshold

    def decide(self, fuzzy: MatchResult, probs: Mapping[str, float]) -> MatchResult:
        """Fuse one query's fuzzy result with its class probabilities."""
        f = self.fusion
        fuzzy_scores = dict(fuzzy.scores)
        fused = {
            e: f.classifier_weight * probs.get(e, 0.0)
            + (1 - f.classifier_weight) * fuzzy_scores.get(e, 0.0) / 100
            for e in self._entry_ids
        }
        ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
        top_label = max(probs, key=probs.__getitem__) if probs else OUT_OF_SCOPE
        best_id, best = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        scores = tuple((e, round(100 * s, 1)) for e, s in ranked[:5])

        def result(decision: str, entry: str | None, suggestions: Iterable[str] = ()) -> MatchResult:
            return MatchResult(
                fuzzy.query, decision, entry, round(100 * best, 1),  # type: ignore[arg-type]
                tuple(suggestions), fuzzy.lang, scores,
            )  # fmt: skip

        if top_label.startswith(SMALL_TALK_PREFIX) and probs[top_label] >= f.small_talk_threshold:
            return result("smalltalk", top_label.removeprefix(SMALL_TALK_PREFIX))
        strong_fuzzy = fuzzy_scores.get(best_id, 0.0) >= f.fuzzy_override
        if (
            probs.get(OUT_OF_SCOPE, 0.0) >= f.out_of_scope_threshold
            and top_label == OUT_OF_SCOPE
            and not strong_fuzzy
        ):
            return result("fallback", best_id)
        if best >= f.answer_threshold and (best - second >= f.margin or strong_fuzzy):
            return result("answer", best_id)
        if best >= f.suggest_threshold:
            close = [e for e, s in ranked if s >= best - f.suggest_window][: f.max_suggestions]
            if len(close) < 2:
                close = [e for e, _ in ranked[:2]]
            return result("suggest", best_id, close)
        return result("fallback", best_id)
