"""Typed callback data: round trips, the 64-byte limit, the separator, forged data."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.flows import callbacks as cb


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (cb.Menu("register"), "m:register"),
        (cb.Menu("revoke"), "m:revoke"),
        (cb.Action("contact"), "ac:contact"),
        (cb.Language("en"), "lg:en"),
        (cb.RegisterPick(3, "ab12"), "rg:pick:3:ab12"),
        (cb.RegisterPage(2), "rg:pg:2"),
        (cb.RegisterConfirm("ab12"), "rg:ok:ab12"),
        (cb.RegisterCancel(), "rg:no"),
        (cb.ReleasePick(42), "rv:pick:42"),
        (cb.ReleaseReason("reissued"), "rv:why:reissued"),
        (cb.ReleaseConfirm(), "rv:ok"),
        (cb.ReleaseCancel(), "rv:no"),
        (cb.FaqTopic("register"), "fq:t:register"),
        (cb.FaqEntry("how-to-register"), "fq:e:how-to-register"),
        (cb.FaqVote("up", "forgot-password"), "fq:up:forgot-password"),
        (cb.FaqVote("dn", "forgot-password"), "fq:dn:forgot-password"),
        (cb.FaqHome(), "fq:home"),
    ],
)
def test_wire_format_is_stable_and_round_trips(value: cb.CallbackData, wire: str) -> None:
    # Buttons already sent to users must keep working: the wire format is part of the API.
    assert value.pack() == wire
    assert type(value).unpack(wire) == value
    assert re.match(type(value).pattern(), wire)
    # Exactly one kind claims each wire string.
    claimed = [k for k in cb.ALL_KINDS if re.match(k.pattern(), wire)]
    assert claimed == [type(value)]


@given(st.integers(min_value=0, max_value=2**62))
def test_int_fields_round_trip(number: int) -> None:
    assert cb.ReleasePick.unpack(cb.ReleasePick(number).pack()).certificate_id == number


@given(
    st.text(
        alphabet=st.characters(blacklist_characters=":", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=20,
    )
)
def test_str_fields_round_trip(text: str) -> None:
    data = cb.FaqEntry(text).pack()
    assert cb.FaqEntry.unpack(data).entry == text


def test_pack_refuses_the_separator_and_the_size_limit() -> None:
    with pytest.raises(cb.CallbackDataError, match="':'"):
        cb.FaqEntry("a:b").pack()
    with pytest.raises(cb.CallbackDataError, match="64 bytes"):
        cb.FaqEntry("가" * 20).pack()  # 60 bytes of Hangul + "fq:e:" is over 64
    assert len(cb.FaqEntry("a" * 59).pack()) == 64  # exactly at the limit is fine
    with pytest.raises(cb.CallbackDataError):
        cb.FaqEntry("a" * 60).pack()
    with pytest.raises(cb.CallbackDataError):
        cb.FaqEntry("").pack()
    with pytest.raises(cb.CallbackDataError):
        cb.FaqEntry("\ud800").pack()  # not encodable
    with pytest.raises(cb.CallbackDataError):
        cb.ReleasePick(-1).pack()
    with pytest.raises(cb.CallbackDataError):
        cb.ReleasePick(2**62 + 1).pack()
    with pytest.raises(cb.CallbackDataError):
        cb.ReleaseReason("stolen").pack()  # type: ignore[arg-type]
    with pytest.raises(cb.CallbackDataError):
        cb.ReleasePick(True).pack()  # a bool is not an id


@pytest.mark.parametrize(
    ("kind", "forged"),
    [
        (cb.ReleasePick, None),
        (cb.ReleasePick, ""),
        (cb.ReleasePick, "rv:pick"),
        (cb.ReleasePick, "rv:pick:"),
        (cb.ReleasePick, "rv:pick:abc"),
        (cb.ReleasePick, "rv:pick:-1"),
        (cb.ReleasePick, "rv:pick:1:2"),
        (cb.ReleasePick, "rv:pick:٣"),  # a non-ASCII digit
        (cb.ReleasePick, f"rv:pick:{2**62 + 1}"),
        (cb.ReleasePick, "rv:pick:" + "1" * 60),
        (cb.ReleasePick, "rg:pick:1"),
        (cb.ReleaseReason, "rv:why:stolen"),
        (cb.ReleaseReason, "rv:why"),
        (cb.RegisterConfirm, "rg:ok"),  # an old [등록] bound to nothing
        (cb.RegisterConfirm, "rg:ok:a:b"),
        (cb.RegisterConfirm, "rg:okay"),
        (cb.Language, "lg:fr"),
        (cb.Menu, "m:admin"),
        (cb.FaqVote, "fq:t:register"),
        (cb.FaqVote, "fq:up"),
        (cb.FaqHome, "fq:home:x"),
    ],
)
def test_forged_data_is_refused(kind: type[cb.CallbackData], forged: str | None) -> None:
    with pytest.raises(cb.CallbackDataError):
        kind.unpack(forged)
    if forged:
        assert not re.match(kind.pattern(), forged) or kind in (cb.ReleasePick, cb.FaqVote)


def test_pattern_with_fixed_fields() -> None:
    pattern = cb.Menu.pattern(target="register")
    assert re.match(pattern, "m:register")
    assert not re.match(pattern, "m:revoke") and not re.match(pattern, "m:register:x")
    with pytest.raises(TypeError):
        cb.Menu.pattern(nothing="x")


def test_action_of_a_faq_entry() -> None:
    assert cb.Action.of("register") == cb.Action("register")
    assert cb.Action.of("nonsense") is None and cb.Action.of(None) is None
    assert cb.Action.of("a:b") is None


def test_exactly_64_bytes_unpacks() -> None:
    # Killed mutant: `> MAX_BYTES` → `>= MAX_BYTES` in unpack.
    data = cb.FaqEntry("a" * 59).pack()
    assert cb.FaqEntry.unpack(data).entry == "a" * 59


def test_patterns_check_field_types() -> None:
    # Killed mutant: int fields matched by "[^:]+" (a forged id would reach the handler).
    assert not re.match(cb.ReleasePick.pattern(), "rv:pick:abc")
    assert not re.match(cb.RegisterPick.pattern(), "rg:pick:")
    assert not re.match(cb.ReleaseReason.pattern(), "rv:why:stolen")
    assert re.match(cb.FaqEntry.pattern(), "fq:e:x") and not re.match(
        cb.FaqEntry.pattern(), "fq:e:"
    )
