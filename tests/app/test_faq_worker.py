"""FAQ_WORKER=true: questions are matched in a child process.

The real worker (`python -m faq.serve`) is started by the real bot; the tests kill it, freeze
it, feed it a broken knowledge base, and check that customers keep getting answers, that the
answers equal the in-process answerer's, and that nothing is left running."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from bot.faq_worker import FaqWorker, FaqWorkerError
from faq.build import BuildInputs
from tests.conftest import FAQ_CACHE
from tests.support import plain, rendered, says

KB = Path(__file__).resolve().parents[2] / "faq" / "knowledge.yaml"
QUESTIONS = [
    ("인증서 등록 어떻게 해요?", "ko"),
    ("how do I release my registered certificate?", "ko"),
    ("비밀번호 까먹음", "ko"),
    ("오늘 점심 뭐 먹지", "ko"),
    ("안녕하세요", "en"),
    ("dlswmdtj emdfhr", "ko"),
]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_the_worker_answers_exactly_as_the_answerer_in_this_process(bot_factory: Any) -> None:
    bot = await bot_factory(faq_worker=True)
    service = bot.services.faq
    worker = service.worker
    assert worker is not None and service.answerer is None
    assert worker.pid is not None and worker.pid != os.getpid() and _alive(worker.pid)
    local = await bot_factory(faq_worker=False)
    for text, lang in QUESTIONS:
        assert await service.match(text, lang) == await local.services.faq.match(text, lang)
    user = bot.user(7101)
    assert "/register" in plain(await user.ask("인증서 등록 어떻게 해요?"))
    pid = worker.pid
    await bot.stop()
    assert not _alive(pid)  # shutdown ends the worker too


async def test_a_killed_worker_is_replaced_and_the_question_still_answered(bot_factory: Any) -> None:
    bot = await bot_factory(faq_worker=True)
    first = bot.services.faq.worker
    assert first is not None and first.pid is not None
    os.kill(first.pid, signal.SIGKILL)
    user = bot.user(7102)
    replies = await user.ask("인증서 등록 어떻게 해요?")
    assert "/register" in plain(replies)
    second = bot.services.faq.worker
    assert second is not first and second.pid != first.pid and second.alive


async def test_a_frozen_worker_times_out_and_is_replaced(bot_factory: Any) -> None:
    bot = await bot_factory(faq_worker=True)
    first = bot.services.faq.worker
    assert first is not None and first.pid is not None
    pid = first.pid
    first.timeout = 1.0  # the mechanism under test: a stopped process never answers
    os.kill(pid, signal.SIGSTOP)
    try:
        replies = await bot.user(7103).ask("인증서 등록 어떻게 해요?")
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGCONT)
    assert "/register" in plain(replies)
    assert bot.services.faq.worker is not first and not first.alive and not _alive(pid)


async def test_when_no_worker_can_start_customers_get_the_fallback_not_an_error(
    bot_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = await bot_factory(faq_worker=True)
    worker = bot.services.faq.worker
    assert worker is not None and worker.pid is not None

    async def broken_start(self: FaqWorker) -> int:
        raise FaqWorkerError("cannot start")

    monkeypatch.setattr(FaqWorker, "start", broken_start)
    os.kill(worker.pid, signal.SIGKILL)
    user = bot.user(7104)
    replies = await user.ask("인증서 등록 어떻게 해요?")
    assert says(replies, "faq.fallback", phone=bot.settings.customer_center)
    # Within the back-off no new process is tried for every message; the bot still answers.
    assert says(await user.ask("/help"), "help.text")
    assert says(await user.ask("인증서 해제"), "faq.fallback", phone=bot.settings.customer_center)


async def test_reload_swaps_in_a_new_worker_and_a_broken_file_keeps_the_old(
    bot_factory: Any, tmp_path: Path
) -> None:
    admin_id = 7190
    kb_copy = tmp_path / "kb.yaml"
    kb_copy.write_text(KB.read_text(encoding="utf-8"), encoding="utf-8")
    bot = await bot_factory(faq_worker=True, admin_user_ids=frozenset({admin_id}), faq_path=kb_copy)
    admin, customer = bot.user(admin_id), bot.user(7105)
    old = bot.services.faq.worker
    assert old is not None and old.pid is not None
    old_pid = old.pid

    kb_copy.write_text("entries: [not: a, knowledge: base", encoding="utf-8")
    replies = await admin.ask("/reload_faq")
    assert any(rendered("admin.reload_failed", error="")[:10] in m.plain for m in replies)
    assert bot.services.faq.worker is old and old.alive
    assert "/register" in plain(await customer.ask("인증서 등록 어떻게 해요?"))

    kb_copy.write_text(KB.read_text(encoding="utf-8"), encoding="utf-8")
    replies = await admin.ask("/reload_faq")
    assert says(replies, "admin.reloaded", entries=len(bot.services.faq.kb.entries))
    fresh = bot.services.faq.worker
    assert fresh is not old and fresh.alive and not _alive(old_pid)
    assert "/register" in plain(await customer.ask("인증서 등록 어떻게 해요?"))


async def test_a_worker_that_cannot_load_reports_it_instead_of_hanging(tmp_path: Path) -> None:
    missing = BuildInputs(kb_path=tmp_path / "nowhere.yaml", cache_dir=FAQ_CACHE)
    worker = FaqWorker(missing)
    with pytest.raises(FaqWorkerError, match="FileNotFoundError"):
        await worker.start()
    assert not worker.alive
    with pytest.raises(FaqWorkerError):
        await worker.match("인증서 등록", "ko")
