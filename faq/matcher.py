"""The FAQ matcher: scores a customer's question against every phrasing in the knowledge base
with rapidfuzz and decides to answer, to suggest the closest entries, or to fall back.

Everything that does not depend on the query (normalised phrasings, keywords) is prepared once
in `Matcher.__init__`, so a match costs a few C-level rapidfuzz passes over short strings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from faq.kb import LANGUAGES, KnowledgeBase
from faq.normalize import detect_language, normalize, strip_spaces
from faq.spelling import Speller, to_jamo

__all__ = [
    "CORE_TERMS",
    "DOMAIN_TERMS",
    "MAX_FUZZY",
    "OTHER_PRODUCTS",
    "Decision",
    "MatchResult",
    "MatchSettings",
    "Matcher",
]

Decision = Literal["answer", "suggest", "fallback", "smalltalk"]


@dataclass(frozen=True)
class MatchSettings:
    """Decision thresholds on the 0-100 score; tuned on the dev sets (faq_dev*.yaml) only."""

    answer_threshold: float = 62.0  # at or above (and clear of the runner-up): answer
    suggest_threshold: float = 53.0  # at or above: offer the top entries as buttons
    margin: float = 4.0  # the best must beat the second by this much to be answered outright
    keyword_bonus: float = 6.0  # per keyword of the entry found in the query
    keyword_cap: float = 12.0  # keywords break ties; they must not outvote the phrasings
    off_topic_penalty: float = 14.0  # subtracted when the query has no word from our domain
    partial_floor: float = 0.7  # partial_ratio is scaled by floor + (1 - floor) * length ratio
    term_weight: float = 0.35  # share of the score from IDF-weighted term coverage (see below)
    suggest_window: float = 12.0  # entries this close to the best are offered as suggestions
    max_suggestions: int = 3


@dataclass(frozen=True)
class MatchResult:
    """What the matcher decided for one query, with the evidence the CLI shows."""

    query: str
    decision: Decision
    entry_id: str | None  # the best entry, even when the decision is a fallback
    score: float
    suggestions: tuple[str, ...]
    lang: str
    scores: tuple[tuple[str, float], ...]  # the top few (entry id, score), best first


# A query without any of these words is very likely about something else (loans, weather...),
# so its score is lowered: a fuzzy match on generic words alone must not produce an answer.
DOMAIN_TERMS: dict[str, tuple[str, ...]] = {
    "ko": (
        "인증서", "인증", "등록", "해제", "폐지", "폐기", "비밀번호", "타행", "케이뱅크", "갱신",
        "재발급", "발급", "만료", "유효", "파일", "npki", "pfx", "p12", "der", "signcert",
        "signpri", "kmcert", "zip", "압축", "폴더", "고객센터", "상담원", "상담", "주민번호",
        "사업자번호", "본인확인", "보안", "안전", "언어", "영어", "사유", "잠겼", "잠김", "잠금",
        "알림", "법인", "사업자", "휴대폰", "pc", "usb", "yessign", "전자서명", "해킹", "저장",
        "목록", "업로드", "올려", "올리", "발급기관", "인증기관", "명의", "비밀번", "전화번호",
        "문의", "사람", "직원", "한국어", "한글", "내보내기", "가져오기", "등록된", "개인키",
        # Words only one entry uses but that are ours all the same: kinds of certificate,
        # the issuers, what the bot keeps, the ways a file upload goes wrong.
        "범용", "용도제한", "은행용", "보험용", "금융결제원", "한국정보인증", "코스콤",
        "사인코리아", "한국전자인증", "개인정보", "서버", "보관", "피싱", "유출", "사진", "캡처",
        "첨부", "english", "내정보", "제정보",
    ),
    "en": (
        "certificate", "cert", "register", "registration", "release", "revoke", "revocation",
        "password", "kbank", "renew", "reissue", "expire", "valid", "file", "files", "npki",
        "pfx", "p12", "der", "signcert", "zip", "folder", "customer", "agent", "human",
        "person", "support", "contact", "resident", "identity", "secure", "safe", "security",
        "language", "english", "korean", "reason", "locked", "lock", "remind", "reminder",
        "corporate", "business", "phone", "pc", "usb", "issuer", "upload", "store", "keep",
        "private", "financial", "joint", "yessign", "help", "call", "unregister", "remove",
        "gongdong", "gongin", "injeungseo", "signkorea", "kica", "crosscert", "tradesign",
        "privacy", "data", "server", "phishing", "scam", "screenshot", "photo", "attach",
    ),
}  # fmt: skip

# Words of other banking products. "예금 만기" shares 만기 (→ 만료) with our domain, so a query
# naming another product is treated as off topic unless it also says something only we cover.
OTHER_PRODUCTS: dict[str, tuple[str, ...]] = {
    "ko": ("예금", "적금", "대출", "금리", "이자", "환율", "환전", "주식", "펀드", "카드값",
           "카드 발급", "체크카드", "신용카드 발급", "보험금", "청약", "연금", "마이너스 통장", "자동이체"),
    "en": ("deposit", "savings", "loan", "loans", "interest", "mortgage", "exchange rate",
           "stock", "stocks", "fund", "funds", "credit card", "debit card"),
}  # fmt: skip
# The words that make a query ours even when it also names another product.
CORE_TERMS: dict[str, tuple[str, ...]] = {
    "ko": ("인증서", "해제", "폐지", "비밀번호", "npki", "signcert", "pfx", "der", "타행"),
    "en": ("certificate", "register", "release", "revoke", "password", "npki", "pfx", "signcert"),
}

_WORD = re.compile(r"[a-z]+")
_LETTER = re.compile(r"[a-zA-Z가-힣ㄱ-ㅎㅏ-ㅣ]")
# No score is above this (keyword bonuses are capped there): faq.answerer relies on it.
MAX_FUZZY = 100.0
# In a large KB only the entries sharing the most weighted terms with the query are scored
# fuzzily; the shipped KB is far below this, so there every entry is always scored.
_CANDIDATES = 64
# A term used by this many entries carries almost no IDF weight; walking its postings is waste.
_COMMON_TERM_POSTINGS = 500
# A fuzzy score under this adds at most (1 - term_weight) * 40 = 26 points: never a decision.
_FUZZY_FLOOR = 40.0
# Entries whose phrasings get the (costly) partial_ratio pass; the rest cannot win anyway.
_PARTIAL_CANDIDATES = 10
# A Korean query with at least this many known English words (and as many English words as
# Korean ones) is also matched as English: "is 공동인증서 the same as 공인인증서".
_MIXED_MIN_WORDS = 3
# Korean domain words that English speakers drop into a sentence, in the English KB's words.
_GLOSSARY: dict[str, str] = {
    "공동인증서": "joint certificate", "인증서": "certificate", "금융인증서": "financial certificate",
    "범용": "general purpose", "용도제한": "limited use", "타행": "other bank",
    "등록": "register", "해제": "release", "폐지": "revocation", "비밀번호": "password",
    "케이뱅크": "kbank", "갱신": "renew", "재발급": "reissue", "만료": "expire",
    "법인": "corporate", "주민번호": "resident number", "고객센터": "customer center",
}  # fmt: skip


@dataclass(frozen=True)
class _Choices:
    """The prepared phrasings of one language; index i of every tuple is one phrasing."""

    spaced: tuple[str, ...]
    compact: tuple[str, ...]
    owner: tuple[int, ...]  # index of the entry the phrasing belongs to
    keywords: tuple[tuple[str, ...], ...]  # per entry, normalised keywords (compact for ko)
    domain: tuple[str, ...]
    other: tuple[str, ...]  # normalised OTHER_PRODUCTS
    core: tuple[str, ...]  # normalised CORE_TERMS
    position: dict[tuple[int, int], int]  # (entry index, question index) -> phrasing index
    postings: dict[str, tuple[int, ...]]  # term -> entries whose phrasings use it
    idf: dict[str, float]
    unknown_idf: float  # weight of a query term no entry uses (it speaks of something else)
    by_entry: tuple[tuple[int, ...], ...]  # entry index -> its phrasing indices
    lengths: tuple[int, ...]  # len() of each compact phrasing
    entries: int
    jamo: tuple[str, ...]  # compact phrasings spelled in jamo (Korean), else the compact form
    owner_array: np.ndarray  # owner as an array, for the vectorised per-entry maximum
    by_entry_array: tuple[np.ndarray, ...]
    lengths_array: np.ndarray
    sorted_words: tuple[str, ...]  # spaced with its words sorted: token_sort_ratio as ratio


def _sorted_words(text: str) -> str:
    """What rapidfuzz's token_sort_ratio compares: the words sorted, joined by one space."""
    return " ".join(sorted(text.split()))


