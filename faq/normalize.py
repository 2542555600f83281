"""Text normalisation for the FAQ matcher: one function shapes both the knowledge-base phrasings
and the customer's query, so that spacing, particles, synonyms, typos and Korean typed on an
English keyboard layout stop mattering before rapidfuzz scores anything. Pure functions only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "CODE_SWITCH",
    "COMMON_ENGLISH_WORDS",
    "apply_code_switch",
    "detect_language",
    "en_layout_fix",
    "en_layout_to_hangul",
    "hangul_to_en_layout",
    "normalize",
    "strip_spaces",
]

# --- Korean typed on an English (QWERTY) keyboard: the standard 2-beolsik layout -------------

_KEY_TO_JAMO: dict[str, str] = {
    "q": "ㅂ", "w": "ㅈ", "e": "ㄷ", "r": "ㄱ", "t": "ㅅ", "y": "ㅛ", "u": "ㅕ", "i": "ㅑ",
    "o": "ㅐ", "p": "ㅔ", "a": "ㅁ", "s": "ㄴ", "d": "ㅇ", "f": "ㄹ", "g": "ㅎ", "h": "ㅗ",
    "j": "ㅓ", "k": "ㅏ", "l": "ㅣ", "z": "ㅋ", "x": "ㅌ", "c": "ㅊ", "v": "ㅍ", "b": "ㅠ",
    "n": "ㅜ", "m": "ㅡ",
    # Shift gives the tense consonants and two diphthongs; other capitals are plain letters.
    "Q": "ㅃ", "W": "ㅉ", "E": "ㄸ", "R": "ㄲ", "T": "ㅆ", "O": "ㅒ", "P": "ㅖ",
}  # fmt: skip

_INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_MEDIALS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_FINALS = ("", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ", "ㄿ",
           "ㅀ", "ㅁ", "ㅂ", "ㅄ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ")  # fmt: skip
_COMPOUND_VOWELS = {
    ("ㅗ", "ㅏ"): "ㅘ", ("ㅗ", "ㅐ"): "ㅙ", ("ㅗ", "ㅣ"): "ㅚ", ("ㅜ", "ㅓ"): "ㅝ",
    ("ㅜ", "ㅔ"): "ㅞ", ("ㅜ", "ㅣ"): "ㅟ", ("ㅡ", "ㅣ"): "ㅢ",
}  # fmt: skip
_COMPOUND_FINALS = {
    ("ㄱ", "ㅅ"): "ㄳ", ("ㄴ", "ㅈ"): "ㄵ", ("ㄴ", "ㅎ"): "ㄶ", ("ㄹ", "ㄱ"): "ㄺ",
    ("ㄹ", "ㅁ"): "ㄻ", ("ㄹ", "ㅂ"): "ㄼ", ("ㄹ", "ㅅ"): "ㄽ", ("ㄹ", "ㅌ"): "ㄾ",
    ("ㄹ", "ㅍ"): "ㄿ", ("ㄹ", "ㅎ"): "ㅀ", ("ㅂ", "ㅅ"): "ㅄ",
}  # fmt: skip
_INITIAL_INDEX = {c: i for i, c in enumerate(_INITIALS)}
_MEDIAL_INDEX = {c: i for i, c in enumerate(_MEDIALS)}
_FINAL_INDEX = {c: i for i, c in enumerate(_FINALS) if c}


def _is_vowel(jamo: str) -> bool:
    return jamo in _MEDIAL_INDEX


def _compose(jamos: list[str]) -> tuple[str, int, bool]:
    """Run the 2-beolsik automaton; return (text, syllable count, every jamo went into a syllable)."""
    out: list[str] = []
    syllables = 0
    complete = True
    i, n = 0, len(jamos)
    while i < n:
        cho = jamos[i]
        if cho in _INITIAL_INDEX and i + 1 < n and _is_vowel(jamos[i + 1]):
            jung = jamos[i + 1]
            i += 2
            if i < n and (jung, jamos[i]) in _COMPOUND_VOWELS:
                jung = _COMPOUND_VOWELS[(jung, jamos[i])]
                i += 1
            jong = ""
            # A consonant followed by a vowel starts the next syllable instead of closing this one.
            if i < n and jamos[i] in _FINAL_INDEX and not (i + 1 < n and _is_vowel(jamos[i + 1])):
                jong = jamos[i]
                i += 1
                nxt = jamos[i] if i < n else ""
                if (jong, nxt) in _COMPOUND_FINALS and not (i + 1 < n and _is_vowel(jamos[i + 1])):
                    jong = _COMPOUND_FINALS[(jong, nxt)]
                    i += 1
            code = 0xAC00 + (_INITIAL_INDEX[cho] * 21 + _MEDIAL_INDEX[jung]) * 28
            out.append(chr(code + (_FINAL_INDEX[jong] if jong else 0)))
            syllables += 1
        else:
            out.append(cho)
            complete = False
            i += 1
    return "".join(out), syllables, complete


def _convert_word(word: str) -> tuple[str, int, bool]:
    jamos = [_KEY_TO_JAMO.get(ch) or _KEY_TO_JAMO[ch.lower()] for ch in word]
    return _compose(jamos)


_LATIN_WORD = re.compile(r"[A-Za-z]+")


def en_layout_to_hangul(text: str) -> str:
    """Read every run of Latin letters as keys pressed on a 2-beolsik keyboard ("dlswmdtj" → 인증서)."""
    return _LATIN_WORD.sub(lambda m: _convert_word(m.group())[0], text)


# The reverse: one key per jamo (Shift only for the tense consonants and ㅒ/ㅖ).
_JAMO_TO_KEY = {jamo: key for key, jamo in _KEY_TO_JAMO.items()}
_SPLIT_JAMO = {v: a + b for (a, b), v in (_COMPOUND_VOWELS | _COMPOUND_FINALS).items()}


def _keys(jamo: str) -> str:
    return "".join(_JAMO_TO_KEY.get(j, j) for j in _SPLIT_JAMO.get(jamo, jamo))


def hangul_to_en_layout(text: str) -> str:
    """The keys pressed for Hangul typed on a 2-beolsik keyboard ("ㅅㄷㄴㅅ1234!" → test1234!):
    syllables are decomposed into jamo first; anything else stays as it is."""
    out: list[str] = []
    for char in text:
        code = ord(char) - 0xAC00
        if 0 <= code < 11172:
            out.append(_keys(_INITIALS[code // 588]) + _keys(_MEDIALS[code % 588 // 28]))
            out.append(_keys(_FINALS[code % 28]))
        else:
            out.append(_keys(char))
    return "".join(out)


# English words that happen to compose into clean Hangul must stay English ("go" → 해).
COMMON_ENGLISH_WORDS: frozenset[str] = frozenset(
    """a an and are as at be bank by can cert certs certificate code did do does dog for from go
    got had has have he her him his how i if in is it its me my no not of ok on or our pc pin she
    so the them then this to too up us was we what when where which who why will with yes you
    your hi hey help thanks please kbank app usb pfx zip der key id""".split()
)


def _layout_fix(text: str, english_words: frozenset[str]) -> str:
    """Convert English-layout Korean words, but only when the text really looks like it.

    A word qualifies when it composes into at least two whole syllables with no stray jamo and is
    not a known English word; ordinary English ("certificate" → ㅊㄷㄱㅅ...) never composes cleanly.
    Once one word qualifies, shorter clean words in the same text (e.g. "tj" → 서) follow it.
    """
    words = _LATIN_WORD.findall(text)
    if not words:
        return text
    converted: dict[str, str] = {}
    strong = False
    for word in words:
        if word.lower() in english_words or word.lower() in COMMON_ENGLISH_WORDS:
            continue
        hangul, syllables, complete = _convert_word(word)
        if complete:
            converted[word] = hangul
            strong = strong or syllables >= 2
    if not strong:
        return text
    return _LATIN_WORD.sub(lambda m: converted.get(m.group(), m.group()), text)


def en_layout_fix(text: str, english_words: Iterable[str] = ()) -> str:
    """Korean typed on the English layout, converted back (see `_layout_fix`)."""
    return _layout_fix(text, _vocabulary(english_words))


# --- English words inside Korean ---------------------------------------------------------------
# "cert 해제하는 menu 어디", "password 까먹음", "customer center 전화번호요": a Korean sentence
# borrowing our domain's English words. Mapped only when the text also holds Hangul, so an
# English question stays English.
CODE_SWITCH: tuple[tuple[str, str], ...] = (
    (r"customer\s*(?:center|centre|service)|call\s*center|cs\s*center", "고객센터"),
    (r"joint\s*cert(?:ificate)?s?", "공동인증서"),
    (r"financial\s*cert(?:ificate)?s?", "금융인증서"),
    (r"cert(?:ificate)?s?|certs?", "인증서"),
    (r"un-?register(?:ed|ing)?|de-?register(?:ed|ing)?|release[ds]?|remove[ds]?|delete[ds]?", "해제"),
    (r"register(?:ed|ing|s)?|registration|reg", "등록"),
    (r"reasons?", "사유"),
    (r"expir(?:e|ed|es|y|ation)", "만료"),
    (r"pass\s*words?|pw|pwd|pword|passwd|pin", "비밀번호"),
    (r"safe(?:ty)?|secure|security", "안전"),
    (r"contacts?", "문의"),
    (r"renew(?:al|ed)?", "갱신"),
    (r"re-?issue[ds]?", "재발급"),
    (r"lock(?:ed)?", "잠김"),
    (r"files?", "파일"),
    (r"upload(?:ed|ing)?", "업로드"),
    (r"errors?", "오류"),
    (r"phone|mobile|smartphone", "휴대폰"),
    (r"menu", "메뉴"),
    (r"issuers?", "발급기관"),
    (r"reminders?|alarm|notification|noti", "알림"),
    (r"corporate|business", "법인"),
    (r"english", "영어"),
    (r"korean", "한국어"),
    (r"language", "언어"),
    (r"list", "목록"),
)
_CODE_SWITCH = tuple(
    (re.compile(rf"(?<![a-z]){pattern}(?![a-z])", re.IGNORECASE), korean)
    for pattern, korean in CODE_SWITCH
)
_ANY_HANGUL = re.compile(r"[가-힣]")
# Every CODE_SWITCH pattern starts with a letter a-z, matched case-insensitively as here: a
# text this finds nothing in is left unchanged by all of them (most Korean questions).
_ANY_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


def apply_code_switch(text: str) -> str:
    """Map the domain's English words to Korean inside a Korean sentence; else unchanged."""
    if not _ANY_HANGUL.search(text) or not _ANY_LATIN.search(text):
        return text
    for pattern, korean in _CODE_SWITCH:
        text = pattern.sub(f" {korean} ", text)
    return text


