"""Message catalogs: every user-facing sentence, by key, in Korean (first) and English.

`Catalog.text(lang, "register.ask_password", name=...)` looks a sentence up; values are HTML-escaped.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from importlib import resources
from typing import Any

import yaml

LANGUAGES = ("ko", "en")


class Html(str):
    """A value that is already safe Telegram HTML (not escaped again)."""

    __slots__ = ()


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    elif isinstance(node, str):
        out[prefix] = node
    else:
        raise ValueError(f"catalog entry {prefix!r} must be text, found {type(node).__name__}")


def load_catalog_file(lang: str) -> dict[str, str]:
    raw = (resources.files("bot.texts") / f"{lang}.yaml").read_text(encoding="utf-8")
    flat: dict[str, str] = {}
    _flatten("", yaml.safe_load(raw), flat)
    return flat


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Catalog:
    """Both languages' texts; unknown languages fall back to the default."""

    def __init__(self, default_language: str = "ko") -> None:
        self.default_language = default_language
        self.texts = {lang: load_catalog_file(lang) for lang in LANGUAGES}

    def lang(self, lang: str | None) -> str:
        return lang if lang in self.texts else self.default_language

    def text(self, lang: str | None, key: str, **values: object) -> str:
        template = self.texts[self.lang(lang)][key]
        if not values:
            return template
        safe = {
            name: value if isinstance(value, Html) else html.escape(str(value), quote=False)
            for name, value in values.items()
        }
        return template.format_map(safe)
