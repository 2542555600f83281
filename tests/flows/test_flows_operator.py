"""Operator-facing bits: /help lists the operator commands to operators only (C14)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support import child_env, plain, rendered, says


async def test_help_lists_operator_commands_to_operators_only(bot_factory: Any) -> None:
    bot = await bot_factory(admin_user_ids=frozenset({7001}))
    operator, customer = bot.user(7001), bot.user(7002)
    replies = await operator.ask("/help")
    assert says(replies, "help.text") and says(replies, "help.admin")
    assert "/unanswered" in plain(replies) and "/reload_faq" in plain(replies)
    replies = await customer.ask("/help")
    assert says(replies, "help.text")
    assert rendered("help.admin") not in plain(replies) and "/unanswered" not in plain(replies)


def test_chat_help_shows_the_user_id_for_admin_user_ids(tmp_path: Path) -> None:
    env = child_env()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--help"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "--user-id" in text and "default 1001" in text and "ADMIN_USER_IDS=1001" in text


def test_readme_names_the_chat_user_id() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "ADMIN_USER_IDS=1001 make chat" in readme