# --- synonyms, abbreviations and common typos ------------------------------------------------


def _spaced(term: str) -> str:
    """A Korean term as a regex that also matches it with spaces between its syllables."""
    return r"\s*".join(re.escape(ch) for ch in term)


def _alts(*terms: str) -> str:
    return "|".join(_spaced(t) for t in terms)


# Order matters: longer and more specific forms first. Each pair is (regex, replacement).
_KO_SYNONYMS: tuple[tuple[str, str], ...] = (
    (
        _alts("인정서", "인즘서", "인증써", "인쯩서", "인증소", "인증사", "인정써", "인ㅈ증서"),
        "인증서",
    ),
    (
        _alts("공인인증서", "공인인정서", "공인인증", "공동인정서", "공동인증서", "공동인증"),
        "공동인증서",
    ),
    (_alts("금융인증서", "금융인정서"), "금융인증서"),
    (
        _alts("타은행", "다른은행", "타기관", "다른기관", "타행", "다른곳", "다른데", "딴은행"),
        "타행",
    ),
    (
        _alts("비밀번호", "비밀먼호", "비빌번호", "비밀번허", "패스워드", "비번", "암호", "비밀번"),
        "비밀번호",
    ),
    (
        _alts("케이뱅크", "케이뱅", "케뱅크", "케뱅", "k뱅크", "kbank", "k bank", "케이벵크"),
        "케이뱅크",
    ),
    (_alts("등록해제", "등록해지", "해지", "헤제", "해재", "해쟤"), "해제"),
    (_alts("재발행", "재발급"), "재발급"),
    (_alts("갱신", "겡신", "갱싱"), "갱신"),
    (_alts("등록", "등럭", "등룩", "드록"), "등록"),
    (_alts("주민등록번호", "주민번호"), "주민번호"),
    (_alts("사업자등록번호", "사업자번호"), "사업자번호"),
    (_alts("고객센터", "고객센타", "콜센터", "콜센타", "고객센", "고객상담센터"), "고객센터"),
    (_alts("상담원", "상담사", "상담직원"), "상담원"),
    # "the period ran out" is how customers say expired, before 유효기간 is folded below.
    (
        r"(?:유효\s*)?기[간한]\s*(?:이|가)?\s*(?:다\s*)?(?:끝나|끝났|지나|지났|넘었|넘어|다\s*됐|다\s*되)",
        "만료",
    ),
    (_alts("유효기간", "유효기한"), "유효기간"),
    (_alts("만료일", "만기일"), "만료일"),
    (_alts("만료", "만기"), "만료"),
    (_alts("컴퓨터", "컴터", "피씨", "노트북", "데스크탑", "데스크톱"), "pc"),
    (r"(?:핸드|핸|스마트|아이|휴대)?폰|휴대\s*전화|갤럭시|모바일", "휴대폰"),
    (_alts("어떻게", "어케", "어캐", "어떡해", "어떻해", "어뜨케", "어떻케"), "어떻게"),
    # Every form of "doesn't work" (안 돼요, 안됩니다, 안 되는데, 안될까요) is one word.
    (r"(?<![가-힣])안\s*(?:돼|되|됨|됌|됬|됩|된|될)[가-힣]*", "안돼"),
    (_alts("됬"), "됐"),
    (r"(?:뭐|머|모)(?:에요|예요|야|임|죠|냐|에여)|뭔가요|뭔데|뭔지", "뭐"),
    (
        r"(?:기억|생각)\s*(?:이|가)?\s*안\s*나|"
        + _alts("잊어버렸", "까먹었", "까묵었", "잊어먹었", "잊었", "잊음"),
        "잊어버렸",
    ),
    (_alts("잊어버", "까먹", "까묵", "잊어먹", "헷갈리", "헷갈려"), "잊어버"),
    # Losing a thing (a file, a USB stick) is 분실, not forgetting a password.
    (_alts("잃어버렸", "잃어버", "잃어벼", "잃었", "분실"), "분실"),
    # Ending a registration in everyday words is a release.
    (
        r"등록\s*(?:을|를|된\s*거|한\s*거)?\s*(?:풀|빼|끊|없애)|연동\s*(?:을|를)?\s*(?:해제|끊|풀)",
        "해제",
    ),
    (r"스크린\s*샷|스샷|화면\s*캡[처쳐]|스크린\s*캡[처쳐]|캡쳐", "캡처"),
    (_alts("메세지", "메시지", "매세지", "채팅", "문자"), "메시지"),
    # "after doing X" in all its shapes: 해제 후 / 해제한 뒤 / 해제하고 나면 / 등록한 다음에.
    (
        r"\s*(?:하|되|해)?고\s*(?:나|난)\s*(?:면|서|니|선|후|뒤|다음)(?:에는|에도|에|엔)?"
        r"|\s*(?:한|된)\s*(?:다음|뒤|후)(?:에는|에도|에|엔)?(?![가-힣])"
        r"|(?<![가-힣])(?:이후|뒤\s*(?:에는|에도|에|엔))|다음\s*(?:에는|에|엔)",
        " 후",
    ),
    # The quotative "X라는 게 / X이라는 것이" (what is this thing called X) is just X.
    (r"(?<=[가-힣])\s*(?:이)?라는\s*(?:것이|것은|게|거|건|것)(?![가-힣])", ""),
    # "want to": 하고 싶어요 / 하고싶음 / 하고 싶은데 are all the verb alone.
    (r"\s*고\s*싶[가-힣]*", ""),
    (r"\s*고자\s*(?:합니다|해요|하는데요|하는데|함|하오니)?(?![가-힣])", ""),
)

