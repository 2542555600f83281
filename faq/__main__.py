"""Command line for the FAQ core: `python -m faq ask|check|match --json|eval FILE`.

Operators use `check` after editing knowledge.yaml; `ask` and `eval` show why the matcher
decides what it does. No Telegram here: the same code the bot calls, driven from a shell.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from faq.answerer import Answerer
from faq.build import BuildInputs, build_answerer
from faq.evaluation import (
    EvalSetError,
    check_knowledge_base,
    evaluate,
    load_eval_set,
    model_confusions,
)
from faq.kb import DEFAULT_PATH, LANGUAGES, KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from faq.matcher import Matcher
from faq.training import TRAINING_DIR, TrainingError, load_corpus

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m faq", description=__doc__)
    parser.add_argument("--kb", help="knowledge base YAML (default: the packaged one)")
    parser.add_argument("--training", help="training corpus folder (default: faq/training)")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer one question and show the scores")
    ask.add_argument("question")
    ask.add_argument("--lang", choices=LANGUAGES, help="chat language hint")
    check = sub.add_parser("check", help="validate the knowledge base and the training corpus")
    check.add_argument(
        "--no-model", action="store_true", help="skip the cross-validated model confusion report"
    )
    match = sub.add_parser("match", help="match one query per stdin line")
    match.add_argument("--json", action="store_true", help="print one JSON object per line")
    evaluation = sub.add_parser("eval", help="measure accuracy on a labelled YAML file")
    evaluation.add_argument("file")
    evaluation.add_argument("--misses", action="store_true", help="list every miss")
    return parser


def _ask(matcher: Answerer, kb: KnowledgeBase, question: str, lang: str | None, out: TextIO) -> int:
    result = matcher.match(question, lang, exhaustive=True)  # the CLI shows every score
    out.write(f"decision: {result.decision}  (lang {result.lang}, score {result.score:.1f})\n")
    for entry_id, score in result.scores:
        out.write(f"  {score:5.1f}  {entry_id}\n")
    if result.decision == "smalltalk":
        out.write(f"\nsmall talk: {result.entry_id} (the bot greets back and shows the menu)\n")
    elif result.decision == "answer" and result.entry_id:
        entry = kb.get(result.entry_id)
        if entry is not None:
            out.write(f"\n[{entry.id}] {entry.title[result.lang]}\n{entry.answer[result.lang]}\n")
    elif result.decision == "suggest":
        out.write("\ndid you mean:\n")
        for entry_id in result.suggestions:
            entry = kb.get(entry_id)
            out.write(f"  - {entry.title[result.lang] if entry else entry_id} ({entry_id})\n")
    else:
        out.write("\nfallback: not in the FAQ (the bot lists what it can do and the centre)\n")
    return 0


def _check(kb: KnowledgeBase, training: Path, model: bool, out: TextIO) -> int:
    matcher = Matcher(kb)
    problems = check_knowledge_base(kb, matcher)
    examples = load_corpus(kb, training)
    authors = len({e.author for e in examples})
    out.write(f"training corpus: {len(examples)} examples by {authors} authors\n")
    if model:
        for expected, got, share, count in model_confusions(kb, examples):
            out.write(
                f"model confuses {expected!r} with {got!r}: {count} phrasing(s), {share:.0%} of "
                f"the entry's (cross-validated; add distinguishing phrasings)\n"
            )
    phrasings = sum(len(e.questions[lang]) for e in kb.entries for lang in LANGUAGES)
    for p in problems:
        out.write(
            f"{kb.path}: entry {p.entry_id!r} ({p.lang}) phrasing {p.question!r} is answered by "
            f"{p.matched!r} ({p.score:.1f})\n"
        )
    status = "FAILED" if problems else "ok"
    out.write(
        f"{status}: {len(kb.entries)} entries, {len(kb.topics)} topics, {phrasings} phrasings, "
        f"{len(problems)} phrasing(s) matching another entry better\n"
    )
    return 1 if problems else 0


def _match(matcher: Answerer, source: TextIO, out: TextIO, as_json: bool) -> int:
    for line in source:
        query = line.rstrip("\r\n")
        if not query.strip():
            continue
        r = matcher.match(query, exhaustive=True)
        if as_json:
            record = {
                "query": r.query,
                "decision": r.decision,
                "id": r.entry_id,
                "score": r.score,
                "suggestions": list(r.suggestions),
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            out.write(f"{r.decision:8} {r.score:5.1f} {r.entry_id or '-':32} {query}\n")
        out.flush()  # a caller may pipe queries one at a time and wait for each reply
    return 0


def _eval(matcher: Answerer, path: str, out: TextIO, show_misses: bool) -> int:
    report = evaluate(matcher, load_eval_set(path))
    out.write(f"{path}: {report.total} questions, {report.out_of_scope} out of scope\n")
    for lang in (*LANGUAGES, "all"):
        out.write(
            f"top-1 accuracy {lang:3}: {report.accuracy[lang]:6.1%}  (n={report.counts[lang]})\n"
        )
    out.write(f"suggest rate (in scope):   {report.suggest_rate:6.1%}\n")
    out.write(f"fallback rate (in scope):  {report.in_scope_fallback_rate:6.1%}\n")
    out.write(f"fallback precision:        {report.fallback_precision:6.1%}\n")
    out.write(f"fallback recall (OOS):     {report.fallback_recall:6.1%}\n")
    out.write(f"helpful (all, in scope):   {report.helpful['all']:6.1%}\n")
    if report.confused:
        out.write("most confused (expected -> got):\n")
        for expected, got, count in report.confused[:10]:
            out.write(f"  {count:3}  {expected} -> {got}\n")
    if show_misses:
        out.write("misses:\n")
        for case, r in report.misses:
            out.write(
                f"  {case.q!r}: expected {case.id}, got {r.decision} {r.entry_id} "
                f"{r.score:.1f} {r.scores[:3]}\n"
            )
    return 0


def _cache_dir() -> Path:
    """Where the fitted model is kept between runs: FAQ_CACHE_DIR as the bot uses it, else
    the user's cache folder (a first run fits the model, later runs load it)."""
    configured = os.environ.get("FAQ_CACHE_DIR", "").strip()
    return Path(configured) if configured else Path.home() / ".cache" / "kcert-bot" / "faq"


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None) -> int:
    args = _parser().parse_args(argv)
    out = sys.stdout
    training = Path(args.training) if args.training else TRAINING_DIR
    try:
        kb = load_knowledge_base(args.kb)
        if args.command == "check":
            return _check(kb, training, not args.no_model, out)
        inputs = BuildInputs(
            kb_path=Path(args.kb) if args.kb else DEFAULT_PATH,
            training_dir=training,
            cache_dir=_cache_dir(),
        )
        matcher = build_answerer(inputs, kb)
    except (KnowledgeBaseError, TrainingError) as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    if args.command == "ask":
        return _ask(matcher, kb, args.question, args.lang, out)
    if args.command == "match":
        return _match(matcher, stdin or sys.stdin, out, args.json)
    try:
        return _eval(matcher, args.file, out, args.misses)
    except EvalSetError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
