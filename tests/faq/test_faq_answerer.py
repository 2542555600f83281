"""The trained intent model fused with the fuzzy matcher: what it answers, suggests, greets back
and refuses; its fast inference equals scikit-learn's; its cache follows the YAML files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from faq.answerer import Answerer, FusionSettings
from faq.build import BuildInputs, build_answerer, inputs_digest
from faq.evaluation import leave_one_author_out, model_confusions, report
from faq.intent import IntentModel, focus_clause
from faq.kb import DEFAULT_PATH, load_knowledge_base
from faq.matcher import MatchResult
from faq.training import OUT_OF_SCOPE, TRAINING_DIR, Example, TrainingError, load_corpus, load_file


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> Answerer:
    return build_answerer(BuildInputs(cache_dir=tmp_path_factory.mktemp("model")))


@pytest.mark.parametrize(
    ("query", "entry_id"),
    [
        # English domain words inside Korean
        ("cert 해제하는 menu 어디", "how-to-revoke"),
        ("password 까먹음", "forgot-password"),
        ("customer center 전화번호요", "contact-support"),
        # contrast: the part after 말고 / 는데 is what is asked
        ("등록 말고 해제는 어떻게 해요", "how-to-revoke"),
        ("비밀번호는 기억나는데 인증서가 만료됐대요", "expired-or-invalid"),
        # elderly spacing, English-layout Korean, plain English
        ("인증서 를 해제 하고 나면 어떻게 됩니까", "after-revoke"),
        ("dlswmdtj emdfhr qkdqjq", "how-to-register"),
        ("how do I remove the certificate I registered", "how-to-revoke"),
    ],
)
def test_answers_phrasings_the_knowledge_base_never_wrote(
    answerer: Answerer, query: str, entry_id: str
) -> None:
    result = answerer.match(query)
    assert (result.decision, result.entry_id) == ("answer", entry_id)


@pytest.mark.parametrize(
    "query",
    [
        "계좌 비밀번호를 잊어버렸어요",
        "OTP 재발급 받고 싶어요",
        "체크카드 해지하고 싶어요",
        "오늘 점심 뭐 먹지",
        "what's the exchange rate for dollars today",
    ],
)
def test_near_misses_from_other_banking_topics_fall_back(answerer: Answerer, query: str) -> None:
    assert answerer.match(query).decision == "fallback"


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("안녕하세요", "greeting"),
        ("감사합니다!", "thanks"),
        ("hello there", "greeting"),
        ("thank you so much", "thanks"),
        ("수고하세요", "goodbye"),
        ("are you a real person?", "are-you-human"),
        ("너 로봇이야?", "are-you-human"),
    ],
)
def test_small_talk_is_recognised(answerer: Answerer, query: str, kind: str) -> None:
    result = answerer.match(query)
    assert (result.decision, result.entry_id) == ("smalltalk", kind)


@pytest.mark.parametrize(
    ("query", "lang"), [("인증서 등록 어떻게 해요", "ko"), ("how do I register a certificate", "en")]
)
def test_the_answer_language_is_the_question_language(
    answerer: Answerer, query: str, lang: str
) -> None:
    assert answerer.match(query, lang="en" if lang == "ko" else "ko").lang == lang


def test_focus_clause_finds_the_asking_part() -> None:
    assert focus_clause("등록 말고 해제는 어떻게 해요") == "해제는 어떻게 해요"
    long = (
        "어제 은행에 가서 인증서를 새로 받았는데요 집에 와서 컴퓨터를 켜 보니 뭐가 뭔지 모르겠어요. "
        "그래서 여쭤보는데 해제는 어떻게 하나요?"
    )
    assert focus_clause(long) == "여쭤보는데 해제는 어떻게 하나요?"
    assert focus_clause("인증서 등록") is None


def _small_corpus() -> list[Example]:
    kb = load_knowledge_base()
    return [e for i, e in enumerate(load_corpus(kb)) if i % 4 == 0]


def test_fast_inference_equals_scikit_learn() -> None:
    """The model's own n-grams, tf-idf and scores equal scikit-learn's vectorisers and
    predict_proba: on held-back phrasings and on inputs made to trip an analyser (runs of
    spaces, tabs, one-letter words, a word longer than the n-gram range, nothing at all)."""
    corpus = _small_corpus()
    model = IntentModel(corpus, keep_estimator=True)
    surface, jamo, words, classifier = model.estimator
    held_back = [e.text for i, e in enumerate(load_corpus(load_knowledge_base())) if i % 4 == 1]
    tricky = [
        "인증서 등록 어떻게 해요", "password 까먹음", "how do i remove my cert", "ㅋㅋ", "", " ",
        "a", "a b", "  인증서\t\t등록  ", "인증서\n등록", "x  y   z", "ㄱ", "NPKI 폴더!!",
        "공동인증서공동인증서공동인증서", "cert 해제 menu 어디", "1 2 3 4 5",
    ]  # fmt: skip
    for query in tricky + held_back[::7]:
        v = model._views(query)
        matrix = sparse.hstack(
            [surface.transform([v[0]]), jamo.transform([v[1]]), words.transform([v[2]])],
            format="csr",
        )
        columns, values = model.features(query)
        order = np.argsort(columns)
        assert columns[order].tolist() == matrix.indices[np.argsort(matrix.indices)].tolist(), query
        expected_values = matrix.data[np.argsort(matrix.indices)]
        assert np.abs(values[order] - expected_values).max(initial=0.0) < 1e-5, query
        expected = classifier.predict_proba(matrix)[0]
        got = model._softmax(model._scores(query))
        assert np.abs(expected - got).max() < 1e-5, query


def test_model_is_cached_by_the_hash_of_its_inputs(tmp_path: Path) -> None:
    training = tmp_path / "training"
    shutil.copytree(TRAINING_DIR, training)
    inputs = BuildInputs(training_dir=training, cache_dir=tmp_path / "cache")
    first = inputs_digest(inputs)
    build_answerer(inputs)
    cached = list((tmp_path / "cache").glob("faq-model-*.npz"))
    assert [p.name for p in cached] == [f"faq-model-{first[:20]}.npz"]
    stamp = cached[0].stat().st_mtime_ns
    build_answerer(inputs)  # unchanged inputs: loaded, not rebuilt
    assert cached[0].stat().st_mtime_ns == stamp
    extra = training / "zz-operator.yaml"
    extra.write_text(
        'author: operator\nentries:\n  contact-support:\n    ko: ["상담사 연결 부탁해요"]\n',
        encoding="utf-8",
    )
    assert inputs_digest(inputs) != first
    build_answerer(inputs)
    assert {p.name for p in (tmp_path / "cache").glob("faq-model-*.npz")} == {
        f"faq-model-{first[:20]}.npz",
        f"faq-model-{inputs_digest(inputs)[:20]}.npz",
    }


def test_a_training_file_naming_an_unknown_entry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text('author: x\nentries:\n  no-such-entry:\n    ko: ["질문"]\n', encoding="utf-8")
    with pytest.raises(TrainingError, match="no-such-entry"):
        load_file(path, [e.id for e in load_knowledge_base(DEFAULT_PATH).entries])


def test_leave_one_author_out_never_trains_on_the_held_out_author() -> None:
    seen: list[set[str]] = []

    class Recorder:
        def __init__(self, examples: list[Example]) -> None:
            seen.append({e.author for e in examples})

        def match(self, query: str, lang: str | None = None):  # type: ignore[no-untyped-def]
            from faq.matcher import MatchResult

            return MatchResult(query, "fallback", None, 0.0, (), lang or "ko", ())

    examples = [
        Example("a", "how-to-register", "ko", "knowledge-base"),
        Example("b", "how-to-register", "ko", "alice"),
        Example("c", OUT_OF_SCOPE, "ko", "bob"),
    ]
    results = leave_one_author_out(Recorder, examples)
    assert seen == [{"knowledge-base", "bob"}, {"knowledge-base", "alice"}]
    assert [c.author for c, _ in results] == ["alice", "bob"]
    rep = report(results)
    assert rep.fallback_recall == 1.0 and rep.accuracy["ko"] == 0.0


def test_check_reports_entries_the_model_confuses() -> None:
    kb = load_knowledge_base()
    # Two entries whose phrasings are the same texts: the model cannot tell them apart.
    texts = [f"인증서 질문 번호 {i}" for i in range(30)]
    examples = [Example(t, "how-to-register", "ko", "a") for t in texts]
    examples += [Example(t + " ", "how-to-revoke", "ko", "a") for t in texts]
    examples += [Example(f"날씨 얘기 {i}", OUT_OF_SCOPE, "ko", "a") for i in range(30)]
    pairs = {(a, b) for a, b, _, _ in model_confusions(kb, examples)}
    assert ("how-to-register", "how-to-revoke") in pairs or ("how-to-revoke", "how-to-register") in pairs


def test_the_cache_is_plain_arrays_and_a_tampered_one_is_rebuilt(tmp_path: Path) -> None:
    import pickle

    from faq.build import BuildInputs as Inputs

    model = IntentModel(_small_corpus())
    saved = tmp_path / "m.npz"
    model.save(saved)
    loaded = IntentModel.load(saved)
    for query in ["인증서 등록 어떻게 해요", "how do i remove my cert", "안녕"]:
        assert loaded.probabilities(query) == pytest.approx(model.probabilities(query), abs=1e-6)
    # A cache file replaced by a pickle that would run code when unpickled: never executed.
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (marker.write_text, ("pwned",))

    inputs = Inputs(cache_dir=tmp_path / "cache")
    path = inputs.cache_dir / f"faq-model-{inputs_digest(inputs)[:20]}.npz"  # type: ignore[operator]
    path.parent.mkdir()
    path.write_bytes(pickle.dumps(Evil()))
    import faq.build

    faq.build._LOADED.clear()
    answerer = build_answerer(inputs)
    assert not marker.exists()
    assert answerer.match("인증서 등록 어떻게 해요").entry_id == "how-to-register"
    assert IntentModel.load(path).classes == answerer.model.classes  # rebuilt and rewritten


@pytest.mark.parametrize(
    "fusion",
    [FusionSettings(), FusionSettings(fuzzy_override=60.0, margin=0.05, classifier_weight=0.6)],
    ids=["shipped", "fuzzy-override"],
)
def test_the_classifier_first_short_cut_decides_exactly_as_both_halves_do(
    answerer: Answerer, fusion: FusionSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`match` skips the fuzzy matcher when the probabilities fix the decision; the decision,
    entry, language and suggestions equal those of the exhaustive path on one training
    author's phrasings, on blends of two entries' questions and halves of questions (where
    the classifier hesitates and the fuzzy half matters), and on odd inputs; and the short
    cut is really taken."""
    tuned = Answerer(answerer.kb, (), fusion=fusion, matcher=answerer.matcher, model=answerer.model)
    corpus = [e.text for e in load_corpus(answerer.kb) if e.author == "dev-1"][::2]
    questions = [q for e in answerer.kb.entries for q in e.questions["ko"][:2]]
    blends = [f"{a} {b}" for a, b in zip(questions, questions[7:], strict=False)]
    halves = [q[: len(q) // 2] for q in questions] + [q[len(q) // 2 :] for q in questions]
    odd = ["ㅇㅇ", "ok", "?", "12345", "dlswmdtj", "인증서", "cert 해제 menu", "thx!!", "ㅠㅠ 안돼요"]
    fuzzy_calls = 0
    real = tuned.matcher.match

    def counting(query: str, lang: str | None = None) -> MatchResult:
        nonlocal fuzzy_calls
        fuzzy_calls += 1
        return real(query, lang)

    monkeypatch.setattr(tuned.matcher, "match", counting)
    queries = corpus + blends + halves + odd
    assert len(queries) > 250
    for query in queries:
        for lang in ("ko", "en"):
            fast = tuned.match(query, lang)
            full = tuned.match(query, lang, exhaustive=True)
            same = (fast.decision, fast.lang, fast.suggestions) == (
                full.decision, full.lang, full.suggestions,
            )  # fmt: skip
            assert same, (query, fast, full)
            if fast.decision != "fallback":
                assert fast.entry_id == full.entry_id, (query, fast, full)
    exhaustive_calls = 2 * len(queries)
    assert fuzzy_calls - exhaustive_calls < exhaustive_calls * 0.8  # a good share was skipped