_EN_SYNONYMS: tuple[tuple[str, str], ...] = (
    (r"\bcerts?\b|\bcertificates\b|\bcertficate\b|\bcertifcate\b|\bcertificat\b", "certificate"),
    (r"\bpw\b|\bpwd\b|\bpasswd\b|\bpass word\b|\bpasword\b|\bpassowrd\b", "password"),
    (r"\bcent(?:re|er)\b", "center"),
    (r"\brecognised\b", "recognized"),
    (r"\bcell ?phone\b|\bsmart ?phone\b|\bmobile phone\b|\bmobile\b", "phone"),
    (r"\bcomputer\b|\blaptop\b|\bdesktop\b", "pc"),
    (r"\bun-?register\b|\bde-?register\b", "unregister"),
    (r"\bre-?new(?:al|ing|ed)?\b", "renew"),
    (r"\bre-?issu(?:e|ed|ing)\b", "reissue"),
    (r"\bexpir(?:e|ed|es|y|ation|ing)\b", "expire"),
)

_KO_PATTERNS = tuple((re.compile(p), r) for p, r in _KO_SYNONYMS)
_EN_PATTERNS = tuple((re.compile(p), r) for p, r in _EN_SYNONYMS)

# Words that carry no meaning for matching (greetings, hedges, politeness).
_FILLERS = frozenset(
    """혹시 좀 저기 저기요 제가 저는 저 나 내가 안녕하세요 안녕 그냥 진짜 너무 아 음 근데 그런데
    여기 지금 해요 하나요 돼요 되나요 되나 인가요 할까요 하죠 해줘 해주세요 주세요 알려주세요 궁금해요
    궁금합니다 부탁드립니다 부탁드려요 부탁합니다 부탁해요 문의드립니다 문의드려요 문의합니다
    감사합니다 감사하겠습니다 됨 됌 되요 되여 돼여 가능 가능해요 가능한가요 ㅠㅠ ㅠ ㅜㅜ 좀요
    the a an please pls plz hi hello hey um just i""".split()
)

