"""The trained FAQ in the bot: small talk, the asker's language, one vote per answer, and a
rebuild in the background that never stops other customers' answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support import plain, rendered, says

ADMIN = 9101
KB = Path(__file__).resolve().parents[2] / "faq" / "knowledge.yaml"


async def test_greeting_gets_a_friendly_reply_and_the_menu_not_the_fallback(bot: Any) -> None:
    user = bot.user(6001)
    replies = await user.ask("안녕하세요")
    assert says(replies, "faq.smalltalk_greeting")
    assert not any(rendered("faq.fallback", phone=bot.settings.customer_center) in m.plain for m in replies)
    assert {"인증서 등록", "인증서 해제"} <= set(replies[-1].labels)


async def test_are_you_a_person_in_english(bot: Any) -> None:
    user = bot.user(6002, language_code="en")
    replies = await user.ask("are you a real person or a bot?")
    assert says(replies, "faq.smalltalk_are_you_human", "en")


async def test_the_answer_is_in_the_language_of_the_question(bot: Any) -> None:
    kb = bot.services.faq.kb
    korean_ui = bot.user(6003)  # Telegram language ko: the interface is Korean
    replies = await korean_ui.ask("how do I release my registered certificate?")
    release = kb.get("how-to-revoke")
    assert release is not None
    assert plain(replies[-1:]).startswith(plain_html(release.answer["en"])[:40])
    # ...and the interface stays Korean.
    assert says(await korean_ui.ask("/help"), "help.text")
    english_ui = bot.user(6004, language_code="en")
    replies = await english_ui.ask("인증서 해제는 어떻게 해요?")
    assert plain(replies[-1:]).startswith(plain_html(release.answer["ko"])[:40])


def plain_html(html: str) -> str:
    from bot.emulator.markup import html_to_text

    return html_to_text(html)


async def test_one_vote_per_answer_then_the_buttons_are_gone(bot: Any) -> None:
    user = bot.user(6005)
    replies = await user.ask("인증서 비밀번호를 잊어버렸어요")
    assert "👍" in replies[-1].labels
    await user.tap("👍")
    answer = next(m for m in user.messages if m.message_id == replies[-1].message_id)
    assert "👍" not in answer.labels and "👎" not in answer.labels
    assert any(a.text == rendered("faq.thanks") for a in user.callback_answers)
    assert [s[1:] for s in await bot.services.store.feedback_summary()] == [(1, 0)]


async def test_reload_rebuilds_in_the_background_while_others_are_answered(
    bot_factory: Any, tmp_path: Path
) -> None:
    kb_copy = tmp_path / "kb.yaml"
    kb_copy.write_text(KB.read_text(encoding="utf-8"), encoding="utf-8")
    training = tmp_path / "training"  # one small author: the refit takes seconds, not minutes
    training.mkdir()
    (training / "one.yaml").write_text(
        (KB.parent / "training" / "dev-1.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    bot = await bot_factory(
        admin_user_ids=frozenset({ADMIN}), faq_path=kb_copy, faq_training_dir=training
    )
    admin, customer = bot.user(ADMIN), bot.user(6006)
    # An edit the old model has never seen: a new phrasing under contact-support.
    kb_copy.write_text(
        kb_copy.read_text(encoding="utf-8").replace(
            "        - 고객센터 연결해 주세요\n",
            "        - 고객센터 연결해 주세요\n        - 상담원이랑 직접 통화하고 싶어요 뭐 눌러요\n",
        ),
        encoding="utf-8",
    )
    mark = admin.message_count
    await admin.send_text("/reload_faq")
    # While the worker fits the new model, another customer is answered by the old one
    # (waiting on this chat's reply only: settle() would wait for the rebuild too).
    seen = customer.message_count
    await customer.send_text("인증서 등록 어떻게 해요?")
    replies = [await customer.next_message(after=seen, timeout=60)]
    assert "/register" in plain(replies)
    assert admin.message_count == mark  # the rebuild has not finished yet: it did not block
    done = await admin.next_message(after=mark, timeout=180)
    assert says([done], "admin.reloaded", entries=len(bot.services.faq.kb.entries))
