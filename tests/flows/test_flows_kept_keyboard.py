"""KeptKeyboard: a keyboard sent many times serialises once, to exactly what PTB sends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from telegram import InlineKeyboardButton
from telegram.request._requestparameter import RequestParameter  # what PTB sends

from bot.flows.common import KeptKeyboard, keyboard

ROWS = [[("👍 도움이 됐어요", "faq:vote:up:x")], [("❔ 해제", "faq:e:y"), ("등록", "act:reg")]]


def count_button_serialisations(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """From now on, count the buttons PTB serialises; returns the counter's reader."""
    serialised = 0
    real = InlineKeyboardButton.to_dict

    def counting(self: InlineKeyboardButton, recursive: bool = True) -> Any:
        nonlocal serialised
        serialised += 1
        return real(self, recursive=recursive)

    monkeypatch.setattr(InlineKeyboardButton, "to_dict", counting)
    return lambda: serialised


def test_a_kept_keyboard_goes_out_as_the_plain_one_and_is_serialised_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain, kept = keyboard(ROWS), KeptKeyboard.of(ROWS)
    assert kept == plain and hash(kept) == hash(plain)
    wire = RequestParameter.from_input("reply_markup", kept).json_value
    assert wire == RequestParameter.from_input("reply_markup", plain).json_value
    assert kept.to_dict(recursive=False) == plain.to_dict(recursive=False)

    serialised = count_button_serialisations(monkeypatch)
    for _ in range(3):
        first = kept.to_dict()
        first["changed"] = True  # a caller's change stays its own
    assert serialised() == 0  # serialised before, when it was first sent
    assert kept.to_dict() == plain.to_dict() and "changed" not in kept.to_dict()
    assert serialised() == 3  # the plain keyboard's three buttons, every time


async def test_a_repeated_faq_answer_sends_the_keyboard_serialised_the_first_time(
    bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = bot.user(8301)
    first = await user.ask("인증서 등록 어떻게 해요")
    assert first[-1].buttons  # the answer's action, related entries and votes
    serialised = count_button_serialisations(monkeypatch)
    again = await user.ask("인증서 등록 어떻게 해요")
    assert again[-1].buttons == first[-1].buttons and again[-1].plain == first[-1].plain
    assert serialised() == 0