# Endings and particles stripped from the end of a Korean word, longest first. Both sides of the
# match are stripped the same way, so over-stripping is harmless; it only has to be consistent.
_ENDINGS = tuple(
    sorted(
        """해주세요 주세요 하나요 인가요 할까요 되나요 됩니까 습니까 습니다 이에요 이예요 예요 에요
        나요 가요 까요 세요 해요 어요 아요 죠 요 냐 니 임 음 함
        나여 나염 에여 예여 어여 아여 해여 세여 여 져
        는데요 은데요 인데요 는데 은데 인데 던데 는지 은지 인지 는거 는건 는건데 는건지
        거든요 거든 잖아요 잖아 을까요 을까 ㄹ까
        야되나요 야되나 야돼요 야돼 야되 야하나요 야하나 야함 야해요 야해""".split(),
        key=len,
        reverse=True,
    )
)
_PARTICLES = tuple(
    sorted(
        "은 는 이 가 을 를 에 에서 으로 로 도 의 랑 이랑 하고 와 과 만 에는 으로는 로는 상 까지 부터 께".split(),
        key=len,
        reverse=True,
    )
)

_NOISE = re.compile(r"[^0-9a-z가-힣\s]+")
_SPACES = re.compile(r"\s+")
_HANGUL = re.compile(r"[가-힣ㄱ-ㅎㅏ-ㅣ]")
_LATIN = re.compile(r"[a-z]")


