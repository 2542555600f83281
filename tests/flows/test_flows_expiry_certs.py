"""Expiry reminders and /certs end to end: one definition of days left (C9), history (C10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.flows.common import KST, format_date, format_time
from bot.flows.expiry import check_expiry
from tests.conftest import cert
from tests.support import plain, register, rendered, says


def reminder(gen: Any, days: int, lang: str = "ko") -> str:
    return rendered(
        "expiry.reminder",
        lang,
        owner=gen.info.owner_name,
        issuer=rendered(f"ca.{gen.info.ca}", lang),
        dday=rendered("cert.dday_future", lang, days=days),
        date=format_date(gen.info.not_after, lang),
    )


async def test_reminder_and_certs_agree_near_midnight_kst(bot: Any) -> None:
    gen = cert(name="자정", expires_in_days=8)
    # 00:30 KST, 7 calendar days before the last day (23:59:59 KST): 7 days 23.5 hours left.
    # Counted in 24-hour steps that is "8일 뒤"; in KST calendar days, as /certs counts, D-7.
    now = gen.info.not_after - timedelta(days=7, hours=23, minutes=30)
    assert now.astimezone(KST).strftime("%H:%M") == "00:29"
    user = bot.user(5101)
    await register(user, gen)
    bot.services.clock.source = now.timestamp
    replies = await user.ask("/certs")
    assert "(D-7)" in plain(replies)
    assert await check_expiry(bot.app) == 1
    await user.wait_until(lambda: "⏰" in user.last.plain)
    assert says([user.last], "expiry.reminder", **_values(gen, 7))
    assert user.last.plain == reminder(gen, 7)
    # The reminder says how to continue, with buttons for both steps.
    assert user.last.labels == [
        rendered("expiry.btn_release_old"),
        rendered("expiry.btn_register_new"),
    ]
    replies = await user.tap(rendered("expiry.btn_release_old"))
    assert says(replies, "revoke.choose")


def _values(gen: Any, days: int) -> dict[str, object]:
    return {
        "owner": gen.info.owner_name,
        "issuer": rendered(f"ca.{gen.info.ca}"),
        "dday": rendered("cert.dday_future", days=days),
        "date": format_date(gen.info.not_after, "ko"),
    }


async def test_expiry_reminders_once_each_then_expired(bot: Any) -> None:
    user = bot.user(5007)
    gen = cert(name="만료예정")
    await register(user, gen)
    not_after = gen.info.not_after  # 23:59:59 KST: N days before it is D-N
    app = bot.app
    sent = await check_expiry(app, now=not_after - timedelta(days=30))
    assert sent == 1
    await user.wait_until(lambda: user.last.plain == reminder(gen, 30))
    assert await check_expiry(app, now=not_after - timedelta(days=29)) == 0  # once only
    await check_expiry(app, now=not_after - timedelta(days=7))
    await user.wait_until(lambda: user.last.plain == reminder(gen, 7))
    await check_expiry(app, now=not_after - timedelta(days=1))
    await user.wait_until(lambda: user.last.plain == reminder(gen, 1))
    assert await check_expiry(app, now=not_after - timedelta(hours=10)) == 0
    await check_expiry(app, now=not_after + timedelta(minutes=1))
    expired = rendered(
        "expiry.expired", owner=gen.info.owner_name, issuer=rendered(f"ca.{gen.info.ca}")
    )
    await user.wait_until(lambda: user.last.plain == expired)
    assert user.last.labels == [rendered("expiry.btn_register_new")]
    assert await bot.services.store.active_certificates_of(5007) == []
    history = await bot.services.store.history_of(5007)
    assert history[0].status == "expired"
    reminders = [m for m in user.messages if "⏰" in m.plain]
    assert len(reminders) == 3


async def test_expiry_late_registration_gets_only_the_nearest_notice(bot: Any) -> None:
    user = bot.user(5008)
    gen = cert(name="늦은등록")
    await register(user, gen)
    await check_expiry(bot.app, now=gen.info.not_after - timedelta(days=3))
    await check_expiry(bot.app, now=gen.info.not_after - timedelta(days=2))
    await user.wait_until(lambda: "⏰" in user.last.plain)
    await bot.emulator.settle()
    reminders = [m for m in user.messages if "⏰" in m.plain]
    assert [m.plain for m in reminders] == [reminder(gen, 3)]
    assert datetime.now(UTC) < gen.info.not_after


async def _register_and_release(user: Any, gen: Any) -> None:
    await register(user, gen)
    await user.ask("/revoke")
    await user.tap(gen.info.owner_name)
    await user.tap("건너뛰기")
    await user.tap("해제")


async def test_certs_history_has_times_real_expiry_newest_first_and_pages(bot: Any) -> None:
    user = bot.user(5201)
    gen = cert(name="반복")
    clock = bot.services.clock
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    for minute in range(7):  # the same certificate registered and released seven times
        clock.source = (start + timedelta(minutes=minute)).timestamp
        await _register_and_release(user, gen)
    # An eighth one expires; the daily job notices it a day later.
    short = cert(name="만료", expires_in_days=3)
    await register(user, short)
    await check_expiry(bot.app, now=short.info.not_after + timedelta(days=1))
    clock.source = (start + timedelta(minutes=10)).timestamp

    replies = await user.ask("/certs")
    lines = [line for line in plain(replies).splitlines() if line.startswith("·")]
    assert len(lines) == 5 and len(set(lines)) == 5  # one page, no two lines alike
    assert rendered("certs.history_page", page=1, pages=2) in plain(replies)

    def line(gen: Any, status: str, moment: datetime) -> str:
        return rendered(
            "cert.history_item",
            owner=gen.info.owner_name,
            issuer=rendered(f"ca.{gen.info.ca}"),
            status=rendered(f"cert.status_{status}"),
            date=format_time(moment, "ko"),
        )

    # Newest first: the expired one (shown with its own expiry, not the day it was noticed).
    expired_line = line(short, "expired", short.info.not_after)
    assert lines[0] == expired_line
    assert lines[1:] == [line(gen, "released", start + timedelta(minutes=m)) for m in (6, 5, 4, 3)]
    replies = await user.tap(rendered("certs.btn_older"))
    assert plain(replies).splitlines()[0] == rendered("certs.history_page", page=2, pages=2)
    older = [m for m in plain(replies).splitlines() if m.startswith("·")]
    assert older == [line(gen, "released", start + timedelta(minutes=m)) for m in (2, 1, 0)]
    assert user.last.labels == [rendered("certs.btn_newer")]
    # A forged page number is refused politely, not a traceback.
    await user.press_data("ct:pg:99", message_id=user.last.message_id)
    await bot.emulator.settle()
    assert user.callback_answers[-1].text == rendered("common.stale_button")
