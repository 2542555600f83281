"""H12/H13, register side: hostile and huge names in the summary, the zip choice's buttons and
the refusals stay one clean line under Telegram's limit; never the generic apology."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from bot.certs import display_name
from bot.certs.testgen import generate_test_certificate
from tests.conftest import PASSWORD, cert
from tests.support import plain, rendered, says, upload_pair, zip_of

LIMIT = 4096
HUGE_NAME = "가짜" * 1200 + "\n가짜줄: 등록 완료\u202e역순<b>" + "나" * 2590  # 5,000+ characters
INVISIBLE = ("\u202e", "\u200b")


def deflated(data: bytes) -> bytes:
    """The same zip compressed (a 5,000-character name repeats well; stored it exceeds 64 KB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED
    ) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
    return out.getvalue()


def clean(user: Any) -> None:
    apology = rendered("common.error", phone="1522-1000")
    for message in user.messages:
        assert message.plain != apology
        assert len(message.plain) <= LIMIT
        assert not any(line.startswith("가짜줄") for line in message.plain.splitlines())
        assert not any(ch in message.plain for ch in INVISIBLE), message.plain[:80]
        for label in message.labels:
            assert "&lt;" not in label and "\n" not in label and "\u202e" not in label, label


async def test_a_huge_hostile_owner_name_in_the_choice_and_the_summary(bot: Any) -> None:
    assert len(HUGE_NAME) >= 5000
    gen, other = cert(name=HUGE_NAME), cert(name="평범")
    user = bot.user(7801)
    await user.ask("/register")
    replies = await user.upload(deflated(zip_of(gen, other)), "npki.zip")
    assert says(replies, "register.choose_certificate", count=2)
    shown = display_name(gen.info.owner_name, 12)
    assert any(label.startswith(shown + " · ") for label in user.last.labels), user.last.labels
    replies = await user.tap(shown)
    assert f"소유자: {display_name(gen.info.owner_name)}" in plain(replies)
    assert says(replies, "register.ask_password")
    await user.ask(PASSWORD)
    replies = await user.tap("등록")
    assert any("등록 완료" in m.plain for m in replies)
    clean(user)


async def test_a_huge_hostile_issuer_name_in_a_refusal(bot: Any) -> None:
    issuer = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "가짜CA\n가짜줄: 등록 완료\u202e"),
            x509.NameAttribute(NameOID.COMMON_NAME, "C" * 5000, _validate=False),
        ]
    )
    gen = generate_test_certificate(
        key_size=1024,
        password=PASSWORD,
        issuer_key=rsa.generate_private_key(public_exponent=65537, key_size=1024),
        issuer_name=issuer,
    )
    user = bot.user(7802)
    await user.ask("/register")
    replies = await upload_pair(user, gen)
    assert any("이 발급기관의 인증서는" in m.plain for m in replies), plain(replies)[:300]
    clean(user)
