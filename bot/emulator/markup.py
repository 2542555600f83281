"""Telegram's HTML parse mode, as the emulator needs it.

`parse_html` is strict like the Bot API (same tags, same error texts, entities with UTF-16
offsets); `html_to_text` is lenient and turns a bot message into readable terminal text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

# Start tags Telegram accepts in parse_mode=HTML, and the entity type each one produces.
_TAG_ENTITY: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

# Only these named entities are supported by the Bot API; numeric ones always are.
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,8}));")


class EntityParseError(ValueError):
    """Malformed HTML; str(error) is the part after "Bad Request: can't parse entities: "."""


@dataclass(frozen=True)
class ParsedText:
    """Text as Telegram stores it: markup removed, formatting moved to entities."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    # Telegram reports byte offsets in the UTF-8 text; only computed on the error path.
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, index: int) -> tuple[str, int] | None:
    match = _ENTITY_RE.match(source, index)
    if match is None:
        return None
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        char = _NAMED_ENTITIES.get(name)
        if char is None:
            return None  # unknown named entity: Telegram keeps the '&' literally
        return char, match.end()
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _parse_attributes(source: str, index: int, tag_offset: int) -> tuple[dict[str, str], int]:
    """Read attributes up to and including '>'; returns them and the index after '>'."""
    attrs: dict[str, str] = {}
    n = len(source)
    while True:
        while index < n and source[index].isspace():
            index += 1
        if index >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {tag_offset}")
        if source[index] == ">":
            return attrs, index + 1
        if source.startswith("/>", index):
            return attrs, index + 2
        start = index
        while index < n and not source[index].isspace() and source[index] not in "=>":
            index += 1
        name = source[start:index].lower()
        while index < n and source[index].isspace():
            index += 1
        value = ""
        if index < n and source[index] == "=":
            index += 1
            while index < n and source[index].isspace():
                index += 1
            if index < n and source[index] in "\"'":
                quote = source[index]
                end = source.find(quote, index + 1)
                if end < 0:
                    raise EntityParseError(f"Unclosed start tag at byte offset {tag_offset}")
                value, index = source[index + 1 : end], end + 1
            else:
                start = index
                while index < n and not source[index].isspace() and source[index] != ">":
                    index += 1
                value = source[start:index]
        attrs[name] = _unescape_attribute(value)


def _unescape_attribute(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        decoded = _decode_entity(match.group(0), 0)
        return decoded[0] if decoded else match.group(0)

    return _ENTITY_RE.sub(replace, value)


@dataclass
class _OpenTag:
    name: str
    entity: str | None  # None: the tag contributes no entity (e.g. <a> without href)
    start: int  # UTF-16 offset in the output text
    attrs: dict[str, str]
    order: int  # opening order: an outer entity is listed before an inner one of equal span


def parse_html(source: str) -> ParsedText:
    """Parse Telegram HTML into text + entities, raising EntityParseError like the Bot API."""
    out: list[str] = []
    out_len = 0  # UTF-16 length of "".join(out), kept incrementally for O(n)
    stack: list[_OpenTag] = []
    entities: list[tuple[int, dict[str, Any]]] = []
    opened = 0
    i, n = 0, len(source)

    def emit(chunk: str) -> None:
        nonlocal out_len
        out.append(chunk)
        out_len += utf16_len(chunk)

    while i < n:
        char = source[i]
        if char == "&":
            decoded = _decode_entity(source, i)
            if decoded is None:
                emit("&")
                i += 1
            else:
                emit(decoded[0])
                i = decoded[1]
            continue
        if char != "<":
            # Copy the run of plain characters up to the next markup character at once.
            nxt = min((p for p in (source.find("<", i), source.find("&", i)) if p >= 0), default=n)
            emit(source[i:nxt])
            i = nxt
            continue
        offset = _byte_offset(source, i)
        if source.startswith("</", i):
            end = source.find(">", i)
            if end < 0:
                raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
            name = source[i + 2 : end].strip().lower()
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
            top = stack.pop()
            if name != top.name:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{top.name}>", '
                    f'found "</{name}>"'
                )
            _close(top, out_len, entities)
            i = end + 1
            continue
        j = i + 1
        while j < n and not source[j].isspace() and source[j] not in ">/":
            j += 1
        name = source[i + 1 : j].lower()
        if name not in _TAG_ENTITY:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
        attrs, i = _parse_attributes(source, j, offset)
        entity: str | None = _TAG_ENTITY[name]
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
            )
        if name == "a" and not attrs.get("href"):
            entity = None
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise EntityParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
            )
        if name == "code" and stack and stack[-1].name == "pre" and "class" in attrs:
            # <pre><code class="language-x"> is one pre entity with a language.
            language = attrs["class"].removeprefix("language-")
            stack[-1].attrs.setdefault("language", language)
            entity = None
        stack.append(_OpenTag(name, entity, out_len, attrs, opened))
        opened += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda item: (item[1]["offset"], -item[1]["length"], item[0]))
    return ParsedText("".join(out), [entity for _, entity in entities])


def _close(tag: _OpenTag, end: int, entities: list[tuple[int, dict[str, Any]]]) -> None:
    if tag.entity is None or end == tag.start:
        return  # Telegram drops empty entities
    entity: dict[str, Any] = {"type": tag.entity, "offset": tag.start, "length": end - tag.start}
    if tag.entity == "text_link":
        entity["url"] = tag.attrs["href"]
    elif tag.entity == "pre" and tag.attrs.get("language"):
        entity["language"] = tag.attrs["language"]
    elif tag.entity == "custom_emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    elif tag.entity == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    entities.append((tag.order, entity))


class _TextRenderer(HTMLParser):
    """Lenient HTML → plain text: keeps the words, shows links' targets, breaks lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._links: list[tuple[str, int]] = []  # (href, index in parts where its text starts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "a":
            self._links.append((dict(attrs).get("href") or "", len(self.parts)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._links:
            href, start = self._links.pop()
            label = "".join(self.parts[start:])
            if href and href != label.strip():
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable plain text of a Telegram HTML message; links become "text (url)"."""
    renderer = _TextRenderer()
    renderer.feed(html)
    renderer.close()
    return "".join(renderer.parts)
