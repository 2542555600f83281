"""H14: a zip with 12 certificates offers all 12, five a page with [◀ 이전] [다음 ▶]."""

from __future__ import annotations

from typing import Any

from bot.certs import display_name
from bot.flows import callbacks as cb
from tests.conftest import cert
from tests.support import plain, says, zip_of

NAMES = ["가람", "나래", "다솜", "라온", "마루", "바다", "사랑", "아라", "자람", "차오", "카라", "타래"]


async def test_every_certificate_of_a_twelve_certificate_zip_is_reachable(bot: Any) -> None:
    gens = [cert(name=name) for name in NAMES]
    user = bot.user(7701)
    await user.ask("/register")
    replies = await user.upload(zip_of(*gens), "npki.zip")
    (choice,) = [m for m in replies if m.buttons]
    assert says([choice], "register.choose_certificate", count=12)
    assert says([choice], "register.choice_page", page=1, pages=3)
    assert [label.split(" · ")[0] for label in choice.labels[:5]] == NAMES[:5]
    assert choice.labels[5:] == ["다음 ▶"]

    await user.tap("다음 ▶")
    await user.tap("다음 ▶")
    page = next(m for m in reversed(user.messages) if m.message_id == choice.message_id)
    assert says([page], "register.choice_page", page=3, pages=3)
    assert [label.split(" · ")[0] for label in page.labels[:2]] == NAMES[10:]
    assert page.labels[2:] == ["◀ 이전"]
    replies = await user.tap(display_name(NAMES[11], 12))
    assert says(replies, "register.ask_password")
    assert f"소유자: {NAMES[11]}" in plain(replies)


async def test_the_previous_page_and_a_forged_page(bot: Any) -> None:
    gens = [cert(name=name) for name in NAMES]
    user = bot.user(7702)
    await user.ask("/register")
    replies = await user.upload(zip_of(*gens), "npki.zip")
    (choice,) = [m for m in replies if m.buttons]
    await user.tap("다음 ▶")
    await user.tap("◀ 이전")
    page = next(m for m in reversed(user.messages) if m.message_id == choice.message_id)
    assert says([page], "register.choice_page", page=1, pages=3)
    assert any(NAMES[0] in label for label in page.labels)
    # A page past the end (forged): the stale-button answer, nothing changes.
    await user.press_data(cb.RegisterPage(7).pack(), message_id=choice.message_id)
    await bot.emulator.settle()
    assert user.callback_answers[-1].text and "사용할 수 없어요" in user.callback_answers[-1].text
    replies = await user.tap(display_name(NAMES[2], 12))
    assert says(replies, "register.ask_password")
