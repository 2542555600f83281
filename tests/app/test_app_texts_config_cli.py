"""Catalog parity, settings validation, the command line (a real subprocess where it matters)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings
from bot.logs import redact
from bot.texts import Catalog, placeholders
from tests.support import child_env

ROOT = Path(__file__).resolve().parents[2]


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    catalog = Catalog()
    ko, en = catalog.texts["ko"], catalog.texts["en"]
    assert set(ko) == set(en)
    for key in ko:
        assert placeholders(ko[key]) == placeholders(en[key]), key
        assert ko[key].strip() and en[key].strip(), key


def test_every_catalog_key_used_in_code_exists() -> None:
    import re

    keys = set(Catalog().texts["ko"])
    used: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        used |= set(
            re.findall(
                r'"((?:common|menu|help|language|cert|errors|register|revoke|certs|expiry|faq|admin|commands)\.[a-z_]+)"',
                path.read_text(),
            )
        )
    assert used and used <= keys, used - keys


def test_catalog_escapes_values() -> None:
    text = Catalog().text("ko", "menu.greeting", name="<b>해커</b>")
    assert "&lt;b&gt;해커" in text


def test_bad_settings_give_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_USER_IDS", "12,abc")
    with pytest.raises(SettingsError, match="ADMIN_USER_IDS"):
        load_settings()
    monkeypatch.setenv("ADMIN_USER_IDS", "12, 34")
    assert load_settings().admin_user_ids == frozenset({12, 34})
    monkeypatch.setenv("POLL_PAUSE_SECONDS", "-1")
    with pytest.raises(SettingsError, match="POLL_PAUSE_SECONDS"):
        load_settings()
    monkeypatch.setenv("POLL_PAUSE_SECONDS", "0")
    assert load_settings().poll_pause_seconds == 0
    monkeypatch.setenv("MAX_CONCURRENT_UPDATES", "0")
    with pytest.raises(SettingsError, match="MAX_CONCURRENT_UPDATES"):
        load_settings()
    monkeypatch.setenv("MAX_CONCURRENT_UPDATES", "8")
    assert load_settings().max_concurrent_updates == 8


def _run(
    args: list[str], env: dict[str, str], stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ADMIN_", "TELEGRAM_"))
    }
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


def test_cli_bad_setting_exits_2_without_traceback(tmp_path: Path) -> None:
    result = _run(["run"], {"ADMIN_USER_IDS": "not-a-number", "BOT_TOKEN": "1:x"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "ADMIN_USER_IDS" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_run_without_token_explains(tmp_path: Path) -> None:
    result = _run(["run"], {}, cwd=tmp_path)
    assert result.returncode == 2
    assert "BotFather" in result.stderr and "make chat" in result.stderr


def test_chat_prints_korean_menu_and_exits_0(tmp_path: Path) -> None:
    result = _run(["chat"], {}, stdin="/start\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for label in ("인증서 등록", "인증서 해제", "내 인증서", "자주 묻는 질문", "Language/언어"):
        assert label in result.stdout
    assert "[1]" in result.stdout


def test_redaction() -> None:
    line = "GET http://x/file/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/documents/f1 id 800101-1234567"
    clean = redact(line)
    assert "AAHdqTcv" not in clean and "1234567" not in clean and "<token>" in clean


def test_make_test_cert_then_inspect_through_the_console_script(tmp_path: Path) -> None:
    import json

    made = _run(
        [
            "make-test-cert",
            "--out",
            str(tmp_path / "c"),
            "--password",
            "Pw-1234!x",
            "--key-size",
            "1024",
        ],
        {},
    )
    assert made.returncode == 0, made.stderr
    key = next((tmp_path / "c").rglob("signPri.key"))
    cert_file = key.with_name("signCert.der")
    result = _run(
        ["inspect", str(cert_file), str(key), "--json", "--password-stdin"], {}, stdin="Pw-1234!x\n"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["key_unlocked"] is True and data["key_matches"] is True and data["ca"] == "yessign"
    assert "Pw-1234!x" not in result.stdout + result.stderr
    wrong = _run(
        ["inspect", str(cert_file), str(key), "--json", "--password-stdin"], {}, stdin="nope\n"
    )
    assert wrong.returncode == 1
    garbage = tmp_path / "x.der"
    garbage.write_bytes(b"not a certificate")
    bad = _run(["inspect", str(garbage), "--json"], {})
    assert bad.returncode == 2 and json.loads(bad.stdout)["error"] == "not_a_certificate"


def test_no_catalog_text_is_dead() -> None:
    code = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))
    dynamic = (
        "ca.",
        "commands.",
        "cert.holder_",
        "cert.status_",
        "faq.action_",
        "register.password_",
        "register.identity_",
    )
    dead = [k for k in Catalog().texts["ko"] if f'"{k}"' not in code and not k.startswith(dynamic)]
    assert dead == []


# One register throughout (C13): these patterns must never come back into either catalog.
_HASIPSIO = re.compile(r"니다(?![가-힣])|십시오|니까\?")  # 합니다·습니다·하십시오·합니까
_NESTED = re.compile(r"\([^()]*\(|\)[^()]*\)")  # "(…(…))" or "…)…)"
_DOUBLE_SPACE = re.compile(r"(?<=\S) {2,}")  # two spaces inside a line (indentation is fine)


def _style_problems(lang: str, key: str, text: str) -> list[str]:
    found = []
    if lang == "ko" and _HASIPSIO.search(text):
        found.append("하십시오체 (use 해요체)")
    if _NESTED.search(text):
        found.append("nested brackets")
    if "(s)" in text:
        found.append("'(s)'")
    if _DOUBLE_SPACE.search(text):
        found.append("double space")
    return [f"{lang}:{key}: {problem}" for problem in found]


def test_catalog_style_one_register_no_nested_brackets() -> None:
    catalog = Catalog()
    problems = [
        problem
        for lang in ("ko", "en")
        for key, text in catalog.texts[lang].items()
        for problem in _style_problems(lang, key, text)
    ]
    assert problems == []
    # Values that are rendered inside other texts must not bring brackets of their own,
    # and a name or issuer is never put in brackets ("인증서(금융결제원(yessign))").
    for lang in ("ko", "en"):
        for key, text in catalog.texts[lang].items():
            if key.startswith("ca."):
                assert "(" not in text, (lang, key, text)
            assert not re.search(r"\([^()]*\{(owner|issuer|name)\}", text), (lang, key, text)


def test_catalog_style_check_catches_each_pattern() -> None:
    assert _style_problems("ko", "k", "모두 지웠습니다.")
    assert _style_problems("ko", "k", "다시 시도하십시오")
    assert _style_problems("ko", "k", "인증서(금융결제원(yessign))")
    assert _style_problems("en", "k", "You have 2 certificate(s).")
    assert _style_problems("en", "k", "Hello,  there")
    assert not _style_problems("ko", "k", "지웠어요.\n    만료 2026.12.09 (D-7)")


def test_chat_in_english_greets_with_an_english_name(tmp_path: Path) -> None:
    env = child_env()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--language-code", "en"],
        input="/start\n",
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    greeting = Catalog().text("en", "menu.greeting", name="Customer").splitlines()[0]
    assert greeting in done.stdout and "고객" not in done.stdout
