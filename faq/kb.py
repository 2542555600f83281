"""The FAQ knowledge base: loads faq/knowledge.yaml into frozen dataclasses and validates it.

Operators edit the YAML by hand, so every mistake is reported as `KnowledgeBaseError` naming
the file and line. The loader walks PyYAML's node tree (not plain dicts) to keep those lines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "ACTIONS",
    "DEFAULT_PATH",
    "LANGUAGES",
    "Entry",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Topic",
    "load_knowledge_base",
]

DEFAULT_PATH = Path(__file__).parent / "knowledge.yaml"
LANGUAGES: tuple[str, ...] = ("ko", "en")
ACTIONS: frozenset[str] = frozenset({"register", "revoke", "certs", "contact"})
MAX_TITLE_LENGTH = 30  # a Telegram inline button shows about this much on a phone

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Telegram's HTML parse mode accepts only these tags; anything else makes sendMessage fail.
_ALLOWED_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code",
                           "pre", "a", "tg-spoiler", "blockquote"})  # fmt: skip
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z-]+)[^>]*>")
_BARE_LT = re.compile(r"<(?!\s*/?\s*[a-zA-Z-]+[^>]*>)")


class KnowledgeBaseError(ValueError):
    """The knowledge base file is missing, not YAML, or breaks a rule; `str()` says where."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type[KnowledgeBaseError], tuple[str, int | None, str]]:
        # Rebuilt from its fields when it crosses a process boundary (the FAQ rebuild worker).
        return (type(self), (self.path, self.line, self.message))


@dataclass(frozen=True)
class Topic:
    """A group of entries for the /faq browse menu."""

    id: str
    title: Mapping[str, str]


@dataclass(frozen=True)
class Entry:
    """One question the bot can answer, in every supported language."""

    id: str
    topic: str
    title: Mapping[str, str]
    questions: Mapping[str, tuple[str, ...]]
    keywords: Mapping[str, tuple[str, ...]]
    answer: Mapping[str, str]
    related: tuple[str, ...] = ()
    action: str | None = None
    line: int = 0  # where the entry starts in the YAML, for `check` reports