_FINAL_B = 17  # index of ㅂ among the final consonants: 합/됩/입/드립 + 니다


def _strip_polite(word: str) -> str:
    """Drop the formal ㅂ니다/ㅂ니까 ending: 됩니다 → 되, 드립니다 → 드리, 입니다 → 이."""
    if len(word) >= 3 and word[-2:] in ("니다", "니까"):
        code = ord(word[-3]) - 0xAC00
        if 0 <= code < 11172 and code % 28 == _FINAL_B:
            return word[:-3] + chr(0xAC00 + code - _FINAL_B)
    return word


def _by_length(suffixes: tuple[str, ...]) -> tuple[tuple[int, frozenset[str]], ...]:
    """Suffixes grouped by length, longest first: a word has one suffix of each length, so the
    longest listed one is found with a set lookup per length instead of a scan of the list."""
    lengths = sorted({len(x) for x in suffixes}, reverse=True)
    return tuple((n, frozenset(x for x in suffixes if len(x) == n)) for n in lengths)


_ENDINGS_BY_LENGTH = _by_length(_ENDINGS)
_PARTICLES_BY_LENGTH = _by_length(_PARTICLES)


def _strip_suffix(word: str, groups: tuple[tuple[int, frozenset[str]], ...]) -> str | None:
    """The word without its longest listed suffix that leaves two letters, or None."""
    for n, suffixes in groups:
        if len(word) - n >= 2 and word[-n:] in suffixes:
            return word[:-n]
    return None


