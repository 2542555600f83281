"""Catalog parity, settings validation, the command line (a real subprocess where it matters)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings
from bot.logs import redact
from bot.texts import Catalog, placeholders

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