@dataclass(frozen=True)
class KnowledgeBase:
    """All entries and topics, in file order, with lookups by id and by topic."""

    entries: tuple[Entry, ...]
    topics: tuple[Topic, ...]
    path: str = ""
    _by_id: Mapping[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A frozen dataclass can still set a derived field once, through object.__setattr__.
        object.__setattr__(self, "_by_id", MappingProxyType({e.id: e for e in self.entries}))

    def get(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    def by_topic(self, topic_id: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.topic == topic_id)


# --- loading ---------------------------------------------------------------------------------


class _Reader:
    """Typed accessors over YAML nodes that raise KnowledgeBaseError with the node's line."""

    def __init__(self, path: str | Path) -> None:
        self.path = path

    def fail(self, node: Node | None, message: str) -> KnowledgeBaseError:
        line = node.start_mark.line + 1 if node is not None else None
        return KnowledgeBaseError(self.path, line, message)

    def mapping(self, node: Node, what: str) -> dict[str, tuple[Node, Node]]:
        if not isinstance(node, MappingNode):
            raise self.fail(node, f"{what} must be a mapping")
        result: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = self.string(key_node, f"a key in {what}")
            if key in result:
                raise self.fail(key_node, f"duplicate key {key!r} in {what}")
            result[key] = (key_node, value_node)
        return result

    def sequence(self, node: Node, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            raise self.fail(node, f"{what} must be a list")
        return list(node.value)

    def string(self, node: Node, what: str) -> str:
        if not isinstance(node, ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            raise self.fail(node, f"{what} must be text")
        value = str(node.value).strip()
        if not value:
            raise self.fail(node, f"{what} must not be empty")
        return value

    def strings(self, node: Node, what: str) -> tuple[str, ...]:
        return tuple(self.string(item, f"an item of {what}") for item in self.sequence(node, what))

    def require(
        self, fields: dict[str, tuple[Node, Node]], key: str, parent: Node, what: str
    ) -> Node:
        if key not in fields:
            raise self.fail(parent, f"{what} is missing {key!r}")
        return fields[key][1]

    def check_keys(
        self, fields: dict[str, tuple[Node, Node]], allowed: set[str], what: str
    ) -> None:
        for key, (key_node, _) in fields.items():
            if key not in allowed:
                raise self.fail(key_node, f"unknown key {key!r} in {what}")

    def languages(self, node: Node, what: str) -> dict[str, str]:
        fields = self.mapping(node, what)
        self.check_keys(fields, set(LANGUAGES), what)
        for lang in LANGUAGES:
            if lang not in fields:
                raise self.fail(node, f"{what} is missing language {lang!r}")
        return {lang: self.string(fields[lang][1], f"{what}.{lang}") for lang in LANGUAGES}


def _check_html(reader: _Reader, node: Node, text: str, what: str) -> None:
    if _BARE_LT.search(text):
        raise reader.fail(node, f"{what} has a bare '<'; write &lt; for Telegram HTML")
    open_tags: list[str] = []
    for closing, name in _TAG.findall(text):
        name = name.lower()
        if name not in _ALLOWED_TAGS:
            raise reader.fail(node, f"{what} uses <{name}>, which Telegram HTML does not allow")
        if not closing:
            open_tags.append(name)
        elif not open_tags or open_tags.pop() != name:
            raise reader.fail(node, f"{what} closes </{name}> without a matching open tag")
    if open_tags:
        raise reader.fail(node, f"{what} leaves <{open_tags[-1]}> open")


def _read_entry(reader: _Reader, node: Node, index: int) -> tuple[Entry, dict[str, Node]]:
    where = f"entries[{index}]"
    fields = reader.mapping(node, where)
    reader.check_keys(fields, {"id", "topic", "title", "related", "action", *LANGUAGES}, where)
    entry_id = reader.string(reader.require(fields, "id", node, where), f"{where}.id")
    if not _ID.match(entry_id):
        raise reader.fail(fields["id"][1], f"id {entry_id!r} must be lower-case-with-dashes")
    where = f"entry {entry_id!r}"
    topic = reader.string(reader.require(fields, "topic", node, where), f"{where}.topic")
    title = reader.languages(reader.require(fields, "title", node, where), f"{where}.title")
    for lang, label in title.items():
        if len(label) > MAX_TITLE_LENGTH:
            raise reader.fail(
                fields["title"][1], f"{where}.title.{lang} is longer than {MAX_TITLE_LENGTH}"
            )
    questions: dict[str, tuple[str, ...]] = {}
    keywords: dict[str, tuple[str, ...]] = {}
    answers: dict[str, str] = {}
    for lang in LANGUAGES:
        if lang not in fields:
            raise reader.fail(node, f"{where} is missing language {lang!r}")
        lang_node = fields[lang][1]
        lang_fields = reader.mapping(lang_node, f"{where}.{lang}")
        reader.check_keys(lang_fields, {"questions", "keywords", "answer"}, f"{where}.{lang}")
        q_node = reader.require(lang_fields, "questions", lang_node, f"{where}.{lang}")
        questions[lang] = reader.strings(q_node, f"{where}.{lang}.questions")
        if not questions[lang]:
            raise reader.fail(q_node, f"{where}.{lang}.questions is empty")
        kw = lang_fields.get("keywords")
        keywords[lang] = reader.strings(kw[1], f"{where}.{lang}.keywords") if kw else ()
        a_node = reader.require(lang_fields, "answer", lang_node, f"{where}.{lang}")
        answers[lang] = reader.string(a_node, f"{where}.{lang}.answer")
        _check_html(reader, a_node, answers[lang], f"{where}.{lang}.answer")
    related: tuple[str, ...] = ()
    if "related" in fields:
        related = reader.strings(fields["related"][1], f"{where}.related")
    action: str | None = None
    if "action" in fields:
        action = reader.string(fields["action"][1], f"{where}.action")
        if action not in ACTIONS:
            raise reader.fail(
                fields["action"][1],
                f"{where}.action {action!r} is not one of {', '.join(sorted(ACTIONS))}",
            )
    entry = Entry(
        id=entry_id,
        topic=topic,
        title=MappingProxyType(title),
        questions=MappingProxyType(questions),
        keywords=MappingProxyType(keywords),
        answer=MappingProxyType(answers),
        related=related,
        action=action,
        line=node.start_mark.line + 1,
    )
    nodes = {key: value for key, (_, value) in fields.items()}
    nodes["_entry"] = node
    return entry, nodes


def _read(reader: _Reader, root: Node | None) -> KnowledgeBase:
    if root is None:
        raise reader.fail(None, "the file is empty")
    fields = reader.mapping(root, "the file")
    reader.check_keys(fields, {"version", "topics", "entries"}, "the file")
    version_node = reader.require(fields, "version", root, "the file")
    if not isinstance(version_node, ScalarNode) or version_node.value != "1":
        raise reader.fail(version_node, "version must be 1")

    topics: list[Topic] = []
    topic_ids: set[str] = set()
    for item in reader.sequence(reader.require(fields, "topics", root, "the file"), "topics"):
        t_fields = reader.mapping(item, "a topic")
        reader.check_keys(t_fields, {"id", *LANGUAGES}, "a topic")
        topic_id = reader.string(reader.require(t_fields, "id", item, "a topic"), "topic id")
        if topic_id in topic_ids:
            raise reader.fail(item, f"duplicate topic id {topic_id!r}")
        topic_ids.add(topic_id)
        title = {}
        for lang in LANGUAGES:
            if lang not in t_fields:
                raise reader.fail(item, f"topic {topic_id!r} is missing language {lang!r}")
            title[lang] = reader.string(t_fields[lang][1], f"topic {topic_id!r}.{lang}")
        topics.append(Topic(id=topic_id, title=MappingProxyType(title)))

    entries: list[Entry] = []
    entry_nodes: dict[str, dict[str, Node]] = {}
    entries_node = reader.require(fields, "entries", root, "the file")
    for index, item in enumerate(reader.sequence(entries_node, "entries")):
        entry, nodes = _read_entry(reader, item, index)
        if entry.id in entry_nodes:
            first = entry_nodes[entry.id]["_entry"].start_mark.line + 1
            raise reader.fail(nodes["id"], f"duplicate id {entry.id!r} (first at line {first})")
        if entry.topic not in topic_ids:
            raise reader.fail(nodes["topic"], f"entry {entry.id!r}: unknown topic {entry.topic!r}")
        entries.append(entry)
        entry_nodes[entry.id] = nodes
    if not entries:
        raise reader.fail(entries_node, "entries is empty")

    for entry in entries:
        for related in entry.related:
            if related not in entry_nodes:
                raise reader.fail(
                    entry_nodes[entry.id]["related"],
                    f"entry {entry.id!r}: related id {related!r} does not exist",
                )
            if related == entry.id:
                raise reader.fail(
                    entry_nodes[entry.id]["related"], f"entry {entry.id!r} lists itself as related"
                )
    return KnowledgeBase(entries=tuple(entries), topics=tuple(topics), path=str(reader.path))


def load_knowledge_base(path: str | Path | None = None) -> KnowledgeBase:
    """Load and validate the knowledge base (default: the packaged faq/knowledge.yaml)."""
    source = Path(path) if path is not None else DEFAULT_PATH
    reader = _Reader(source)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeBaseError(source, None, f"cannot read the file: {error}") from error
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        raise KnowledgeBaseError(source, line, f"not valid YAML: {error.problem}") from error
    except yaml.YAMLError as error:
        raise KnowledgeBaseError(source, None, f"not valid YAML: {error}") from error
    return _read(reader, root)
