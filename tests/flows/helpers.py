"""Steps shared by the flow tests: upload a generated certificate, type the password."""

from __future__ import annotations

import io
import zipfile

from bot.certs.testgen import GeneratedCertificate
from bot.emulator import BotMessage, ScriptedUser


async def upload_pair(user: ScriptedUser, gen: GeneratedCertificate) -> list[BotMessage]:
    await user.upload(gen.cert_der, "signCert.der")
    return await user.upload(gen.key_blob, "signPri.key")


async def register(
    user: ScriptedUser, gen: GeneratedCertificate, *, how: str = "pair", password: str | None = None
) -> list[BotMessage]:
    """A complete registration; returns the replies to the final [등록]."""
    await user.ask("/register")
    if how == "pair":
        await upload_pair(user, gen)
    elif how == "pfx":
        assert gen.pfx is not None
        await user.upload(gen.pfx, "export.pfx")
    else:
        await user.upload(gen.zip_bytes, "cert.zip")
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


def plain(messages: list[BotMessage]) -> str:
    return "\n".join(m.plain for m in messages)


def any_text(user: ScriptedUser, needle: str) -> bool:
    return any(needle in m.plain for m in user.messages)
