"""The matcher answers clear questions, suggests when unsure and falls back off topic."""

from __future__ import annotations

import pytest

from faq.evaluation import check_knowledge_base
from faq.kb import load_knowledge_base
from faq.matcher import Matcher, MatchSettings


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_knowledge_base())


@pytest.mark.parametrize(
    ("query", "entry_id"),
    [
        ("타행 인증서 등록 어떻게 해요?", "how-to-register"),
        ("인증서해제하는법", "how-to-revoke"),
        ("비번 까먹었어요 ㅠㅠ", "forgot-password"),
        ("타행 인증서는 한 번 사용하면 더 이상 등록할 수 없나요?", "reregister-anytime"),
        ("공동인증서에 대한 보안은 안전한가요?", "is-it-secure"),
        ("dlswmdtj gowp qkdqjq", "how-to-revoke"),
        ("NPKI 폴더 어디에 있어요", "which-files"),
        ("금융인증서도 등록되나요", "financial-vs-joint"),
        ("How do I register another bank's certificate?", "how-to-register"),
        ("I forgot my certificate password", "forgot-password"),
    ],
)
def test_clear_questions_are_answered(matcher: Matcher, query: str, entry_id: str) -> None:
    result = matcher.match(query)
    assert result.entry_id == entry_id
    assert result.decision == "answer"
    assert result.scores[0] == (entry_id, result.score)


@pytest.mark.parametrize(
    ("query", "entry_id"),
    [
        ("인즌서 해제 방법", "how-to-revoke"),
        ("엉어로 바꿔 주세요", "change-language"),
        ("고객샌터 전화번호", "contact-support"),
        ("주민벊호 왜 필요해요", "identity-check"),
        ("케이뱅크 에 인증서 를 등록 하는 순서", "how-to-register"),
        ("해제 하고 나서 계좌 에 문제 없나요", "after-revoke"),
    ],
)
def test_typos_and_detached_particles_are_understood(
    matcher: Matcher, query: str, entry_id: str
) -> None:
    result = matcher.match(query)
    assert (result.decision, result.entry_id) == ("answer", entry_id)


@pytest.mark.parametrize("query", ["오늘 날씨 어때요", "대출 금리 알려주세요", "tell me a joke"])
def test_off_topic_falls_back_but_still_names_the_best_entry(matcher: Matcher, query: str) -> None:
    result = matcher.match(query)
    assert result.decision == "fallback"
    assert result.suggestions == ()
    assert result.entry_id is not None


@pytest.mark.parametrize("query", ["  ?! ", "ㅋㅋㅋ", "😀"])
def test_empty_query_falls_back(matcher: Matcher, query: str) -> None:
    result = matcher.match(query)
    assert result.decision == "fallback"
    assert result.entry_id is None


def test_language_is_detected(matcher: Matcher) -> None:
    assert matcher.match("인증서 등록").lang == "ko"
    assert matcher.match("register certificate").lang == "en"
    assert matcher.match("dlswmdtj emdfhr").lang == "ko"


def test_suggest_offers_two_or_three_entries() -> None:
    # With an unreachable answer threshold every in-scope match must become a suggestion.
    strict = Matcher(load_knowledge_base(), MatchSettings(99.9, 40.0, 50.0))
    result = strict.match("인증서 해제")
    assert result.decision == "suggest"
    assert 2 <= len(result.suggestions) <= 3
    assert result.suggestions[0] == result.entry_id == "how-to-revoke"


def test_shipped_kb_passes_check(matcher: Matcher) -> None:
    assert check_knowledge_base(matcher.kb, matcher) == []


def test_mixed_english_and_korean_query_uses_the_english_phrasings(matcher: Matcher) -> None:
    result = matcher.match("what is the difference between 범용 and 은행용 certificate")
    assert result.entry_id == "certificate-types"


@pytest.mark.parametrize("query", ["정기예금 만기 되면 어떻게 되나요", "적금 만기일 알려주세요"])
def test_other_banking_products_fall_back(matcher: Matcher, query: str) -> None:
    assert matcher.match(query).decision == "fallback"


def test_other_product_word_does_not_hide_a_certificate_question(matcher: Matcher) -> None:
    assert matcher.match("대출 받으려는데 인증서 등록 어떻게 해요").entry_id == "how-to-register"


def test_presorted_words_score_exactly_as_token_sort_ratio(matcher: Matcher) -> None:
    """The matcher sorts each phrasing's words once and compares with ratio: the scores must
    be rapidfuzz's token_sort_ratio, whitespace oddities included."""
    from rapidfuzz import fuzz

    from faq.matcher import _sorted_words

    phrasings = [p for lang in ("ko", "en") for p in matcher._choices[lang].spaced]
    queries = ["인증서 등록 방법", "  등록   인증서 타행 ", "password forgot my", "a", "", "해제\t등록"]
    for query in queries:
        for phrasing in phrasings[::7]:
            expected = fuzz.token_sort_ratio(query, phrasing)
            assert fuzz.ratio(_sorted_words(query), _sorted_words(phrasing)) == expected
