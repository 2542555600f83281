"""Measure the FAQ on a labelled question set (a YAML list of {q, id or null, lang, style}).

Used by `python -m faq eval` and bench/faq.py. Strict top-1 counts only an answer with the right
entry; "helpful" also counts the right entry among the suggestions. `leave_one_author_out`
trains on every training author but one and evaluates on the one left out.
`check_knowledge_base` is the `check` command's core.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import yaml

from faq.kb import LANGUAGES, KnowledgeBase
from faq.matcher import Matcher, MatchResult
from faq.training import OUT_OF_SCOPE, Example

SMALL_TALK_ID = "smalltalk:"


class _Matches(Protocol):
    def match(self, query: str, lang: str | None = None) -> MatchResult: ...

__all__ = [
    "EvalCase",
    "EvalReport",
    "EvalSetError",
    "KbProblem",
    "check_knowledge_base",
    "evaluate",
    "leave_one_author_out",
    "load_eval_set",
]


class EvalSetError(ValueError):
    """The evaluation file is not a list of {q, id, lang}."""


@dataclass(frozen=True)
class EvalCase:
    q: str
    id: str | None  # None: out of scope; "smalltalk:<kind>": small talk
    lang: str
    style: str = "-"
    author: str = "-"

    @property
    def small_talk(self) -> str | None:
        return self.id.removeprefix(SMALL_TALK_ID) if self.id and self.id.startswith(SMALL_TALK_ID) else None

    @property
    def in_scope(self) -> bool:
        return self.id is not None and self.small_talk is None


@dataclass(frozen=True)
class EvalReport:
    total: int
    accuracy: dict[str, float]  # top-1 on in-scope questions, per language and "all"
    counts: dict[str, int]  # in-scope questions per language and "all"
    suggest_rate: float  # in-scope questions answered with suggestions
    in_scope_fallback_rate: float
    fallback_precision: float
    fallback_recall: float  # share of out-of-scope questions that fall back
    out_of_scope: int
    confused: tuple[tuple[str, str, int], ...]  # (expected, got, count), most frequent first
    misses: tuple[tuple[EvalCase, MatchResult], ...]
    helpful: dict[str, float] = field(default_factory=dict)  # answer or suggestion, per language
    by_style: dict[str, tuple[int, int]] = field(default_factory=dict)  # style -> (right, total)
    small_talk: tuple[int, int] = (0, 0)  # (right, total)


def load_eval_set(path: str | Path) -> list[EvalCase]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise EvalSetError(f"{path}: {error}") from error
    if not isinstance(data, list):
        raise EvalSetError(f"{path}: expected a list of {{q, id, lang}}")
    cases: list[EvalCase] = []
    for number, item in enumerate(data, 1):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise EvalSetError(f"{path}: item {number} needs a text 'q'")
        entry_id = item.get("id")
        lang = item.get("lang", "ko")
        if entry_id is not None and not isinstance(entry_id, str):
            raise EvalSetError(f"{path}: item {number}: 'id' must be text or null")
        if lang not in LANGUAGES:
            raise EvalSetError(f"{path}: item {number}: 'lang' must be one of {LANGUAGES}")
        style = str(item.get("style") or "-")
        cases.append(EvalCase(item["q"], entry_id, lang, style, Path(path).stem))
    return cases


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def right(case: EvalCase, result: MatchResult) -> bool:
    """Strict: the right answer, small-talk reply, or (out of scope) the fallback."""
    if case.id is None:
        return result.decision == "fallback"
    if case.small_talk is not None:
        return result.decision == "smalltalk" and result.entry_id == case.small_talk
    return result.decision == "answer" and result.entry_id == case.id


def helpful(case: EvalCase, result: MatchResult) -> bool:
    """The right answer, or the right entry among the "did you mean" buttons."""
    return right(case, result) or (
        case.in_scope and result.decision == "suggest" and case.id in result.suggestions
    )


def evaluate(matcher: _Matches, cases: Sequence[EvalCase]) -> EvalReport:
    return report([(case, matcher.match(case.q, case.lang)) for case in cases])


def report(results: Sequence[tuple[EvalCase, MatchResult]]) -> EvalReport:
    in_scope = [(c, r) for c, r in results if c.in_scope]
    out_scope = [(c, r) for c, r in results if c.id is None]
    talk = [(c, r) for c, r in results if c.small_talk is not None]
    accuracy: dict[str, float] = {}
    useful: dict[str, float] = {}
    counts: dict[str, int] = {}
    for lang in (*LANGUAGES, "all"):
        group = [(c, r) for c, r in in_scope if lang in ("all", c.lang)]
        counts[lang] = len(group)
        accuracy[lang] = _ratio(sum(1 for c, r in group if right(c, r)), len(group))
        useful[lang] = _ratio(sum(1 for c, r in group if helpful(c, r)), len(group))
    by_style: dict[str, tuple[int, int]] = {}
    for c, r in results:
        key = f"{c.lang}/{c.style}"
        ok, total = by_style.get(key, (0, 0))
        by_style[key] = (ok + right(c, r), total + 1)
    fell_back = [(c, r) for c, r in results if r.decision == "fallback"]
    confused = Counter(
        (c.id, r.entry_id if r.decision != "fallback" else "(fallback)")
        for c, r in in_scope
        if not right(c, r) and not (r.decision == "suggest" and r.entry_id == c.id)
    )
    misses = tuple((c, r) for c, r in results if not right(c, r))
    return EvalReport(
        total=len(results),
        accuracy=accuracy,
        counts=counts,
        suggest_rate=_ratio(sum(1 for _, r in in_scope if r.decision == "suggest"), len(in_scope)),
        in_scope_fallback_rate=_ratio(
            sum(1 for _, r in in_scope if r.decision == "fallback"), len(in_scope)
        ),
        fallback_precision=_ratio(sum(1 for c, _ in fell_back if c.id is None), len(fell_back)),
        fallback_recall=_ratio(
            sum(1 for _, r in out_scope if r.decision == "fallback"), len(out_scope)
        ),
        out_of_scope=len(out_scope),
        confused=tuple((str(a), b or "-", n) for (a, b), n in confused.most_common()),
        misses=misses,
        helpful=useful,
        by_style=by_style,
        small_talk=(sum(1 for c, r in talk if right(c, r)), len(talk)),
    )


def example_case(example: Example) -> EvalCase:
    label = None if example.label == OUT_OF_SCOPE else example.label
    return EvalCase(example.text, label, example.lang, "-", example.author)


def leave_one_author_out(
    build: Callable[[Sequence[Example]], _Matches],
    examples: Sequence[Example],
    *,
    keep: Sequence[str] = ("knowledge-base",),
) -> list[tuple[EvalCase, MatchResult]]:
    """Train on all authors but one, evaluate on that one; every author in turn.

    Authors in `keep` (the knowledge base itself) are always trained on, never evaluated.
    """
    authors = sorted({e.author for e in examples} - set(keep))
    results: list[tuple[EvalCase, MatchResult]] = []
    for author in authors:
        model = build([e for e in examples if e.author != author])
        for e in examples:
            if e.author == author:
                case = example_case(e)
                results.append((case, model.match(case.q, case.lang)))
    return results


@dataclass(frozen=True)
class KbProblem:
    entry_id: str
    lang: str
    question: str
    matched: str  # the other entry that answers this phrasing
    score: float


def check_knowledge_base(kb: KnowledgeBase, matcher: Matcher | None = None) -> list[KbProblem]:
    """Find phrasings that, left out of their own entry, would be answered by another entry.

    Leaving the phrasing out matters: with it in, it always matches itself at 100.
    """
    matcher = matcher or Matcher(kb)
    problems: list[KbProblem] = []
    for lang in LANGUAGES:
        for entry_index, entry in enumerate(kb.entries):
            for number, question in enumerate(entry.questions[lang]):
                result = matcher.match_excluding(question, lang, entry_index, number)
                if result.decision == "answer" and result.entry_id != entry.id:
                    problems.append(
                        KbProblem(entry.id, lang, question, result.entry_id or "-", result.score)
                    )
    return problems


def model_confusions(
    kb: KnowledgeBase, examples: Sequence[Example], *, folds: int = 3, min_share: float = 0.1
) -> list[tuple[str, str, float, int]]:
    """Entries whose phrasings the intent model, not trained on them, gives to another entry.

    k-fold over every phrasing (round-robin, deterministic); returns (expected, got, share of
    the entry's phrasings, count) for pairs at or above `min_share`, worst first.
    """
    from faq.intent import IntentModel  # scikit-learn is only needed here and by the bot

    english = Matcher(kb).english_words
    wrong: Counter[tuple[str, str]] = Counter()
    totals: Counter[str] = Counter(e.label for e in examples)
    for fold in range(folds):
        model = IntentModel([e for i, e in enumerate(examples) if i % folds != fold], english_words=english)
        for i, e in enumerate(examples):
            if i % folds == fold:
                probs = model.probabilities(e.text)
                got = max(probs, key=probs.__getitem__)
                if got != e.label:
                    wrong[(e.label, got)] += 1
    pairs = [
        (a, b, n / totals[a], n) for (a, b), n in wrong.items() if n / totals[a] >= min_share
    ]
    return sorted(pairs, key=lambda p: -p[2])
