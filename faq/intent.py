"""The trained intent model: character and jamo n-grams → logistic regression over the
knowledge base's entries, the small-talk kinds and an explicit out-of-scope class.

It sits beside the fuzzy matcher (faq.matcher), which keeps its strength on typos and
English-layout Korean; `faq.answerer` fuses the two. Training data: the knowledge base's own
phrasings plus `faq/training/` (faq.training). Everything here is pure and deterministic.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from faq.normalize import apply_code_switch, en_layout_fix, normalize, strip_spaces
from faq.spelling import to_jamo
from faq.training import OUT_OF_SCOPE, Example

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["IntentModel", "IntentSettings", "focus_clause", "surface_form"]

_NOISE = re.compile(r"[^0-9a-z가-힣ㄱ-ㅎㅏ-ㅣ\s]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class IntentSettings:
    """Model capacity; chosen by leave-one-author-out on the training corpus only."""

    c: float = 8.0  # inverse regularisation of the logistic regression
    out_of_scope_weight: float = 1.0  # class weight of the out-of-scope class
    max_iter: int = 3000


def surface_form(text: str, english_words: Iterable[str] = ()) -> str:
    """The question as typed, cleaned: NFKC, lower case, English-layout Korean converted,
    English domain words inside Korean mapped to Korean, punctuation gone. Unlike `normalize`
    it keeps particles and the words normalisation folds together (카드 해지 ≠ 인증서 해제)."""
    text = en_layout_fix(unicodedata.normalize("NFKC", text), english_words)
    text = apply_code_switch(text.lower())
    return _SPACES.sub(" ", _NOISE.sub(" ", text)).strip()


# A long question states its background first and asks in one clause; a contrast question
# names what it is *not* asking about ("등록 말고 해제는…", "비밀번호는 아는데 만료됐대요").
_CONTRAST = (
    re.compile(r"^.*?(?:말고|말구|아니고|아니라|대신에?|빼고)\s*(.{4,})$"),
    re.compile(r"^.*?(?:되는데|아는데|기억나는데|맞는데|있는데|했는데|됐는데|했고)\s*(.{4,})$"),
    re.compile(r"^.*?\b(?:not|instead of|rather than|other than)\b.{2,}?,\s*(.{4,})$"),
)
_CLAUSE_SPLIT = re.compile(
    r"(?<=[.?!？。\n])|(?:\s(?:근데|그런데|그래서|그러니까|그럼|암튼|아무튼|어쨌든|but|so|anyway)\s)"
)
_QUESTION_HINT = re.compile(
    r"(\?|？|나요|까요|가요|어요|해요|죠|지요|니까|나여|냐|니|음|임|how|what|why|can|where|when|do i|is it)"
)
_LONG = 60  # characters; shorter questions are classified whole


def focus_clause(text: str) -> str | None:
    """The part of a long or contrastive question that asks, or None when the whole does."""
    stripped = text.strip()
    for pattern in _CONTRAST:
        match = pattern.match(stripped)
        if match:
            return match.group(1).strip()
    if len(stripped) < _LONG:
        return None
    clauses = [c.strip() for c in _CLAUSE_SPLIT.split(stripped) if c and len(c.strip()) >= 4]
    if len(clauses) < 2:
        return None
    asking = [c for c in clauses if _QUESTION_HINT.search(c.lower())]
    return (asking or clauses)[-1]


class IntentModel:
    """Logistic regression over tf-idf character n-grams (surface form) and jamo n-grams
    (normalised form), fitted once; `probabilities` vectorises a query once per view."""

    def __init__(
        self, examples: Sequence[Example], settings: IntentSettings | None = None,
        english_words: Iterable[str] = (), *, keep_estimator: bool = False,
    ) -> None:  # fmt: skip
        # Only fitting needs scikit-learn and SciPy (~95 MiB of memory once imported): a bot
        # that loads its model from the cache never imports them.
        from scipy import sparse
        from sklearn.linear_model import LogisticRegression

        self.settings = settings or IntentSettings()
        self._english = frozenset(english_words)
        texts = [e.text for e in examples]
        labels = [e.label for e in examples]
        self._surface, self._jamo, self._words = (_vectorizer(spec) for spec in _VIEWS)
        views = [self._views(t) for t in texts]
        matrix = sparse.hstack(
            [
                self._surface.fit_transform([v[0] for v in views]),
                self._jamo.fit_transform([v[1] for v in views]),
                self._words.fit_transform([v[2] for v in views]),
            ],
            format="csr",
        )
        weights = {OUT_OF_SCOPE: self.settings.out_of_scope_weight}
        self._classifier = LogisticRegression(
            C=self.settings.c,
            max_iter=self.settings.max_iter,
            class_weight={label: weights.get(label, 1.0) for label in set(labels)},
        )
        self._classifier.fit(matrix, labels)
        self.classes: tuple[str, ...] = tuple(str(c) for c in self._classifier.classes_)

        # Inference without scikit-learn's per-call validation (it costs more than the maths):
        # each vectoriser's vocabulary and idf, and the classifier's weights per feature as one
        # dense array, so a query is a few dict lookups and one numpy gather.
        self._weights = np.ascontiguousarray(self._classifier.coef_.T, dtype=np.float32)
        self._bias = self._classifier.intercept_.astype(np.float32)
        fitted = (self._surface, self._jamo, self._words)
        self._index(
            [sorted(v.vocabulary_, key=v.vocabulary_.__getitem__) for v in fitted],
            [v.idf_.astype(np.float32) for v in fitted],
        )
        if keep_estimator:  # tests compare the fast path with scikit-learn's own
            self.estimator = (self._surface, self._jamo, self._words, self._classifier)
        del self._surface, self._jamo, self._words, self._classifier

    # --- a cache format that cannot run code: numpy arrays and JSON, never pickle -----------

    def save(self, path: Path) -> None:
        """Write the fitted model as one .npz of plain arrays (loaded with allow_pickle=False)."""
        meta = {
            "version": _FORMAT,
            "classes": list(self.classes),
            "english": sorted(self._english),
            "settings": dataclasses.asdict(self.settings),
            # Each view's n-grams in column order: the order the lookup tables were built in.
            "vocabularies": [list(columns) for columns in self._columns],
        }
        bounds = np.cumsum([0, *(len(c) for c in self._columns)]) + 1
        arrays: dict[str, Any] = {
            f"idf{i}": self._idf[bounds[i] : bounds[i + 1]] for i in range(len(self._columns))
        }
        arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8)
        arrays["weights"] = self._weights
        arrays["bias"] = self._bias
        with path.open("wb") as handle:
            np.savez(handle, **arrays)

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        """Read a model written by `save`; ValueError if it is not one (or another version)."""
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            if meta.get("version") != _FORMAT or len(meta["vocabularies"]) != len(_VIEWS):
                raise ValueError("not a model of this version")
            model = cls.__new__(cls)
            model.settings = IntentSettings(**meta["settings"])
            model._english = frozenset(meta["english"])
            model.classes = tuple(meta["classes"])
            vocabularies: list[list[str]] = []
            idfs: list[np.ndarray] = []
            for i, (_spec, terms) in enumerate(zip(_VIEWS, meta["vocabularies"], strict=True)):
                idf = np.asarray(data[f"idf{i}"], dtype=np.float32)
                if len(idf) != len(terms):
                    raise ValueError("vocabulary and idf differ in length")
                vocabularies.append(terms)
                idfs.append(idf)
            model._weights = np.ascontiguousarray(data["weights"], dtype=np.float32)
            model._bias = np.asarray(data["bias"], dtype=np.float32)
        features = sum(len(v) for v in vocabularies)
        if model._weights.shape != (features, len(model.classes)) or model._bias.shape != (
            len(model.classes),
        ):
            raise ValueError("weights do not fit the vocabulary")
        model._index(vocabularies, idfs)
        return model

    def _index(self, vocabularies: Sequence[Sequence[str]], idfs: Sequence[np.ndarray]) -> None:
        """The lookup tables of `_scores` from each view's n-grams in column order: n-gram →
        its column + 1 (so that a miss, None, and a hit are told apart by `filter(None, …)` in
        C), and one idf per column + 1. One table per view, built once."""
        columns: list[dict[str, int]] = []
        offset = 1
        for terms in vocabularies:
            columns.append({term: offset + j for j, term in enumerate(terms)})
            offset += len(terms)
        self._columns = tuple(columns)
        self._idf = np.concatenate([np.zeros(1, np.float32), *idfs])

    def _views(self, text: str) -> tuple[str, str, str]:
        surface = surface_form(text, self._english)
        norm = normalize(text, english_words=self._english)
        return surface, to_jamo(strip_spaces(norm)), norm

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The query's tf-idf vector as scikit-learn's vectorisers make it (sublinear tf,
        L2-normalised per view): column indices and values. The n-grams come from C-level
        regular expressions and lookups, not from Python loops over characters."""
        columns: list[int] = []
        counts: list[int] = []
        ends: list[int] = []
        for grams, lookup, view in zip(_GRAMS, self._columns, self._views(text), strict=True):
            found = Counter(filter(None, map(lookup.get, grams(view))))
            if found:
                columns += found.keys()
                counts += found.values()
                ends.append(len(columns))
        if not columns:
            return np.zeros(0, np.intp), np.zeros(0, np.float32)
        cols = np.asarray(columns, dtype=np.intp)
        weight = (1.0 + np.log(np.asarray(counts, dtype=np.float32))) * self._idf[cols]
        starts = [0, *ends[:-1]]
        norms = np.sqrt(np.add.reduceat(weight * weight, starts))
        weight /= np.repeat(norms, np.diff([0, *ends]))
        return cols - 1, weight

    def _scores(self, text: str) -> np.ndarray:
        """Decision values of every class for one text (as LogisticRegression computes them)."""
        columns, values = self.features(text)
        if not len(columns):
            return self._bias.copy()
        return self._bias + values @ self._weights[columns]

    def _softmax(self, scores: np.ndarray) -> np.ndarray:
        if len(self.classes) == 2:  # binary: one logit, as scikit-learn stores it
            p = 1.0 / (1.0 + np.exp(-scores[0]))
            return np.array([1 - p, p])
        shifted = np.exp(scores - scores.max())
        return shifted / shifted.sum()

    def probabilities(self, text: str) -> dict[str, float]:
        """Probability per label for one question, focusing on its asking clause if any."""
        probs = self._softmax(self._scores(text))
        focus = focus_clause(text)
        if focus is not None:
            probs = 0.4 * probs + 0.6 * self._softmax(self._scores(focus))
        return dict(zip(self.classes, probs.tolist(), strict=True))

    def predict_many(self, texts: Sequence[str]) -> list[dict[str, float]]:
        return [self.probabilities(t) for t in texts]


