"""Typo repair for Korean query words, at the level of jamo rather than syllables.

One wrong, dropped or doubled jamo changes a whole syllable (인즌서, 주민벊호, 엉어), which costs
a syllable-level fuzzy score a lot and hides the word from every exact check (domain terms,
keywords, IDF terms). `Speller` maps a query word that is not in the knowledge base's vocabulary
to a domain word one vowel or final-consonant edit away, using a symmetric-deletion index built
once at load.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rapidfuzz.distance import OSA

__all__ = ["Speller", "to_jamo"]

_INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_MEDIALS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_FINALS = ("", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ", "ㄿ",
           "ㅀ", "ㅁ", "ㅂ", "ㅄ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ")  # fmt: skip
_SYLLABLES = 11172

# Below this many jamo (a two-syllable word without final consonants) a word is left as typed.
MIN_JAMO = 5


# Syllable → its jamo, for str.translate (every query is decomposed: a loop in C, not Python).
_DECOMPOSED = {
    0xAC00 + code: _INITIALS[code // 588] + _MEDIALS[(code % 588) // 28] + _FINALS[code % 28]
    for code in range(_SYLLABLES)
}


def to_jamo(text: str) -> str:
    """Decompose every Hangul syllable into its jamo: 인증서 → ㅇㅣㄴㅈㅡㅇㅅㅓ."""
    return text.translate(_DECOMPOSED)


def _is_hangul_word(word: str) -> bool:
    return all(0 <= ord(ch) - 0xAC00 < _SYLLABLES for ch in word)


class Speller:
    """Repair one wrong, missing or extra vowel or final consonant: 인즌서 → 인증서, 엉어 → 영어.

    Initial consonants must agree syllable by syllable. Changing one turns ordinary words into
    other ordinary words (모르면 → 고르면, 늘리 → 틀리), while the typos customers make, and
    the ones that hide a domain word, sit in the vowels and finals (샌터, 벊호, 헀). Only words
    in `targets` are ever suggested, so a repair lands on a word that carries meaning for us.
    """

    def __init__(self, words: Iterable[str], targets: Iterable[str]) -> None:
        counts = Counter(w for w in words if _is_hangul_word(w))
        self._known = frozenset(counts)
        self._counts = counts
        # Symmetric deletion: a word and a typo one edit apart share a string that is one of
        # them with at most one jamo deleted, so lookups are a few dict probes, not a scan.
        index: dict[str, set[str]] = {}
        for word in {t for t in targets if _is_hangul_word(t)}:
            jamo = to_jamo(word)
            if len(jamo) < MIN_JAMO:
                continue
            for key in {jamo, *_deletions(jamo)}:
                index.setdefault(key, set()).add(word)
        self._index = {k: tuple(sorted(v)) for k, v in index.items()}

    def correct(self, word: str) -> str:
        """The target word closest to `word`, or `word` itself when none is one edit away."""
        if word in self._known or not _is_hangul_word(word):
            return word
        jamo = to_jamo(word)
        if len(jamo) < MIN_JAMO:
            return word
        candidates: set[str] = set()
        for key in (jamo, *_deletions(jamo)):
            candidates.update(self._index.get(key, ()))
        initials = _initials(word)
        best = word
        best_rank = (2, 0)
        for candidate in candidates:
            if _initials(candidate) != initials:
                continue
            distance = OSA.distance(jamo, to_jamo(candidate), score_cutoff=1)
            rank = (distance, -self._counts[candidate])
            if distance <= 1 and rank < best_rank:
                best, best_rank = candidate, rank
        return best

    def correct_text(self, text: str) -> str:
        """Correct every word of a normalised, space-separated text."""
        return " ".join(self.correct(w) for w in text.split())


def _initials(word: str) -> str:
    return "".join(_INITIALS[(ord(ch) - 0xAC00) // 588] for ch in word)


def _deletions(jamo: str) -> list[str]:
    return [jamo[:i] + jamo[i + 1 :] for i in range(len(jamo))]
