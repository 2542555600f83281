"""H6: each [등록] is bound to the certificate it shows; a new registration closes the old one."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD, cert
from tests.support import plain, rendered, upload_pair


async def _to_confirm(user: Any, gen: Any) -> Any:
    replies = await user.ask("/register")
    if any("새로 시작" in label for m in replies for label in m.labels):
        await user.tap("새로 시작")  # a registration is open: start anew, as the user chose
    await upload_pair(user, gen)
    await user.ask(PASSWORD)
    message = user.last
    assert "등록" in message.labels
    return message


async def test_an_old_register_button_never_registers_another_certificate(bot: Any) -> None:
    user = bot.user(4101)
    first = await _to_confirm(user, cert(name="첫째"))
    old_data = next(b.callback_data for b in first.flat_buttons if b.text == "등록")
    second = await _to_confirm(user, cert(name="둘째"))
    # The new registration closed the earlier confirmation's buttons.
    assert next(m for m in user.messages if m.message_id == first.message_id).buttons == []
    # A client that still holds the old button (or forges it) gets "no longer usable".
    await user.press_data(old_data, message_id=first.message_id)
    await bot.emulator.settle()
    assert user.callback_answers[-1].text == says_text("common.stale_button")
    assert await bot.services.store.active_certificates_of(4101) == []
    # The confirmation on screen still works, and registers what it shows.
    replies = await user.tap("등록", message_id=second.message_id)
    assert "등록 완료" in plain(replies)
    (active,) = await bot.services.store.active_certificates_of(4101)
    assert active.owner_name == "둘째"


async def test_an_unbound_register_button_is_refused(bot: Any) -> None:
    user = bot.user(4102)
    shown = await _to_confirm(user, cert(name="셋째"))
    await user.press_data("rg:ok", message_id=shown.message_id)  # the wire format before H6
    await bot.emulator.settle()
    assert user.callback_answers[-1].text == says_text("common.stale_button")
    assert await bot.services.store.active_certificates_of(4102) == []
    assert "등록 완료" in plain(await user.tap("등록"))  # the real button still works


def says_text(key: str) -> str:
    return rendered(key)
