"""C1/C2: what the customer types at the password prompt gets the answer it asks for."""

from __future__ import annotations

from typing import Any

import pytest

from bot.flows.password_input import cannot_be_password, password_candidates
from bot.texts import Html
from faq.normalize import hangul_to_en_layout
from tests.conftest import PASSWORD, cert
from tests.support import rendered, says, upload_pair


@pytest.mark.parametrize(
    "text",
    [
        "비밀번호를 잊어버렸어요 어떻게 해요?",
        "비밀번호 모르겠어요",
        "비밀번호가뭐예요?",
        "  인증서 비밀번호   ",
        "I forgot my password?",
        "what is the password?",
    ],
)
def test_questions_cannot_be_passwords(text: str) -> None:
    assert cannot_be_password(text)


@pytest.mark.parametrize(
    "text",
    [
        PASSWORD,
        "test1234!",
        "ㅅㄷㄴㅅ1234!",  # test1234! typed with the Korean keyboard on
        "뮻요1234!",  # syllables composed by the Korean keyboard, no spaces
        "도와주세요",  # one token: a password typed in Korean mode could read like this
        "ehdhkwntpdy?",
        "password?",
        "비밀번호 800101-1234567",  # a resident number stays a secret
        "",
        "   ",
    ],
)
def test_passwords_stay_passwords(text: str) -> None:
    assert not cannot_be_password(text)


async def _at_password_prompt(user: Any, name: str) -> None:
    await user.ask("/register")
    await upload_pair(user, cert(name=name))


async def test_question_at_password_prompt_is_answered_and_costs_no_try(bot: Any) -> None:
    user = bot.user(6101)
    await _at_password_prompt(user, "질문")
    question = "비밀번호를 잊어버렸어요 어떻게 해요?"
    replies = await user.ask(question)
    entry = bot.services.faq.entry("forgot-password")
    assert says(replies, "faq.mid_flow_answer", answer=Html(entry.answer["ko"]))
    assert says([replies[-1]], "register.ask_password")  # the prompt again
    assert not any("시도할 수 있어요" in m.plain for m in replies)
    assert not user.user_messages[-1].deleted  # a question, not a password: kept
    replies = await user.ask("not-the-password-1")
    assert says(replies, "register.wrong_password", remaining=4)  # the question cost nothing
    replies = await user.ask(PASSWORD)
    assert user.user_messages[-1].deleted
    assert rendered("register.btn_register") in replies[-1].labels


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("ㅅㄷㄴㅅ1234!", "test1234!"),
        ("ㅂㅈㄷㄱ쇼1!", "qwerty1!"),  # syllables the Korean keyboard composed
        ("ㅃㅉㄸㄲㅆㅒㅖ", "QWERTOP"),  # Shift: tense consonants, ㅒ and ㅖ
        ("괜찮아요", "rhoscksgdkdy"),  # compound vowel ㅙ and compound final ㄶ split
        ("닭12", "ekfr12"),
        ("plain-ascii1!", "plain-ascii1!"),
    ],
)
def test_hangul_to_en_layout(typed: str, keys: str) -> None:
    assert hangul_to_en_layout(typed) == keys


def test_password_candidates() -> None:
    assert password_candidates("test1234!") == ("test1234!",)
    assert password_candidates("ㅅㄷㄴㅅ1234!") == ("ㅅㄷㄴㅅ1234!", "test1234!")


async def test_password_typed_with_korean_keyboard_is_tried_on_english_layout(bot: Any) -> None:
    user = bot.user(6102)
    await user.ask("/register")
    await upload_pair(user, cert(name="한영", password="test1234!"))
    replies = await user.ask("ㅅㄷㄴㅅ1234!")
    assert user.user_messages[-1].deleted
    assert rendered("register.btn_register") in replies[-1].labels


async def test_wrong_korean_keyboard_password_counts_once_and_reminds_of_the_key(bot: Any) -> None:
    user = bot.user(6103)
    await user.ask("/register")
    await upload_pair(user, cert(name="한영틀림", password="test1234!"))
    replies = await user.ask("ㅅㄷㄴㅅ9999!")
    assert user.user_messages[-1].deleted
    assert says(replies, "register.wrong_password", remaining=4)  # one try, not two
    assert says(replies, "register.korean_keyboard")
    replies = await user.ask("test9999!")  # English layout, still wrong: no reminder
    assert says(replies, "register.wrong_password", remaining=3)
    assert not any(rendered("register.korean_keyboard") in m.plain for m in replies)
