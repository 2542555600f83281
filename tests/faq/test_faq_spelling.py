"""Jamo-level typo repair: one wrong vowel or final consonant stops hiding a domain word."""

from __future__ import annotations

from faq.spelling import Speller, to_jamo

WORDS = ["인증서", "공동인증서", "주민번호", "영어", "고객센터", "고르", "등록"]
TARGETS = ["인증서", "공동인증서", "주민번호", "영어", "고객센터", "등록"]


def test_to_jamo_decomposes_syllables_and_keeps_the_rest() -> None:
    assert to_jamo("인증서") == "ㅇㅣㄴㅈㅡㅇㅅㅓ"
    assert to_jamo("pc 가") == "pc ㄱㅏ"


def test_wrong_missing_or_extra_final_and_wrong_vowel_are_repaired() -> None:
    speller = Speller(WORDS, TARGETS)
    assert speller.correct("인즌서") == "인증서"  # wrong final
    assert speller.correct("공동인즌서") == "공동인증서"
    assert speller.correct("주민벊호") == "주민번호"  # extra final
    assert speller.correct("엉어") == "영어"  # wrong vowel
    assert speller.correct("고객샌터") == "고객센터"  # ㅐ/ㅔ
    assert speller.correct_text("인즌서 등롯") == "인증서 등록"


def test_known_words_initial_consonants_and_non_targets_are_left_alone() -> None:
    speller = Speller(WORDS, TARGETS)
    assert speller.correct("고르") == "고르"  # known
    assert speller.correct("모르") == "모르"  # would need another initial consonant (고르)
    assert speller.correct("인증서류") == "인증서류"  # a whole extra syllable is not a typo
    assert speller.correct("pc") == "pc"
    assert speller.correct("등") == "등"  # too short to judge
