"""The shipped knowledge base is complete and valid; broken files fail with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from faq.kb import ACTIONS, LANGUAGES, KnowledgeBaseError, load_knowledge_base

REQUIRED_IDS = {
    "what-is-joint-certificate", "certificate-types", "how-to-register", "which-files",
    "phone-only", "how-to-revoke", "revoke-reason", "after-revoke", "revoke-vs-cancel",
    "reregister-anytime", "certificate-limit", "expired-or-invalid", "renewal-vs-reissue",
    "forgot-password", "wrong-password-lock", "password-rules", "is-it-secure",
    "what-bot-stores", "identity-check", "financial-vs-joint", "corporate-certificate",
    "supported-issuers", "check-registered", "what-can-i-do-after-register", "expiry-reminder",
    "contact-support", "file-not-recognized", "change-language",
}  # fmt: skip

VALID = """\
version: 1
topics:
  - {id: basics, ko: 기본, en: Basics}
entries:
  - id: first
    topic: basics
    title: {ko: 첫째, en: First}
    ko: {questions: [첫 질문], answer: 첫 답}
    en: {questions: [first question], answer: first answer}
    related: [second]
  - id: second
    topic: basics
    title: {ko: 둘째, en: Second}
    ko: {questions: [둘째 질문], answer: 둘째 답}
    en: {questions: [second question], answer: <b>second</b> answer}
    action: register
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kb.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_kb_has_exactly_the_required_ids() -> None:
    kb = load_knowledge_base()
    assert {e.id for e in kb.entries} == REQUIRED_IDS


def test_every_entry_is_complete_in_both_languages() -> None:
    kb = load_knowledge_base()
    topic_ids = {t.id for t in kb.topics}
    for entry in kb.entries:
        assert entry.topic in topic_ids
        for lang in LANGUAGES:
            assert entry.answer[lang].strip()
            assert 0 < len(entry.title[lang]) <= 30
        assert len(entry.questions["ko"]) >= 12, entry.id
        assert len(entry.questions["en"]) >= 9, entry.id
        assert all(kb.get(r) is not None for r in entry.related)
        assert entry.action is None or entry.action in ACTIONS


def test_lookups_by_id_and_topic() -> None:
    kb = load_knowledge_base()
    entry = kb.get("how-to-register")
    assert entry is not None and entry.action == "register"
    assert kb.get("no-such-id") is None
    assert entry in kb.by_topic(entry.topic)
    assert sum(len(kb.by_topic(t.id)) for t in kb.topics) == len(kb.entries)


def test_seed_guide_answers_are_in_the_kb() -> None:
    kb = load_knowledge_base()

    def answer(entry_id: str) -> str:
        entry = kb.get(entry_id)
        assert entry is not None
        return entry.answer["ko"]

    assert "언제든지" in answer("reregister-anytime")
    assert "재발급" in answer("expired-or-invalid")
    assert "고객센터" in answer("forgot-password")
    assert "보안성이 높" in answer("is-it-secure")
    assert "인증서 관리" in answer("how-to-register")
    assert "1522-1000" in answer("contact-support")


def test_answers_use_commands_the_bot_has() -> None:
    kb = load_knowledge_base()
    text = " ".join(e.answer[lang] for e in kb.entries for lang in LANGUAGES)
    for command in ("/register", "/revoke", "/certs", "/cancel", "/language"):
        assert command in text


def test_small_valid_file_loads(tmp_path: Path) -> None:
    kb = load_knowledge_base(write(tmp_path, VALID))
    assert [e.id for e in kb.entries] == ["first", "second"]
    assert kb.entries[0].related == ("second",)
    assert kb.entries[1].questions["en"] == ("second question",)


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("  - id: second", "  - id: first", 11, "duplicate id 'first'"),
        ("    en: {questions: [first question], answer: first answer}\n", "", 5, "missing language 'en'"),
        ("related: [second]", "related: [third]", 10, "related id 'third' does not exist"),
        ("action: register", "action: launch", 16, "not one of"),
        ("topic: basics\n    title: {ko: 둘째", "topic: other\n    title: {ko: 둘째", 12, "unknown topic"),
        ("<b>second</b> answer", "<blink>second</blink>", 15, "<blink>"),
        ("    ko: {questions: [첫 질문]", "    ko: {questions: [첫 질문", 8, "not valid YAML"),
    ],
)  # fmt: skip
def test_mistakes_name_file_and_line(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(path)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}:{line}:")
    assert message in str(caught.value)


def test_missing_file_is_a_knowledge_base_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="cannot read"):
        load_knowledge_base(tmp_path / "absent.yaml")


def test_answers_say_what_was_asked_and_what_is_true() -> None:
    kb = load_knowledge_base()

    def answer(entry_id: str, lang: str = "ko") -> str:
        entry = kb.get(entry_id)
        assert entry is not None
        return entry.answer[lang]

    # "Can I register again?" is answered yes, not with a literal "no".
    assert answer("reregister-anytime").startswith("네")
    assert answer("reregister-anytime", "en").startswith("Yes")
    # A joint-certificate password cannot be reset: the issuing bank reissues the certificate.
    forgot = answer("forgot-password")
    assert "재설정할 수 없어요" in forgot and "재발급" in forgot and "재설정을 요청" not in forgot
    assert "cannot be recovered or reset" in answer("forgot-password", "en")
    # Honest about Telegram: bot chats are not end-to-end encrypted.
    assert "종단간 암호화가 아니에요" in answer("is-it-secure")
    assert "not end-to-end encrypted" in answer("is-it-secure", "en")