def _strip_word(word: str) -> str:
    if not _HANGUL.search(word):
        return word
    stem = _strip_suffix(word, _ENDINGS_BY_LENGTH)
    word = _strip_polite(word) if stem is None else stem
    stem = _strip_suffix(word, _PARTICLES_BY_LENGTH)
    return word if stem is None else stem


# Customers who space every morpheme ("케이뱅크 에 등록 하는 순서 를") leave particles, endings
# and the light verbs 하다/되다/이다 as words of their own. A lone particle or ending is dropped
# (it would have been stripped had it been attached); a light verb is glued back onto the word
# before it, once, and then stripped like any other ending, so the spacing stops mattering.
_DETACHED = frozenset(_PARTICLES) | frozenset(_ENDINGS)
_LIGHT_VERB = re.compile(
    r"(?:하|해|했|합|할|되|돼|됐|됩|될|된|되었|되어|입|였|이었)"
    r"(?:는|는지|는데|고|면|야|도|서|지|다|다고|니다|니까|나요|세요|요|어요|아요|기|게|려면|려고"
    r"|때|었|었다고|었는데|었습니다|어야|도록|고요|는데요|지요|죠|시|십시오|셔야)?"
)


def _glue_detached(words: list[str]) -> list[str]:
    out: list[str] = []
    glued = False  # the last word already took a light verb: "순서 로 하면 되는지" stays apart
    for word in words:
        after_hangul = bool(out) and bool(_HANGUL.search(out[-1]))
        if after_hangul and word in _DETACHED:
            continue
        if after_hangul and not glued and _LIGHT_VERB.fullmatch(word):
            out[-1] += word
            glued = True
        else:
            out.append(word)
            glued = False
    return out


def _vocabulary(words: Iterable[str]) -> frozenset[str]:
    # The matcher passes one prepared lower-case frozenset per query: don't copy it every time.
    if isinstance(words, frozenset):
        return words
    return frozenset(w.lower() for w in words)


def normalize(text: str, *, english_words: Iterable[str] = ()) -> str:
    """Return the canonical form of a question: lower-case, no punctuation or emoji, synonyms
    and typos mapped, particles and endings stripped, English-layout Korean converted.

    `english_words` are extra words never to read as English-layout Korean (the matcher passes
    the vocabulary of the knowledge base's English phrasings).
    """
    text = unicodedata.normalize("NFKC", text)
    text = _layout_fix(text, _vocabulary(english_words))
    text = text.lower().replace("'", "").replace("’", "")
    text = apply_code_switch(text)
    text = _NOISE.sub(" ", text)
    for pattern, replacement in _KO_PATTERNS:
        text = pattern.sub(replacement, text)
    for pattern, replacement in _EN_PATTERNS:
        text = pattern.sub(replacement, text)
    words = [_strip_word(w) for w in _glue_detached(text.split()) if w not in _FILLERS]
    return _SPACES.sub(" ", " ".join(w for w in words if w)).strip()


def strip_spaces(text: str) -> str:
    """Korean users often drop spaces; comparing without any makes that irrelevant."""
    return text.replace(" ", "")


def detect_language(text: str, *, english_words: Iterable[str] = ()) -> str:
    """Return "ko" when the text (after English-layout repair) has any Hangul, else "en"."""
    fixed = _layout_fix(unicodedata.normalize("NFKC", text), _vocabulary(english_words))
    if _HANGUL.search(fixed):
        return "ko"
    return "en" if _LATIN.search(fixed.lower()) else "ko"
