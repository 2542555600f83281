"""Hostile names (newlines, bidi overrides, zero-width, markup) render as one plain line (H13)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.flows.expiry import check_expiry
from tests.conftest import cert
from tests.support import register, zip_of

HOSTILE = "<b>김&이</b>\n가짜줄: 해제 완료\u202e역순\u200b끝"
INVISIBLE = ("\u202e", "\u200b", "\u2066", "\u2069")


def check_everything_seen(user: Any) -> None:
    for message in user.messages:
        lines = message.plain.splitlines()
        assert not any(line.startswith("가짜줄") for line in lines), message.plain
        assert not any(ch in message.plain for ch in INVISIBLE), message.plain
        for label in message.labels:
            assert "&lt;" not in label and "&amp;" not in label and "\n" not in label, label


async def test_hostile_name_never_adds_lines_or_escapes_in_labels(bot: Any) -> None:
    user = bot.user(5401)
    gen = cert(name=HOSTILE)
    other = cert(name="평범")
    # A zip with two certificates: the pick buttons carry the names.
    await user.ask("/register")
    await user.upload(zip_of(gen, other), "npki.zip")
    labels = user.last.labels
    assert any(label.startswith("<b>김&이") for label in labels), labels
    await user.ask("/cancel")
    await register(user, gen)  # summary, done list
    await user.ask("/certs")  # list
    await check_expiry(bot.app, now=gen.info.not_after - timedelta(days=7))  # reminder
    await user.wait_until(lambda: "⏰" in user.last.plain)
    await user.ask("/revoke")  # choice buttons
    assert any(label.startswith("<b>김&이") for label in user.last.labels)
    await user.tap("<b>김&이")
    await user.tap("건너뛰기")  # confirmation summary
    await user.tap("해제")  # done text
    await user.ask("/certs")  # history
    check_everything_seen(user)
