"""Callback data: one small class per button kind, a short prefix plus typed fields.

In the spirit of aiogram 3's `CallbackData` factories: `RegisterPick(index=2).pack()` gives
"rg:pick:2", `RegisterPick.unpack(data)` gives the typed value back (or CallbackDataError),
`RegisterPick.pattern()` is the regex for its CallbackQueryHandler. The wire format is kept
stable: buttons already sent to users keep working across releases.

The client can forge any of it, so handlers re-check ownership and state in the store.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import typing
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, Literal, Self, TypeVar

from telegram import Update

MAX_BYTES = 64  # Telegram's limit for callback_data
SEPARATOR = ":"
_MAX_INT = 2**62


class CallbackDataError(ValueError):
    """Callback data that this bot did not make (or cannot have made)."""


class CallbackData:
    """Base of the button kinds: subclasses are frozen dataclasses with a `prefix`.

    Field types are `int` (non-negative), `str` (no separator, not empty) or a `Literal` of
    strings; nothing else can be packed.
    """

    prefix: ClassVar[str]

    @classmethod
    def _fields(cls) -> tuple[tuple[str, Any], ...]:
        return _fields_of(cls)  # resolving type hints costs more than packing: once per class

    def pack(self) -> str:
        parts = [self.prefix]
        for name, kind in self._fields():
            parts.append(_encode(name, kind, getattr(self, name)))
        data = SEPARATOR.join(parts)
        if _size(data) > MAX_BYTES:
            raise CallbackDataError(f"callback data over {MAX_BYTES} bytes: {data[:20]}…")
        return data

    @classmethod
    def unpack(cls, data: str | None) -> Self:
        if not data or _size(data) > MAX_BYTES:
            raise CallbackDataError("empty or too long")
        head = cls.prefix + SEPARATOR
        fields = cls._fields()
        if not fields:
            if data != cls.prefix:
                raise CallbackDataError("not this button")
            return cls()
        if not data.startswith(head):
            raise CallbackDataError("not this button")
        parts = data[len(head) :].split(SEPARATOR)
        if len(parts) != len(fields):
            raise CallbackDataError("wrong number of fields")
        values = {
            name: _decode(kind, part) for (name, kind), part in zip(fields, parts, strict=True)
        }
        return cls(**values)

    @classmethod
    def pattern(cls, **fixed: str | int) -> str:
        """A regex for CallbackQueryHandler: this prefix, with some fields fixed if given."""
        names = [name for name, _ in cls._fields()]
        unknown = set(fixed) - set(names)
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {sorted(unknown)}")
        kinds = dict(cls._fields())
        parts = [re.escape(cls.prefix)]
        parts += [re.escape(str(fixed[n])) if n in fixed else _field_regex(kinds[n]) for n in names]
        return "^" + re.escape(SEPARATOR).join(parts) + "$"


_FIELDS: dict[type[CallbackData], tuple[tuple[str, Any], ...]] = {}


def _fields_of(cls: type[CallbackData]) -> tuple[tuple[str, Any], ...]:
    fields = _FIELDS.get(cls)
    if fields is None:
        hints = typing.get_type_hints(cls)
        fields = tuple((f.name, hints[f.name]) for f in dataclasses.fields(typing.cast(Any, cls)))
        _FIELDS[cls] = fields
    return fields


def _size(data: str) -> int:
    try:
        return len(data.encode("utf-8"))
    except UnicodeEncodeError:
        raise CallbackDataError("not valid text") from None


def _literal_values(kind: Any) -> tuple[str, ...] | None:
    if typing.get_origin(kind) is Literal:
        return tuple(str(v) for v in typing.get_args(kind))
    return None


def _field_regex(kind: Any) -> str:
    allowed = _literal_values(kind)
    if allowed is not None:
        return "(?:" + "|".join(re.escape(v) for v in allowed) + ")"
    return r"\d+" if kind is int else "[^:]+"


def _encode(name: str, kind: Any, value: object) -> str:
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _MAX_INT:
            raise CallbackDataError(f"{name}: not a number in range")
        return str(value)
    allowed = _literal_values(kind)
    if not isinstance(value, str) or not value:
        raise CallbackDataError(f"{name}: empty or not text")
    if allowed is not None and value not in allowed:
        raise CallbackDataError(f"{name}: not one of {allowed}")
    if allowed is None and kind is not str:
        raise TypeError(f"{name}: unsupported field type {kind!r}")
    if SEPARATOR in value:
        raise CallbackDataError(f"{name}: contains {SEPARATOR!r}")
    return value


def _decode(kind: Any, part: str) -> object:
    if not part:
        raise CallbackDataError("empty field")
    if kind is int:
        if not part.isascii() or not part.isdigit():
            raise CallbackDataError("not a number")
        value = int(part)
        if value > _MAX_INT:
            raise CallbackDataError("out of range")
        return value
    allowed = _literal_values(kind)
    if allowed is not None and part not in allowed:
        raise CallbackDataError("unknown choice")
    return part


# ---- the button kinds ------------------------------------------------------------------------

MenuTarget = Literal["register", "revoke", "certs", "faq", "language"]
ActionTarget = Literal["register", "revoke", "certs", "contact"]
ReleaseReasonCode = Literal["lost", "reissued", "unused", "other", "skip"]
FlowTarget = Literal["start", "register", "revoke"]


@dataclasses.dataclass(frozen=True)
class Menu(CallbackData):
    """A main-menu button: m:<target> (the release flow's wire name stays "revoke")."""

    prefix: ClassVar[str] = "m"
    target: MenuTarget


@dataclasses.dataclass(frozen=True)
class Action(CallbackData):
    """An action button under an answer or a list: ac:<target>."""

    prefix: ClassVar[str] = "ac"
    target: ActionTarget

    @classmethod
    def of(cls, target: str | None) -> Action | None:
        """The action button for a FAQ entry's `action` field, if it names one."""
        try:
            return cls.unpack(f"{cls.prefix}{SEPARATOR}{target}") if target else None
        except CallbackDataError:
            return None


@dataclasses.dataclass(frozen=True)
class Language(CallbackData):
    prefix: ClassVar[str] = "lg"
    lang: Literal["ko", "en"]


#: How much of a certificate's SHA-256 fingerprint a button carries (64 bits: ample to tell a
#: user's own certificates apart; the session holds the certificate itself).
FINGERPRINT_CHARS = 16


@dataclasses.dataclass(frozen=True)
class RegisterPick(CallbackData):
    """One certificate of a zip that held several: rg:pick:<index>:<fingerprint prefix>."""

    prefix: ClassVar[str] = "rg:pick"
    index: int
    fp: str

    @classmethod
    def of(cls, index: int, bundle: Any) -> RegisterPick:
        """The button for `bundle` (anything with info.fingerprint_sha256) at `index`."""
        return cls(index, bundle.info.fingerprint_sha256[:FINGERPRINT_CHARS])


@dataclasses.dataclass(frozen=True)
class RegisterPage(CallbackData):
    """A page of the zip choice (5 certificates a page): rg:pg:<page> (0 is the first)."""

    prefix: ClassVar[str] = "rg:pg"
    page: int


@dataclasses.dataclass(frozen=True)
class RegisterConfirm(CallbackData):
    """[등록] bound to the certificate it shows: rg:ok:<fingerprint prefix> (checked against
    the session, so an old button never registers another certificate)."""

    prefix: ClassVar[str] = "rg:ok"
    fp: str

    @classmethod
    def of(cls, fingerprint: str) -> RegisterConfirm:
        return cls(fingerprint[:FINGERPRINT_CHARS])


@dataclasses.dataclass(frozen=True)
class RegisterCancel(CallbackData):
    prefix: ClassVar[str] = "rg:no"


@dataclasses.dataclass(frozen=True)
class ReleasePick(CallbackData):
    """A certificate to release: rv:pick:<certificate id> (ownership checked in the store)."""

    prefix: ClassVar[str] = "rv:pick"
    certificate_id: int


@dataclasses.dataclass(frozen=True)
class ReleaseReason(CallbackData):
    prefix: ClassVar[str] = "rv:why"
    reason: ReleaseReasonCode


@dataclasses.dataclass(frozen=True)
class ReleaseConfirm(CallbackData):
    prefix: ClassVar[str] = "rv:ok"


@dataclasses.dataclass(frozen=True)
class ReleaseCancel(CallbackData):
    prefix: ClassVar[str] = "rv:no"


@dataclasses.dataclass(frozen=True)
class FaqTopic(CallbackData):
    prefix: ClassVar[str] = "fq:t"
    topic: str


@dataclasses.dataclass(frozen=True)
class FaqEntry(CallbackData):
    prefix: ClassVar[str] = "fq:e"
    entry: str


@dataclasses.dataclass(frozen=True)
class FaqVote(CallbackData):
    """👍 / 👎 under an answer: fq:up:<entry> · fq:dn:<entry>."""

    prefix: ClassVar[str] = "fq"
    vote: Literal["up", "dn"]
    entry: str


@dataclasses.dataclass(frozen=True)
class FaqHome(CallbackData):
    prefix: ClassVar[str] = "fq:home"


@dataclasses.dataclass(frozen=True)
class FlowRestart(CallbackData):
    """[새로 시작] while a registration is in progress: drop it, then go to <target>."""

    prefix: ClassVar[str] = "fl:new"
    target: FlowTarget


@dataclasses.dataclass(frozen=True)
class FlowContinue(CallbackData):
    """[계속하기]: keep the registration in progress."""

    prefix: ClassVar[str] = "fl:go"


@dataclasses.dataclass(frozen=True)
class CertsPage(CallbackData):
    """A page of the /certs history: ct:pg:<page> (0 is the newest)."""

    prefix: ClassVar[str] = "ct:pg"
    page: int


ALL_KINDS: tuple[type[CallbackData], ...] = (
    Menu,
    Action,
    Language,
    RegisterPick,
    RegisterPage,
    RegisterConfirm,
    RegisterCancel,
    ReleasePick,
    ReleaseReason,
    ReleaseConfirm,
    ReleaseCancel,
    FaqTopic,
    FaqEntry,
    FaqVote,
    FaqHome,
    CertsPage,
    FlowRestart,
    FlowContinue,
)

# ---- handlers receive the typed value --------------------------------------------------------

D = TypeVar("D", bound=CallbackData)
C = TypeVar("C")
R = TypeVar("R")


def receives(
    kind: type[D], on_forged: Callable[[Update, C], Coroutine[Any, Any, None]]
) -> Callable[
    [Callable[[Update, C, D], Coroutine[Any, Any, R]]],
    Callable[[Update, C], Coroutine[Any, Any, R | None]],
]:
    """Decorate a button handler `(update, context, data: kind)`: the data is unpacked once
    here; data that does not unpack goes to `on_forged` instead (and the step stays put)."""

    def decorate(
        func: Callable[[Update, C, D], Coroutine[Any, Any, R]],
    ) -> Callable[[Update, C], Coroutine[Any, Any, R | None]]:
        @functools.wraps(func)
        async def handler(update: Update, context: C) -> R | None:
            query = update.callback_query
            try:
                data = kind.unpack(query.data if query is not None else None)
            except CallbackDataError:
                await on_forged(update, context)
                return None
            return await func(update, context, data)

        return handler

    return decorate


__all__ = [
    "ALL_KINDS",
    "MAX_BYTES",
    "Action",
    "CallbackData",
    "CallbackDataError",
    "CertsPage",
    "FaqEntry",
    "FaqHome",
    "FaqTopic",
    "FaqVote",
    "FlowContinue",
    "FlowRestart",
    "Language",
    "Menu",
    "RegisterCancel",
    "RegisterConfirm",
    "RegisterPick",
    "ReleaseCancel",
    "ReleaseConfirm",
    "ReleasePick",
    "ReleaseReason",
    "receives",
]
