"""Every register step answers what the customer did: a question gets its answer and the step's
prompt again, stray text gets the step's own prompt (never the out-of-scope apology), the
confirm line names the check that passed, and the file prompt helps phone users."""

from __future__ import annotations

from typing import Any

from tests.conftest import IDENTITY, PASSWORD, cert
from tests.support import rendered, says, upload_pair, zip_of

FALLBACK = "죄송해요, 그 질문에는 제가 답을 드리기 어려워요"


async def test_stray_text_at_the_file_step_gets_the_file_prompt_not_the_apology(bot: Any) -> None:
    user = bot.user(7101)
    await user.ask("/register")
    for stray in ("1", "네"):
        replies = await user.ask(stray)
        assert says(replies, "register.reprompt_files")
        assert not any(FALLBACK in m.plain for m in replies)
        assert rendered("register.btn_phone_only") in replies[-1].labels


async def test_a_question_mid_flow_is_answered_then_the_step_is_asked_again(bot: Any) -> None:
    user = bot.user(7102)
    await user.ask("/register")
    replies = await user.ask("인증서 파일은 컴퓨터 어디에 있어요?")
    assert any("진행 중이던 단계로 돌아가요" in m.plain for m in replies)
    assert says(replies[-1:], "register.reprompt_files")  # the prompt comes last, with buttons
    # The flow is still at the file step: the files register as usual.
    replies = await upload_pair(user, cert(name="질문후등록"))
    assert says(replies, "register.ask_password")


async def test_stray_text_at_the_zip_choice_shows_the_choice_again(bot: Any) -> None:
    user = bot.user(7103)
    await user.ask("/register")
    first, second = cert(name="첫째인증"), cert(name="둘째인증")
    await user.upload(zip_of(first, second), "two.zip")
    replies = await user.ask("홍길동")
    assert says(replies, "register.reprompt_choice", count=2)
    assert not any(FALLBACK in m.plain for m in replies)
    assert sum(1 for label in replies[-1].labels if "인증" in label) == 2


async def test_after_the_identity_check_the_confirm_names_that_step(bot_factory: Any) -> None:
    bot = await bot_factory(require_identity_check=True)
    user = bot.user(7104)
    await user.ask("/register")
    await upload_pair(user, cert(name="본인확인"))
    await user.ask(PASSWORD)
    replies = await user.ask(IDENTITY)
    assert any(rendered("register.passed_identity") in m.plain for m in replies)
    assert not any(rendered("register.passed_password") in m.plain for m in replies)


async def test_without_identity_check_the_confirm_names_the_password(bot: Any) -> None:
    user = bot.user(7105)
    await user.ask("/register")
    await upload_pair(user, cert(name="비번확인"))
    replies = await user.ask(PASSWORD)
    assert any(rendered("register.passed_password") in m.plain for m in replies)


async def test_the_file_prompt_helps_phone_users(bot: Any) -> None:
    user = bot.user(7106)
    replies = await user.ask("/register")
    assert "휴대폰만 있다면" in replies[-1].plain
    kb = bot.services.faq.kb
    phone = kb.get("phone-only")
    assert phone is not None
    replies = await user.tap(rendered("register.btn_phone_only"))
    assert any(phone.title["ko"] in m.plain or "휴대폰" in m.plain for m in replies)
