"""Typed helpers for the flow tests: complete flows, zips of several certificates, and
`says`, which checks that the user saw exactly a catalog text rendered with its values."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Sequence
from typing import Literal

from bot.certs.testgen import GeneratedCertificate, fake_ca_bundle_path
from bot.emulator import BotMessage, ScriptedUser
from bot.emulator.markup import html_to_text
from bot.texts import Catalog

CATALOG = Catalog("ko")


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a real `kcert-bot` process in a test: none of the developer's own
    settings, but the test CA bundle (the generated certificates chain to it) and the shared
    FAQ model cache (so the child loads the fitted model instead of fitting it again)."""
    from tests.conftest import FAQ_CACHE

    env = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    env.update(TRUSTED_CA_FILE=str(fake_ca_bundle_path()), FAQ_CACHE_DIR=str(FAQ_CACHE))
    env.update(extra)
    return env


async def upload_pair(user: ScriptedUser, gen: GeneratedCertificate) -> list[BotMessage]:
    await user.upload(gen.cert_der, "signCert.der")
    return await user.upload(gen.key_blob, "signPri.key")


async def upload_as(
    user: ScriptedUser, gen: GeneratedCertificate, how: Literal["pair", "pfx", "zip"]
) -> list[BotMessage]:
    """Send the certificate the way a customer might: "pair" (signCert.der + signPri.key),
    "pfx" (one export file) or "zip" (an NPKI folder zipped); the replies to the last file."""
    if how == "pair":
        return await upload_pair(user, gen)
    if how == "pfx":
        assert gen.pfx is not None
        return await user.upload(gen.pfx, "export.pfx")
    return await user.upload(gen.zip_bytes, "cert.zip")


async def register(
    user: ScriptedUser,
    gen: GeneratedCertificate,
    *,
    how: Literal["pair", "pfx", "zip"] = "pair",
    password: str | None = None,
) -> list[BotMessage]:
    """A complete registration; returns the replies to the final [등록]."""
    await user.ask("/register")
    await upload_as(user, gen, how)
    await user.ask(password or gen.password)
    return await user.tap("등록")


def zip_of(*gens: GeneratedCertificate, extra: dict[str, bytes] | None = None) -> bytes:
    """One zip holding several generated NPKI folders (a whole NPKI tree)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for gen in gens:
            with zipfile.ZipFile(io.BytesIO(gen.zip_bytes)) as inner:
                for info in inner.infolist():
                    archive.writestr(info.filename, inner.read(info))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def plain(messages: Sequence[BotMessage]) -> str:
    return "\n".join(m.plain for m in messages)


def any_text(user: ScriptedUser, needle: str) -> bool:
    return any(needle in m.plain for m in user.messages)


def rendered(key: str, lang: str = "ko", **values: object) -> str:
    """The catalog text `key` as the user reads it (HTML → plain, as the emulator shows it)."""
    return html_to_text(CATALOG.text(lang, key, **values))


def says(messages: Sequence[BotMessage], key: str, lang: str = "ko", **values: object) -> bool:
    """True if one of `messages` shows the catalog text `key` with `values` as a whole
    paragraph (a message may carry earlier notes before it); else an AssertionError that
    shows what the user saw."""
    expected = rendered(key, lang, **values)
    for message in messages:
        text = message.plain
        if (
            text == expected
            or text.startswith(expected + "\n\n")
            or text.endswith("\n\n" + expected)
            or f"\n\n{expected}\n\n" in text
        ):
            return True
    seen = "\n---\n".join(m.plain for m in messages)
    raise AssertionError(f"expected {key} = {expected!r}\nthe user saw:\n{seen}")
