"""H11: the 5-try lock holds against a copy with one byte flipped and against a success on
another certificate of one's own.

The certificate's lock is keyed on its public key (a flipped signature byte changes the file's
hash, not the key), and a success takes back only that certificate's failures.
"""

from __future__ import annotations

from typing import Any

from bot.certs import inspect_certificate
from bot.flows.common import format_time
from bot.flows.register import cert_lock_id
from tests.conftest import PASSWORD, cert
from tests.support import says


async def _until(bot: Any, user_id: int, lock: str) -> str:
    state = await bot.services.store.registration_lock(user_id, lock)
    assert state.locked_until is not None
    return format_time(state.locked_until, "ko")


async def _upload(user: Any, cert_der: bytes, key_blob: bytes) -> list[Any]:
    await user.ask("/cancel")  # whatever was in progress (else /register asks first)
    await user.ask("/register")
    await user.upload(cert_der, "signCert.der")
    return await user.upload(key_blob, "signPri.key")  # type: ignore[no-any-return]


async def test_a_copy_with_one_signature_byte_flipped_is_still_locked(bot_factory: Any) -> None:
    # An issuer outside the anchors (allowed, shown as unverified): its signature is not
    # checked, so a flipped byte still makes a registrable file with another fingerprint.
    bot = await bot_factory(allow_unverified_issuers=True)
    target = cert(ca="other", name="표적")
    flipped = bytearray(target.cert_der)
    flipped[-1] ^= 0x01  # the last byte of the signature
    copy = inspect_certificate(bytes(flipped))
    assert copy.fingerprint_sha256 != target.info.fingerprint_sha256
    assert copy.public_key_sha256 == target.info.public_key_sha256

    first = bot.user(7501)
    assert says(await _upload(first, target.cert_der, target.key_blob), "register.ask_password")
    for attempt in range(5):
        replies = await first.ask(f"wrong-{attempt}")
    lock = cert_lock_id(target.info)
    until = await _until(bot, 7501, lock)
    assert says(replies, "register.locked_now", attempts=5, minutes=30, until=until)

    # Another account uploads the flipped copy: the certificate is still locked for anyone.
    second = bot.user(7502)
    replies = await _upload(second, bytes(flipped), target.key_blob)
    assert says(replies, "register.locked", until=until)
    assert not any("비밀번호를 입력" in m.plain for m in replies)


async def test_a_success_on_one_certificate_is_no_reset_for_another(bot_factory: Any) -> None:
    bot = await bot_factory()
    own, first, second = cert(name="본인"), cert(name="표적일"), cert(name="표적이")
    user = bot.user(7503)
    await _upload(user, first.cert_der, first.key_blob)
    for attempt in range(4):
        replies = await user.ask(f"guess-{attempt}")
    assert says(replies, "register.wrong_password", remaining=1)

    await _upload(user, own.cert_der, own.key_blob)
    replies = await user.ask(PASSWORD)  # one's own certificate opens
    assert any(m.buttons for m in replies)
    await user.tap("취소")

    await _upload(user, second.cert_der, second.key_blob)
    replies = await user.ask("guess-5")
    until = await _until(bot, 7503, cert_lock_id(second.info))
    assert says(replies, "register.locked_now", attempts=5, minutes=30, until=until)


async def test_typos_on_ones_own_certificate_are_forgiven_by_its_success(
    bot_factory: Any,
) -> None:
    bot = await bot_factory()
    own, other = cert(name="본인둘"), cert(name="다른인증서")
    user = bot.user(7504)
    await _upload(user, own.cert_der, own.key_blob)
    for attempt in range(3):
        await user.ask(f"typo-{attempt}")
    replies = await user.ask(PASSWORD)
    assert any(m.buttons for m in replies)
    await user.tap("취소")
    await _upload(user, other.cert_der, other.key_blob)
    replies = await user.ask("typo-again")
    assert says(replies, "register.wrong_password", remaining=4)
