"""H8: each upload is processed once, off the event loop; a registration takes 10 files.

Before, every upload re-assembled all earlier ones on the event loop (quadratic) and the
session grew without limit. The spy below only counts and records the thread: the real
functions run.
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

import pytest

import bot.certs as core
from bot.vault import MAX_FILES, AwaitingFiles
from tests.conftest import cert
from tests.support import says, zip_of


@pytest.fixture
def processed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, bool]]:
    """(function, how many files, ran on the main thread) for each classify/assemble."""
    calls: list[tuple[str, int, bool]] = []
    main = threading.main_thread()

    def spy(name: str, real: Callable[..., Any], size: Callable[..., int]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            calls.append((name, size(*args), threading.current_thread() is main))
            return real(*args)

        return run

    def count(files: Sequence[object]) -> int:
        return len(files)

    monkeypatch.setattr(core, "classify", spy("classify", core.classify, lambda *_: 1))
    monkeypatch.setattr(core, "assemble", spy("assemble", core.assemble, count))
    return calls


async def test_each_upload_is_processed_once_and_the_eleventh_is_refused(
    bot: Any, processed: list[tuple[str, int, bool]]
) -> None:
    user = bot.user(7601)
    archive = zip_of(cert(name="첫째"), cert(name="둘째"))
    await user.ask("/register")
    for number in range(1, MAX_FILES + 1):
        replies = await user.upload(archive, f"npki-{number}.zip")
        assert says(replies, "register.choose_certificate", count=2)
    # Ten zips: each classified once and assembled once (not 1 + 2 + … + 10 times).
    assert [c for c in processed if c[0] == "classify"] == [("classify", 1, False)] * MAX_FILES
    assembled = [c for c in processed if c[0] == "assemble"]
    assert assembled == [("assemble", 1, False)] * MAX_FILES  # off the event loop's thread

    replies = await user.upload(archive, "npki-11.zip")
    assert says(replies, "register.too_many_files", limit=MAX_FILES)
    assert user.user_messages[-1].deleted
    phase = bot.services.sessions.phase(7601)
    assert isinstance(phase, AwaitingFiles) and len(phase.files) == MAX_FILES
    assert len(processed) == 2 * MAX_FILES  # the 11th was not even read
    # The choice still works after the refusal.
    replies = await user.tap("둘째")
    assert says(replies, "register.ask_password")


async def test_a_zip_with_half_a_pair_meets_its_other_half(bot: Any) -> None:
    gen = cert(name="반쪽")
    user = bot.user(7602)
    await user.ask("/register")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("NPKI/yessign/USER/cn=반쪽/signCert.der", gen.cert_der)
    replies = await user.upload(out.getvalue(), "half.zip")
    assert says(replies, "register.missing_key")
    replies = await user.upload(gen.key_blob, "signPri.key")
    assert says(replies, "register.ask_password")
