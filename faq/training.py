"""The training corpus of the intent model: `faq/training/*.yaml`, one file per author.

Each file holds phrasings per knowledge-base entry and language, small talk per kind, and
out-of-scope questions (mostly near misses from neighbouring banking topics). Authors never saw
an evaluation set; `bench/faq.py` holds each author out in turn (leave-one-author-out).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from faq.kb import LANGUAGES, KnowledgeBase

__all__ = [
    "OUT_OF_SCOPE",
    "SMALL_TALK",
    "TRAINING_DIR",
    "Example",
    "TrainingError",
    "kb_examples",
    "load_corpus",
    "small_talk_label",
]

TRAINING_DIR = Path(__file__).resolve().parent / "training"
OUT_OF_SCOPE = "__out_of_scope__"
# Small talk the bot answers with a friendly line and the menu, never with the fallback.
SMALL_TALK = ("greeting", "thanks", "goodbye", "are-you-human", "who-are-you")
KB_AUTHOR = "knowledge-base"


def small_talk_label(kind: str) -> str:
    return f"smalltalk:{kind}"


@dataclass(frozen=True)
class Example:
    """One labelled phrasing: an entry id, `smalltalk:<kind>` or OUT_OF_SCOPE."""

    text: str
    label: str
    lang: str
    author: str


class TrainingError(ValueError):
    """A training file that does not have the documented shape (file and reason in the text)."""


def _strings(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TrainingError(f"{where}: expected a list of texts")
    return [v.strip() for v in value if v.strip()]


def _by_language(value: object, where: str) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TrainingError(f"{where}: expected {{ko: [...], en: [...]}}")
    unknown = set(value) - set(LANGUAGES)
    if unknown:
        raise TrainingError(f"{where}: unknown language(s) {sorted(unknown)}")
    return {lang: _strings(texts, f"{where}.{lang}") for lang, texts in value.items()}


def load_file(path: Path, entry_ids: Iterable[str]) -> list[Example]:
    """Read one author's file; labels must be entry ids of the knowledge base."""
    known = set(entry_ids)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise TrainingError(f"{path}: {error}") from error
    if not isinstance(data, dict):
        raise TrainingError(f"{path}: expected a mapping with 'author' and 'entries'")
    author = data.get("author") or path.stem
    if not isinstance(author, str):
        raise TrainingError(f"{path}: 'author' must be text")
    examples: list[Example] = []

    def add(texts: dict[str, list[str]], label: str) -> None:
        for lang, items in texts.items():
            examples.extend(Example(t, label, lang, author) for t in items)

    entries = data.get("entries") or {}
    if not isinstance(entries, dict):
        raise TrainingError(f"{path}: 'entries' must map entry ids to phrasings")
    for entry_id, texts in entries.items():
        if entry_id not in known:
            raise TrainingError(f"{path}: entries.{entry_id}: no such entry in the knowledge base")
        add(_by_language(texts, f"{path}: entries.{entry_id}"), str(entry_id))
    talk = data.get("smalltalk") or {}
    if not isinstance(talk, dict):
        raise TrainingError(f"{path}: 'smalltalk' must map kinds to phrasings")
    for kind, texts in talk.items():
        if kind not in SMALL_TALK:
            raise TrainingError(f"{path}: smalltalk.{kind}: kinds are {', '.join(SMALL_TALK)}")
        add(_by_language(texts, f"{path}: smalltalk.{kind}"), small_talk_label(kind))
    add(_by_language(data.get("out_of_scope"), f"{path}: out_of_scope"), OUT_OF_SCOPE)
    return examples


def kb_examples(kb: KnowledgeBase) -> list[Example]:
    """The knowledge base's own phrasings, keywords and titles, as one more author."""
    examples: list[Example] = []
    for entry in kb.entries:
        for lang in LANGUAGES:
            texts = (*entry.questions.get(lang, ()), entry.title.get(lang, ""))
            examples.extend(Example(t, entry.id, lang, KB_AUTHOR) for t in texts if t)
    return examples


def load_corpus(
    kb: KnowledgeBase, directory: Path | None = None, *, files: Sequence[Path] | None = None
) -> list[Example]:
    """Every author's examples plus the knowledge base's own (author "knowledge-base")."""
    paths = list(files) if files is not None else sorted((directory or TRAINING_DIR).glob("*.yaml"))
    ids = [e.id for e in kb.entries]
    examples = kb_examples(kb)
    for path in paths:
        examples.extend(load_file(path, ids))
    return examples