# The three views of a question, each a tf-idf vectoriser over its own string (see _views).
_VIEWS: tuple[dict[str, Any], ...] = (
    {"analyzer": "char_wb", "ngram_range": (1, 4), "min_df": 1},  # surface characters
    {"analyzer": "char", "ngram_range": (2, 5), "min_df": 2},  # jamo of the normalised form
    {"analyzer": "word", "ngram_range": (1, 2), "min_df": 1, "token_pattern": r"(?u)\b\w+\b"},
)
_FORMAT = "kcert-intent-npz-1"


def _vectorizer(spec: dict[str, Any]) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **spec)



# The analysers of _VIEWS, equal to scikit-learn's (tested): lower case, runs of whitespace
# made one space, then n-grams (slices: twice as fast as a look-ahead regular expression).
_WHITE = re.compile(r"\s\s+")
_TOKEN = re.compile(_VIEWS[2]["token_pattern"])


def _char_wb_grams(text: str, low: int, high: int) -> list[str]:
    """char_wb: n-grams inside space-padded words. The words are joined by two spaces, so a
    gram across two words holds "  ", which no vocabulary has (nor can have): it is a miss."""
    padded = " " + "  ".join(_WHITE.sub(" ", text.lower()).split()) + " "
    if padded == "  ":
        return []
    return _ngrams(padded, low, high)


def _char_grams(text: str, low: int, high: int) -> list[str]:
    return _ngrams(_WHITE.sub(" ", text.lower()), low, high)


def _ngrams(text: str, low: int, high: int) -> list[str]:
    """Every overlapping n-gram of `text`, n from `low` to `high`, shortest first."""
    size = len(text)
    grams: list[str] = []
    for n in range(low, high + 1):
        grams += [text[i : i + n] for i in range(size - n + 1)]
    return grams


def _word_grams(text: str, low: int, high: int) -> list[str]:
    assert (low, high) == (1, 2)
    tokens = _TOKEN.findall(text.lower())
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def _analyser(spec: dict[str, Any]) -> Callable[[str], list[str]]:
    kind = {"char_wb": _char_wb_grams, "char": _char_grams, "word": _word_grams}[spec["analyzer"]]
    return functools.partial(kind, low=spec["ngram_range"][0], high=spec["ngram_range"][1])


_GRAMS = tuple(_analyser(spec) for spec in _VIEWS)
