"""C7: after a refusal the customer reads what to do next, with the next buttons, and the
next upload starts a new registration."""

from __future__ import annotations

from typing import Any

import pytest

from bot.flows.common import format_date
from tests.conftest import PASSWORD, cert
from tests.flows.test_flows_register_policy import forged
from tests.support import plain, rendered, says, upload_pair


async def _refused(user: Any, gen: Any) -> list[Any]:
    await user.ask("/register")
    return await upload_pair(user, gen)


async def test_expired_says_what_to_do_and_nothing_that_does_not_apply(bot: Any) -> None:
    user = bot.user(6201)
    gen = cert(expired=True, name="만료")
    replies = await _refused(user, gen)
    assert says(replies, "register.expired", date=format_date(gen.info.not_after, "ko"))
    assert says(replies, "register.next_expired")
    text = plain(replies)
    assert "만료 전이라면" not in text and "파일이 인식되지 않는" not in text
    assert not any(rendered("register.ask_password") in m.plain for m in replies)
    assert user.last.labels == ["❔ 갱신과 재발급", rendered("register.btn_other")]
    # The next upload is a new registration, not "먼저 /register 를 누른 뒤…".
    replies = await upload_pair(user, cert(name="새인증서"))
    assert not any(rendered("common.upload_outside_flow") in m.plain for m in replies)
    assert says(replies, "register.ask_password")
    replies = await user.ask(PASSWORD)
    replies = await user.tap(rendered("register.btn_register"))
    assert "새인증서" in plain(replies)


async def test_not_yet_valid_says_when_to_come_back(bot: Any) -> None:
    user = bot.user(6202)
    gen = cert(not_yet_valid=True)
    replies = await _refused(user, gen)
    date = format_date(gen.info.not_before, "ko")
    assert says(replies, "register.not_yet_valid", date=date)
    assert says(replies, "register.next_not_yet_valid", date=date)
    assert rendered("register.btn_other") in user.last.labels


async def test_unknown_issuer_shows_its_organisation_not_the_dn(bot: Any) -> None:
    user = bot.user(6203)
    gen = cert(ca="other")
    replies = await _refused(user, gen)
    assert says(replies, "register.unknown_issuer", issuer="Unknown CA")
    assert says(replies, "register.next_unknown_issuer")
    assert "CN=" not in plain(replies) and "OU=" not in plain(replies)
    assert user.last.labels == ["❔ 등록 가능한 발급기관", rendered("register.btn_other")]


@pytest.mark.parametrize(
    ("kind", "key", "faq_button"),
    [
        ("financial", "register.financial_certificate", ["❔ 금융인증서와 공동인증서"]),
        ("untrusted", "register.untrusted_chain", []),
    ],
)
async def test_other_refusals_say_what_to_do_next(
    bot: Any, kind: str, key: str, faq_button: list[str]
) -> None:
    user = bot.user(6204)
    if kind == "financial":
        gen, next_key = cert(policy_oid="1.2.410.200005.1.1.1.10"), "register.next_financial"
        values: dict[str, object] = {}
    else:
        gen, next_key = forged(name="위조"), "register.next_untrusted_chain"
        values = {"issuer": "yessign"}
    replies = await _refused(user, gen)
    assert says(replies, key, **values)
    assert says(replies, next_key)
    assert user.last.labels == [*faq_button, rendered("register.btn_other")]


async def test_registered_elsewhere_is_known_before_the_password(bot_factory: Any) -> None:
    bot = await bot_factory(max_active_certificates=2)
    gen = cert(name="남의것")
    first = bot.user(6205)
    await _refused(first, gen)
    await first.ask(PASSWORD)
    await first.tap(rendered("register.btn_register"))
    other = bot.user(6206)
    replies = await _refused(other, gen)
    assert says(replies, "register.active_elsewhere")
    assert says(replies, "register.next_elsewhere", phone=bot.settings.customer_center)
    assert not any(rendered("register.ask_password") in m.plain for m in replies)
    assert "6205" not in plain(replies)
    assert other.last.labels == [rendered("faq.action_contact"), rendered("register.btn_other")]
    events = [e["event"] for e in await bot.services.store.audit_events(6206)]
    assert "register_refused_active_elsewhere" in events
    # The owner uploading it again is told it is theirs, also before the password.
    replies = await _refused(first, gen)
    assert says(replies, "register.already_registered")
    assert not any(rendered("register.ask_password") in m.plain for m in replies)
