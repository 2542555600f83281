"""Measure the matcher on a labelled question set (a YAML list of {q, id or null, lang}).

Used by `python -m faq eval` and bench/faq.py; `check_knowledge_base` is the `check` command's
core: leave-one-out, every phrasing must not be answered confidently by another entry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from faq.kb import LANGUAGES, KnowledgeBase
from faq.matcher import Matcher, MatchResult

__all__ = [
    "EvalCase",
    "EvalReport",
    "EvalSetError",
    "KbProblem",
    "check_knowledge_base",
    "evaluate",
    "load_eval_set",
]


class EvalSetError(ValueError):
    """The evaluation file is not a list of {q, id, lang}."""


@dataclass(frozen=True)
class EvalCase:
    q: str
    id: str | None  # None: out of scope, the bot should fall back
    lang: str


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
        cases.append(EvalCase(item["q"], entry_id, lang))
    return cases


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def evaluate(matcher: Matcher, cases: Sequence[EvalCase]) -> EvalReport:
    results = [(case, matcher.match(case.q, case.lang)) for case in cases]
    in_scope = [(c, r) for c, r in results if c.id is not None]
    out_scope = [(c, r) for c, r in results if c.id is None]
    accuracy: dict[str, float] = {}
    counts: dict[str, int] = {}
    for lang in (*LANGUAGES, "all"):
        group = [(c, r) for c, r in in_scope if lang in ("all", c.lang)]
        counts[lang] = len(group)
        accuracy[lang] = _ratio(sum(1 for c, r in group if r.entry_id == c.id), len(group))
    fell_back = [(c, r) for c, r in results if r.decision == "fallback"]
    confused = Counter(
        (c.id, r.entry_id or "-") for c, r in in_scope if r.entry_id != c.id and c.id
    )
    misses = tuple(
        (c, r)
        for c, r in results
        if (c.id is None) != (r.decision == "fallback") or (c.id and r.entry_id != c.id)
    )
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
        confused=tuple((a, b, n) for (a, b), n in confused.most_common()),
        misses=misses,
    )


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
