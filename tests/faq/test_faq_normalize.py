"""Normalisation makes spacing, synonyms, typos and English-layout typing irrelevant."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from faq.normalize import detect_language, en_layout_to_hangul, normalize, strip_spaces


def test_english_layout_is_read_as_hangul() -> None:
    assert en_layout_to_hangul("dlswmdtj") == "인증서"
    assert en_layout_to_hangul("rhdehddlswmdtj gowp") == "공동인증서 해제"
    # Shift gives tense consonants; compound vowels and finals compose.
    assert en_layout_to_hangul("dlTek") == "있다"
    assert en_layout_to_hangul("rhkswjd") == "관정"
    assert en_layout_to_hangul("dlfr") == "읽"


def test_normalize_converts_english_layout_only_when_it_looks_korean() -> None:
    assert normalize("dlswmdtj emdfhr") == "인증서 등록"
    assert normalize("How do I register my certificate") == "how do register my certificate"
    assert detect_language("dlswmdtj") == "ko"
    assert detect_language("the cert") == "en"


def test_synonyms_and_abbreviations() -> None:
    assert normalize("공인인증서") == normalize("공동인증서")
    assert normalize("타은행 인증서") == normalize("다른 은행 인증서") == "타행 인증서"
    assert normalize("비번") == "비밀번호"
    assert "케이뱅크" in normalize("케뱅 앱")
    assert normalize("인증서 해지") == normalize("인증서 해제")
    assert normalize("my cert") == "my certificate"


def test_spacing_punctuation_emoji_and_endings_do_not_matter() -> None:
    a = strip_spaces(normalize("인증서 등록 방법이 뭐예요?? 😭"))
    b = strip_spaces(normalize("인증서등록방법 뭐에요"))
    assert a == b
    assert normalize("ㅠㅠ 혹시 비번 까먹었어요!!") == normalize("비밀번호 잊어버렸어요")


def test_common_typos() -> None:
    assert normalize("인정서 등럭") == "인증서 등록"
    assert normalize("공동 인증써") == normalize("공동인증서")


def test_case_and_width_fold() -> None:
    assert normalize("ＮＰＫＩ Folder") == "npki folder"


@given(st.text(max_size=60))
def test_normalize_never_fails_and_is_clean(text: str) -> None:
    result = normalize(text)
    assert result == result.strip()
    assert "  " not in result
    assert all(ch.isalnum() or ch == " " for ch in result)
    assert detect_language(text) in ("ko", "en")


def test_casual_and_formal_endings_fold_to_the_same_stem() -> None:
    assert normalize("등록 안됩니다") == normalize("등록 안 돼요") == normalize("등록 안되나여")
    assert (
        normalize("해제하고 싶습니다") == normalize("해제하고싶음") == normalize("해제하고 싶어요")
    )
    assert normalize("확인 부탁드립니다") == "확인"
    assert normalize("메세지 보내주나여") == normalize("메시지 보내주나요")


def test_everyday_phrases_map_to_domain_words() -> None:
    assert normalize("비번 생각이 안 나요") == normalize("비밀번호 잊어버렸어요")
    assert normalize("인증서 기간이 지났어요") == normalize("인증서 만료")
    assert normalize("등록 풀고 싶어요") == normalize("해제")
    assert normalize("스크린샷") == normalize("캡쳐") == "캡처"
    # Losing a thing is not forgetting a password.
    assert normalize("인증서 잃어버렸어요") != normalize("비밀번호 잊어버렸어요")


def test_detached_particles_and_light_verbs_do_not_matter() -> None:
    # Spacing every morpheme apart, as some older customers do, reads like ordinary spacing.
    assert normalize("케이뱅크 에 등록 하는 순서 를") == normalize("케이뱅크에 등록하는 순서를")
    assert normalize("해제 사유 를 선택 합니다") == normalize("해제 사유를 선택합니다")


def test_every_way_of_saying_after_is_one_word() -> None:
    after = normalize("해제 후")
    assert normalize("해제하고 나면") == normalize("해제한 뒤에") == after
    assert normalize("해제 하고 나서") == normalize("해제한 다음에") == after


def test_quotative_is_the_thing_itself() -> None:
    assert normalize("공동인증서라는 게") == normalize("공동인증서 라는것이") == "공동인증서"


@given(
    st.text(
        alphabet=st.sampled_from(list("인증서 등록cert PWpin files Kſ-?1")) | st.characters(),
        max_size=40,
    )
)
@example("인증서 PW 잊어버림")  # upper case only: still English
@example("인증서 FILES")
def test_code_switch_shortcut_changes_nothing(text: str) -> None:
    """apply_code_switch skips its patterns when a text has no Latin letter: the result must
    be what running every pattern gives (Kelvin sign and long s match [a-z] ignoring case)."""
    from faq.normalize import _CODE_SWITCH, apply_code_switch

    expected = text
    if any("가" <= ch <= "힣" for ch in text):
        for pattern, korean in _CODE_SWITCH:
            expected = pattern.sub(f" {korean} ", expected)
    assert apply_code_switch(text) == expected