def _terms(compact: str, spaced: str, lang: str) -> set[str]:
    """Korean: character bigrams (robust to spacing and endings); English: words."""
    if lang == "ko":
        return {compact[i : i + 2] for i in range(len(compact) - 1)} or {compact}
    return set(spaced.split())


class Matcher:
    """Match free-text questions to knowledge-base entries."""

    def __init__(self, kb: KnowledgeBase, settings: MatchSettings | None = None) -> None:
        self.kb = kb
        self.settings = settings or MatchSettings()
        vocabulary: set[str] = set()
        for entry in kb.entries:
            for text in (*entry.questions["en"], *entry.keywords["en"], entry.title["en"]):
                vocabulary.update(_WORD.findall(text.lower()))
        self._english_words = frozenset(vocabulary)
        self.english_words = self._english_words  # never read as English-layout Korean
        self._choices = {lang: self._prepare(lang) for lang in LANGUAGES}
        ko = self._choices["ko"]
        # Typos are repaired towards the words that tell entries apart from the rest of the
        # world: vocabulary words holding a domain term (인증서, 주민번호, 고객센터, 영어...).
        vocabulary_ko = [w for text in ko.spaced for w in text.split()]
        vocabulary_ko += [
            w for e in kb.entries for k in e.keywords["ko"] for w in self._norm(k).split()
        ]
        self._speller = Speller(
            vocabulary_ko,
            targets=[w for w in vocabulary_ko if any(t in w for t in ko.domain)],
        )

    def _norm(self, text: str) -> str:
        return normalize(text, english_words=self._english_words)

    def _prepare(self, lang: str) -> _Choices:
        spaced: list[str] = []
        compact: list[str] = []
        owner: list[int] = []
        keywords: list[tuple[str, ...]] = []
        position: dict[tuple[int, int], int] = {}
        for index, entry in enumerate(self.kb.entries):
            for number, question in enumerate(entry.questions.get(lang, ())):
                norm = self._norm(question)
                if norm:
                    position[(index, number)] = len(spaced)
                    spaced.append(norm)
                    compact.append(strip_spaces(norm))
                    owner.append(index)
            kws = (self._norm(k) for k in entry.keywords.get(lang, ()))
            # Korean is matched without spaces; English keywords must match whole words.
            # Normalising folds variants together (해지 → 해제): each keyword counts once.
            probes = (strip_spaces(k) if lang == "ko" else f" {k} " for k in kws if k)
            keywords.append(tuple(dict.fromkeys(probes)))
        domain = tuple(strip_spaces(self._norm(t)) or t for t in DOMAIN_TERMS[lang])
        other = tuple(self._probe_term(t, lang) for t in OTHER_PRODUCTS[lang])
        core = tuple(self._probe_term(t, lang) for t in CORE_TERMS[lang])
        # Fuzzy ratios treat "인증서" like "폐지"; IDF weighting lets the rare, telling words of an
        # entry count more than the words every entry shares.
        by_entry: list[list[int]] = [[] for _ in self.kb.entries]
        entry_terms: dict[int, set[str]] = {}
        for i, e in enumerate(owner):
            by_entry[e].append(i)
            entry_terms.setdefault(e, set()).update(_terms(compact[i], spaced[i], lang))
        by_term: dict[str, list[int]] = {}
        for e, terms in entry_terms.items():
            for term in terms:
                by_term.setdefault(term, []).append(e)
        n = max(1, len(entry_terms))
        idf = {t: math.log((n + 1) / (len(es) + 0.5)) for t, es in by_term.items()}
        postings = {t: tuple(es) for t, es in by_term.items()}
        return _Choices(
            tuple(spaced), tuple(compact), tuple(owner), tuple(keywords), domain, other, core,
            position,
            postings, idf, math.log((n + 1) / 0.5), tuple(tuple(x) for x in by_entry),
            tuple(len(c) for c in compact), len(self.kb.entries),
            tuple(to_jamo(c) for c in compact) if lang == "ko" else tuple(compact),
            np.asarray(owner, dtype=np.int64),
            tuple(np.asarray(x, dtype=np.int64) for x in by_entry),
            np.asarray([len(c) for c in compact], dtype=np.float32),
            tuple(_sorted_words(x) for x in spaced),
        )  # fmt: skip

    def _probe_term(self, term: str, lang: str) -> str:
        """A term in the form it is searched for: compact Korean, or an English ` word`."""
        norm = self._norm(term) or term
        return strip_spaces(norm) if lang == "ko" else f" {norm}"

    # --- scoring -----------------------------------------------------------------------------

    def _entry_scores(
        self, spaced: str, compact: str, lang: str, exclude: int | None = None
    ) -> dict[int, float]:
        """Best score per entry index for a normalised query (phrasing `exclude` ignored)."""
        choices = self._choices[lang]
        s = self.settings

        # IDF-weighted share of the query's terms that each entry's phrasings use. It also
        # picks the candidates in a large KB, so the fuzzy passes below stay cheap.
        coverage: dict[int, float] = {}
        total = 0.0
        for term in _terms(compact, spaced, lang):
            weight = choices.idf.get(term, choices.unknown_idf)
            total += weight
            postings = choices.postings.get(term, ())
            if len(postings) <= _COMMON_TERM_POSTINGS:  # near-zero weight, long list: skip
                for e in postings:
                    coverage[e] = coverage.get(e, 0.0) + weight
        pool: list[int] | None = None  # None: every entry
        phrasings: Sequence[int] = range(len(choices.owner))
        if choices.entries > _CANDIDATES:
            pool = sorted(coverage, key=coverage.__getitem__, reverse=True)[:_CANDIDATES]
            phrasings = [i for e in pool for i in choices.by_entry[e]]
        compacts: Sequence[str] = choices.compact
        spaceds: Sequence[str] = choices.sorted_words
        jamos: Sequence[str] = choices.jamo
        if pool is not None:
            compacts = [choices.compact[i] for i in phrasings]
            spaceds = [choices.sorted_words[i] for i in phrasings]
            jamos = [choices.jamo[i] for i in phrasings]
        jamo = to_jamo(compact) if lang == "ko" else compact

        # Every phrasing scored in C (cdist), then the best per entry with one numpy pass:
        # no Python loop over phrasings on the hot path.
        floor = _FUZZY_FLOOR
        idx = np.asarray(phrasings, dtype=np.int64)
        owner_of = choices.owner_array[idx]
        best_arr = np.zeros(choices.entries, dtype=np.float32)
        for scorer, query, targets in (
            # Whole string, spacing ignored, compared jamo by jamo: a wrong vowel or final
            # (달라지/달라져, 인즌서) costs one jamo of several, not a whole syllable.
            (fuzz.ratio, jamo, jamos),
            # Word order ignored: token_sort_ratio, with the phrasings' words sorted once.
            (fuzz.ratio, _sorted_words(spaced), spaceds),
        ):
            scores = process.cdist(
                [query], targets, scorer=scorer, score_cutoff=floor, dtype=np.float32
            )[0]
            if exclude is not None:
                scores[idx == exclude] = 0.0
            np.maximum.at(best_arr, owner_of, scores)
        # A phrasing inside a longer query (or the query inside a phrasing). partial_ratio
        # gives 100 to any short substring: scale it by how much shorter the one is.
        # It is the costliest scorer, so it only runs over the entries already in contention
        # (best whole-string score, or share of the query's telling words).
        partial_idx = idx
        partial_targets: Sequence[str] = compacts
        if pool is None and choices.entries > _PARTIAL_CANDIDATES:
            norm_total = total or 1.0
            cover = np.zeros(choices.entries, dtype=np.float32)
            for e, value in coverage.items():
                cover[e] = 100.0 * value / norm_total
            leaders = np.argsort(-np.maximum(best_arr, cover), kind="stable")[:_PARTIAL_CANDIDATES]
            partial_idx = np.concatenate([choices.by_entry_array[e] for e in leaders])
            partial_targets = [choices.compact[i] for i in partial_idx]
        n = len(compact)
        pf = s.partial_floor
        scores = process.cdist(
            [compact], partial_targets, scorer=fuzz.partial_ratio, score_cutoff=floor,
            dtype=np.float32,
        )[0]  # fmt: skip
        m = choices.lengths_array[partial_idx]
        scores *= pf + (1.0 - pf) * np.where(m < n, m / max(n, 1), n / np.maximum(m, 1))
        if exclude is not None:
            scores[partial_idx == exclude] = 0.0
        np.maximum.at(best_arr, choices.owner_array[partial_idx], scores)
        best: dict[int, float] = {
            int(e): float(best_arr[e]) for e in np.flatnonzero(best_arr >= floor * s.partial_floor)
        }

        if not best and not coverage and choices.compact:
            # Nothing is even remotely close; still name the nearest entry (the CLI and the
            # operators' fallback log show it), with its honest, low score.
            found = process.extractOne(compact, choices.compact, scorer=fuzz.ratio)
            if found is not None:
                best[choices.owner[found[2]]] = found[1]

        w = s.term_weight
        if w > 0 and total > 0:
            for e in set(best) | set(coverage):
                best[e] = (1 - w) * best.get(e, 0.0) + w * 100.0 * coverage.get(e, 0.0) / total

        probe = compact if lang == "ko" else f" {spaced} "
        for e in pool if pool is not None else range(len(choices.keywords)):
            kws = choices.keywords[e]
            hits = sum(1 for k in kws if k in probe) if kws else 0
            if hits:
                bonus = min(s.keyword_cap, hits * s.keyword_bonus)
                best[e] = min(MAX_FUZZY, best.get(e, 0.0) + bonus)

        off_topic = not any(
            t in probe if lang == "ko" else f" {t}" in probe for t in choices.domain
        )
        if not off_topic and any(t in probe for t in choices.other):
            off_topic = not any(t in probe for t in choices.core)
        if off_topic:
            for e in best:
                best[e] = max(0.0, best[e] - s.off_topic_penalty)
        return best

    def _rank(
        self, query: str, lang: str | None, exclude: tuple[str, int, int] | None = None
    ) -> tuple[str, list[tuple[str, float]]]:
        detected = self.language(query, lang)
        spaced = self._norm(query)
        if not spaced:
            return detected, []
        if detected == "ko":
            spaced = self._speller.correct_text(spaced)
        skip = None
        if exclude is not None and exclude[0] == detected:
            skip = self._choices[detected].position.get((exclude[1], exclude[2]))
        scores = self._entry_scores(spaced, strip_spaces(spaced), detected, skip)
        english = self._english_part(spaced) if detected == "ko" and exclude is None else ""
        if english:
            # Mixed queries ("difference between 범용 and bank-only cert"): the English words
            # are matched against the English phrasings too, and each entry keeps its best.
            for e, score in self._entry_scores(english, strip_spaces(english), "en").items():
                if score > scores.get(e, 0.0):
                    scores[e] = score
        ranked = sorted(
            ((self.kb.entries[e].id, round(score, 1)) for e, score in scores.items()),
            key=lambda item: (-item[1], item[0]),
        )
        return detected, ranked

    def language(self, query: str, lang: str | None = None) -> str:
        """The language `query` is written in; `lang` (the chat's) when nothing tells."""
        if lang in LANGUAGES and not _LETTER.search(query):
            return lang  # nothing to detect from (digits, emoji): trust the chat language
        return detect_language(query, english_words=self._english_words)

    def _english_part(self, spaced: str) -> str:
        """The English words of a mostly-English query that also holds Korean terms, else ""."""
        words = spaced.split()
        latin = [w for w in words if _WORD.fullmatch(w)]
        known = sum(1 for w in latin if w in self._english_words)
        if known < _MIXED_MIN_WORDS or len(latin) * 2 < len(words):
            return ""
        return " ".join(w if _WORD.fullmatch(w) else _GLOSSARY.get(w, "") for w in words).strip()

    def match(self, query: str, lang: str | None = None) -> MatchResult:
        """Decide how to reply to `query`; `lang` is the chat's language, used only as a hint."""
        detected, ranked = self._rank(query, lang)
        return self._decide(query, detected, ranked)

    def match_excluding(
        self, query: str, lang: str, entry_index: int, question_index: int
    ) -> MatchResult:
        """Match as if question `question_index` of entry `entry_index` were not in the KB."""
        detected, ranked = self._rank(query, lang, (lang, entry_index, question_index))
        return self._decide(query, detected, ranked)

    def _decide(self, query: str, lang: str, ranked: Sequence[tuple[str, float]]) -> MatchResult:
        s = self.settings
        top = tuple(ranked[:5])
        if not ranked:
            return MatchResult(query, "fallback", None, 0.0, (), lang, ())
        best_id, best = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        decision: Decision
        if best >= s.answer_threshold and best - second >= s.margin:
            decision = "answer"
        elif best >= s.suggest_threshold and len(ranked) > 1:
            decision = "suggest"
        elif best >= s.suggest_threshold:
            decision = "answer"  # a single candidate has nothing to be confused with
        else:
            decision = "fallback"
        suggestions: tuple[str, ...] = ()
        if decision == "suggest":
            close = [i for i, score in ranked if score >= best - s.suggest_window]
            if len(close) < 2:
                close = [i for i, _ in ranked[:2]]
            suggestions = tuple(close[: s.max_suggestions])
        return MatchResult(query, decision, best_id, best, suggestions, lang, top)
