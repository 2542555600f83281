"""H5: every uploaded certificate file is deleted from the chat as soon as it is read."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import cert
from tests.support import rendered, says, upload_as


@pytest.mark.parametrize("how", ["pair", "pfx", "zip"])
async def test_uploads_are_deleted_and_the_user_told_once(bot: Any, how: str) -> None:
    user = bot.user(4201)
    gen = cert(fmt="pfx") if how == "pfx" else cert()
    await user.ask("/register")
    await upload_as(user, gen, how)
    documents = [m for m in user.user_messages if m.kind == "document"]
    assert documents and all(m.deleted for m in documents)
    told = [m for m in user.messages if rendered("register.file_deleted") in m.plain]
    assert len(told) == 1
    assert says([user.last], "register.ask_password")


async def test_a_file_that_cannot_be_deleted_is_said(bot: Any) -> None:
    user = bot.user(4202)
    await user.ask("/register")
    bot.emulator.fail_next("deleteMessage", 400, "Bad Request: message can't be deleted")
    replies = await user.upload(cert().key_blob, "signPri.key")
    assert not user.user_messages[-1].deleted
    assert any(rendered("register.file_not_deleted") in m.plain for m in replies)
    assert not any(rendered("register.file_deleted") in m.plain for m in replies)
