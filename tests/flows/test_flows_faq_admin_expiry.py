"""FAQ in the bot, the admin commands, and expiry reminders, through the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.emulator.markup import html_to_text
from bot.flows.secrets import looks_like_secret
from tests.support import plain, rendered

ADMIN = 9001


async def test_free_text_answer_with_action_related_and_feedback(bot: Any) -> None:
    user = bot.user(5001)
    replies = await user.ask("타행 인증서 등록은 어떻게 하나요?")
    answer = replies[-1]
    assert "/register" in answer.plain or "등록" in answer.plain
    labels = answer.labels
    assert "지금 등록하기" in labels and "👍" in labels and "👎" in labels
    assert any(label.startswith("❔") for label in labels)
    await user.tap("👍")
    replies = await user.tap("지금 등록하기")
    assert "타행 공동인증서 등록" in plain(replies)
    summary = await bot.services.store.feedback_summary()
    assert summary and summary[0][1] == 1


async def test_english_question(bot: Any) -> None:
    user = bot.user(5002, language_code="en")
    replies = await user.ask("I forgot my certificate password, what do I do?")
    assert "customer" in replies[-1].plain.lower() or "bank" in replies[-1].plain.lower()


async def test_english_question_gets_the_answer_not_the_fallback(bot: Any) -> None:
    user = bot.user(5010, language_code="en")
    replies = await user.ask("I forgot my certificate password, what do I do?")
    entry = bot.services.faq.entry("forgot-password")
    assert replies[-1].plain == html_to_text(entry.answer["en"])
    assert not any(
        rendered("faq.fallback", "en", phone=bot.settings.customer_center) in m.plain
        for m in replies
    )
    assert await bot.services.store.top_unanswered() == []


async def test_out_of_scope_falls_back_and_is_logged(bot: Any) -> None:
    user = bot.user(5003)
    replies = await user.ask("주택담보대출 금리 얼마예요?")
    assert "1522-1000" in plain(replies)
    top = await bot.services.store.top_unanswered()
    assert top and "대출" in top[0][0]


async def test_faq_browse_by_topic(bot: Any) -> None:
    user = bot.user(5004)
    await user.ask("/faq")
    topics = user.last.labels
    assert len(topics) >= 3
    replies = await user.tap(topics[0])
    assert user.last.labels[-1] == "← 주제 목록"
    first_question = user.last.labels[0]
    replies = await user.tap(first_question)
    assert "👍" in replies[-1].labels
    await user.tap("👎")
    assert "고객센터" in user.last.plain


async def test_password_like_text_outside_prompt_is_deleted(bot: Any) -> None:
    user = bot.user(5005)
    replies = await user.ask("Secret-pw1234!")
    assert user.user_messages[-1].deleted and "지웠어요" in plain(replies)
    assert looks_like_secret("test1234!") and looks_like_secret("800101-1234567")
    assert not looks_like_secret("signPri.key") and not looks_like_secret("인증서 등록 방법")


async def test_admin_commands(bot_factory: Any, tmp_path: Path) -> None:
    kb_copy = tmp_path / "kb.yaml"
    kb_copy.write_text((Path(__file__).resolve().parents[2] / "faq" / "knowledge.yaml").read_text())
    bot = await bot_factory(admin_user_ids=frozenset({ADMIN}), faq_path=kb_copy)
    stranger, admin = bot.user(5006), bot.user(ADMIN)
    replies = await stranger.ask("/unanswered")
    assert "관리자만" in plain(replies)
    await stranger.ask("오늘 날씨 어때요?")
    await stranger.ask("인증서 비밀번호를 잊어버렸어요")
    await stranger.tap("👎")
    replies = await admin.ask("/unanswered")
    assert "날씨" in plain(replies)
    assert "forgot-password · 0 · 1" in plain(replies)
    entries = len(bot.services.faq.kb.entries)
    kb_copy.write_text("entries: [broken")
    replies = [await reload_faq(admin)]
    assert "이전 FAQ를 계속 사용" in plain(replies) and "kb.yaml" in plain(replies)
    assert len(bot.services.faq.kb.entries) == entries
    kb_copy.write_text((Path(__file__).resolve().parents[2] / "faq" / "knowledge.yaml").read_text())
    replies = [await reload_faq(admin)]
    assert f"{entries}개" in plain(replies)


async def reload_faq(admin: Any) -> Any:
    """/reload_faq rebuilds in a worker process: wait for its one reply, however long."""
    mark = admin.message_count
    await admin.send_text("/reload_faq")
    return await admin.next_message(after=mark, timeout=180)


async def test_suggestions_when_the_matcher_is_unsure(bot_factory: Any) -> None:
    # An answer threshold nobody reaches turns confident answers into "did you mean" buttons.
    bot = await bot_factory(faq_answer_threshold=100.0)
    user = bot.user(5009)
    replies = await user.ask("인증서 등록하는 방법 알려주세요")
    assert "찾으셨나요" in plain(replies)
    choices = user.last.labels
    assert 1 <= len(choices) <= 3
    replies = await user.tap(choices[0])
    assert "👍" in replies[-1].labels
    async with bot.services.store.db.connection.execute(
        "SELECT decision FROM faq_queries WHERE user_id = 5009"
    ) as cur:
        assert [r[0] for r in await cur.fetchall()] == ["suggest"]
