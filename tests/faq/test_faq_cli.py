"""`python -m faq` commands: ask, check, match --json and eval, through main(argv)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from faq.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
SMALL_SET = """\
- {q: "인증서 등록 어떻게 해요", id: how-to-register, lang: ko, style: casual}
- {q: "how do i release my certificate", id: how-to-revoke, lang: en, style: casual}
- {q: "오늘 날씨 어때요", id: null, lang: ko, style: unrelated}
- {q: "안녕하세요", id: "smalltalk:greeting", lang: ko, style: smalltalk}
"""


def test_ask_prints_decision_scores_and_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "인증서 등록 어떻게 해요"]) == 0
    out = capsys.readouterr().out
    assert "decision: answer" in out
    assert "how-to-register" in out
    assert "/register" in out


def test_check_passes_on_the_shipped_kb(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--no-model"]) == 0
    out = capsys.readouterr().out
    assert "training corpus:" in out and "ok: 28 entries" in out


def test_check_reports_a_broken_kb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "kb.yaml"
    broken.write_text("version: 1\ntopics: []\nentries: [\n", encoding="utf-8")
    assert main(["--kb", str(broken), "check"]) == 2
    assert f"{broken}:" in capsys.readouterr().err


def test_match_json_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    stdin = io.StringIO("비번 까먹었어요\n\n오늘 날씨 어때요\n")
    assert main(["match", "--json"], stdin=stdin) == 0
    lines = capsys.readouterr().out.splitlines()
    records = [json.loads(line) for line in lines]
    assert [set(r) for r in records] == [{"query", "decision", "id", "score", "suggestions"}] * 2
    assert records[0]["id"] == "forgot-password" and records[0]["decision"] == "answer"
    assert records[1]["decision"] == "fallback" and records[1]["id"] is not None
    assert isinstance(records[1]["suggestions"], list)


def test_eval_prints_the_metrics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(SMALL_SET, encoding="utf-8")
    assert main(["eval", str(path)]) == 0
    out = capsys.readouterr().out
    for label in ("top-1 accuracy ko", "top-1 accuracy en", "suggest rate", "fallback precision",
                  "fallback recall"):  # fmt: skip
        assert label in out


def test_module_runs_as_a_program() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "faq", "match", "--json"],
        input="dlswmdtj gowp\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert json.loads(done.stdout)["id"] == "how-to-revoke"
