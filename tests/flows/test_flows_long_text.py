"""Long names and long lists never exceed Telegram's 4,096 characters (H12)."""

from __future__ import annotations

from typing import Any

from bot.certs import display_name
from tests.conftest import PASSWORD, cert
from tests.support import plain, register, rendered, says, upload_pair

LIMIT = 4096


def no_apology(user: Any) -> None:
    apology = rendered("common.error", phone="1522-1000")
    assert all(m.plain != apology for m in user.messages)
    assert all(len(m.plain) <= LIMIT for m in user.messages)


async def test_a_5000_character_owner_name_is_shown_cut(bot: Any) -> None:
    user = bot.user(5301)
    gen = cert(name="가" * 5000)
    shown = display_name(gen.info.owner_name)
    assert len(shown) == 40 and shown.endswith("…")
    await user.ask("/register")
    replies = await upload_pair(user, gen)
    assert f"소유자: {shown}" in plain(replies)
    await user.ask(PASSWORD)
    replies = await user.tap("등록")
    assert any("등록 완료" in m.plain for m in replies)
    replies = await user.ask("/certs")
    assert shown in plain(replies)
    replies = await user.ask("/revoke")
    assert says(replies, "revoke.choose")
    await user.tap(display_name(gen.info.owner_name, 12))
    await user.tap("건너뛰기")
    replies = await user.tap("해제")
    assert any("해제 완료" in m.plain and shown in m.plain for m in replies)
    no_apology(user)


async def test_certs_keeps_working_after_cycles_with_long_names(bot: Any) -> None:
    user = bot.user(5302)
    for index in range(4):
        gen = cert(name=f"{index}" + "나" * 1500)
        await register(user, gen)
        await user.ask("/revoke")
        await user.tap(display_name(gen.info.owner_name, 12))
        await user.tap("건너뛰기")
        await user.tap("해제")
        replies = await user.ask("/certs")
        assert rendered("certs.history_header") in plain(replies).splitlines()
    no_apology(user)


async def test_unanswered_with_twenty_long_questions_is_split(bot_factory: Any) -> None:
    bot = await bot_factory(admin_user_ids=frozenset({5310}))
    admin = bot.user(5310)
    for index in range(20):
        question = f"질문{index:02d} " + "아주 긴 질문이에요 " * 60
        await bot.services.store.log_faq_query(5311, question, "fallback", None, None)
    replies = await admin.ask("/unanswered")
    assert len(replies) >= 2 and all(len(m.plain) <= LIMIT for m in replies)
    text = plain(replies)
    assert all(f"질문{index:02d}" in text for index in range(20))
    assert text.startswith(rendered("admin.unanswered_header", days=30) + "\n")
    no_apology(admin)
