"""H2 end to end: the registration policy of the certificate core as the user reads it — one
case per core error class, forgeries, issuer spelling, expiry at confirm, key work off the loop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from bot.certs.testgen import build_pfx, fake_ca_certificate, generate_test_certificate
from bot.flows.common import format_date
from bot.flows.register import issuer_name
from bot.keywork import KeyWorker
from tests.conftest import IDENTITY, PASSWORD, cert
from tests.support import plain, register, says, upload_pair

HUGE = 2**31 - 1
_FORGER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=1024)


def forged(**kw: Any) -> Any:
    """A certificate naming the TEST yessign intermediate as issuer, signed by another key."""
    return generate_test_certificate(
        key_size=1024,
        password=PASSWORD,
        issuer_key=_FORGER_KEY,
        issuer_name=kw.pop("issuer_name", fake_ca_certificate("yessign").subject),
        **kw,
    )


def _date(moment: datetime) -> str:
    return format_date(moment, "ko")


# One case per core error class: how it is provoked, and the catalog text the user must see.
async def _expired(bot: Any, user: Any) -> tuple[list[Any], str, dict[str, Any]]:
    gen = cert(expired=True)
    return (
        await upload_after_register(user, gen),
        "register.expired",
        {"date": _date(gen.info.not_after)},
    )


async def upload_after_register(user: Any, gen: Any) -> list[Any]:
    await user.ask("/register")
    return await upload_pair(user, gen)


async def _not_yet_valid(bot: Any, user: Any) -> tuple[list[Any], str, dict[str, Any]]:
    gen = cert(not_yet_valid=True)
    return (
        await upload_after_register(user, gen),
        "register.not_yet_valid",
        {"date": _date(gen.info.not_before)},
    )


async def _financial(bot: Any, user: Any) -> tuple[list[Any], str, dict[str, Any]]:
    gen = cert(policy_oid="1.2.410.200005.1.1.1.10")
    return await upload_after_register(user, gen), "register.financial_certificate", {}


async def _unknown_issuer(bot: Any, user: Any) -> tuple[list[Any], str, dict[str, Any]]:
    gen = cert(ca="other")
    return (
        await upload_after_register(user, gen),
        "register.unknown_issuer",
        {"issuer": issuer_name(gen.info)},
    )


async def _untrusted_chain(bot: Any, user: Any) -> tuple[list[Any], str, dict[str, Any]]:
    gen = forged()
    return (
        await upload_after_register(user, gen),
        "register.untrusted_chain",
        {"issuer": issuer_name(gen.info)},
    )


async def _key_mismatch(bot: Any, user: Any) -> tuple[list[Any], str, dict[str, Any]]:
    await user.ask("/register")
    await user.upload(cert(name="갑").cert_der, "signCert.der")
    await user.upload(cert(name="을").key_blob, "signPri.key")
    return await user.ask(PASSWORD), "errors.key_mismatch", {}


async def _wrong_password(bot: Any, user: Any) -> tuple[list[Any], str, dict[str, Any]]:
    await upload_after_register(user, cert())
    return await user.ask("not-the-password-1"), "register.wrong_password", {"remaining": 4}


async def _identity_mismatch(bot: Any, user: Any) -> tuple[list[Any], str, dict[str, Any]]:
    await bot.restart(require_identity_check=True)
    await upload_after_register(user, cert())
    await user.ask(PASSWORD)
    wrong = "9001011234568"
    assert wrong != IDENTITY
    return await user.ask(wrong), "register.identity_failed", {"remaining": 4}


async def _iteration_limit(bot: Any, user: Any) -> tuple[list[Any], str, dict[str, Any]]:
    gen = cert(fmt="pfx")
    hostile = build_pfx(gen.cert_der, gen.private_key_pkcs8_der, PASSWORD, mac_iterations=HUGE)
    await user.ask("/register")
    return await user.upload(hostile, "evil.pfx"), "errors.unsupported_format", {}


async def _not_a_certificate(bot: Any, user: Any) -> tuple[list[Any], str, dict[str, Any]]:
    await user.ask("/register")
    return (
        await user.upload(b"\x30\x03\x02\x01\x00", "signCert.der"),
        "errors.not_a_certificate",
        {},
    )


CASES: dict[str, Callable[..., Any]] = {
    "ExpiredCertificate": _expired,
    "NotYetValid": _not_yet_valid,
    "FinancialCertificate": _financial,
    "UnknownIssuer": _unknown_issuer,
    "UntrustedChain": _untrusted_chain,
    "KeyMismatch": _key_mismatch,
    "WrongPassword": _wrong_password,
    "IdentityMismatch": _identity_mismatch,
    "IterationLimitExceeded": _iteration_limit,
    "NotACertificate": _not_a_certificate,
}


@pytest.mark.parametrize("error_class", sorted(CASES))
async def test_each_core_error_class_has_its_message(bot: Any, error_class: str) -> None:
    user = bot.user(3100)
    replies, key, values = await CASES[error_class](bot, user)
    assert says(replies, key, **values)
    assert await bot.services.store.active_certificates_of(3100) == []


async def test_forgery_of_a_victims_issuer_and_serial_is_refused_and_never_blocks(
    bot: Any,
) -> None:
    victim_cert = cert(name="피해자")
    forgery = forged(name="공격자", serial=int(victim_cert.info.serial_hex, 16))
    assert (forgery.info.issuer_dn, forgery.info.serial_hex) == (
        victim_cert.info.issuer_dn,
        victim_cert.info.serial_hex,
    )
    attacker, victim = bot.user(3201), bot.user(3202)
    # Before and after the victim registers: refused with its own message, never stored.
    replies = await upload_after_register(attacker, forgery)
    assert says(replies, "register.untrusted_chain", issuer=issuer_name(forgery.info))
    assert "등록 완료" in plain(await register(victim, victim_cert))
    replies = await upload_after_register(attacker, forgery)
    assert says(replies, "register.untrusted_chain", issuer=issuer_name(forgery.info))
    assert await bot.services.store.active_certificates_of(3201) == []
    assert len(await bot.services.store.active_certificates_of(3202)) == 1


def _upper_issuer(name: x509.Name) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(a.oid, str(a.value).upper())
            if a.oid == NameOID.ORGANIZATION_NAME
            else a
            for a in name
        ]
    )


async def test_issuer_spelling_cannot_make_one_serial_active_twice(bot_factory: Any) -> None:
    bot = await bot_factory(allow_unverified_issuers=True)
    victim_cert = cert(name="피해자")
    shouting = forged(
        name="공격자",
        serial=int(victim_cert.info.serial_hex, 16),
        issuer_name=_upper_issuer(fake_ca_certificate("yessign").subject),
    )
    assert "O=YESSIGN" in shouting.info.issuer_dn
    replies = await upload_after_register(bot.user(3301), shouting)
    assert says(replies, "register.untrusted_chain", issuer=issuer_name(shouting.info))
    await register(bot.user(3302), victim_cert)
    assert len(await bot.services.store.active_certificates_of(3302)) == 1
    assert await bot.services.store.active_certificates_of(3301) == []


async def test_unverified_issuer_is_marked_not_presented_as_a_ca(bot_factory: Any) -> None:
    bot = await bot_factory(allow_unverified_issuers=True)
    user = bot.user(3401)
    replies = await upload_after_register(user, cert(ca="other"))
    text = "\n".join(m.plain for m in replies)
    assert "발급기관: 발급기관 미확인" in text
    await user.ask(PASSWORD)
    await user.tap("등록")
    (stored,) = await bot.services.store.active_certificates_of(3401)
    assert stored.ca == "unverified"


async def test_confirm_rechecks_expiry_with_the_clock(bot_factory: Any) -> None:
    gen = cert(expires_in_days=0, name="오늘만료")
    now = [gen.info.not_after.timestamp() - 60]
    bot = await bot_factory(clock=lambda: now[0])
    user = bot.user(3501)
    await upload_after_register(user, gen)
    await user.ask(PASSWORD)
    now[0] = gen.info.not_after.timestamp() + 1  # midnight KST passes at the confirm step
    replies = await user.tap("등록")
    assert says(replies, "register.expired", date=_date(gen.info.not_after))
    assert await bot.services.store.active_certificates_of(3501) == []


async def test_hostile_pfx_is_stopped_while_another_user_is_answered(bot_factory: Any) -> None:
    worker = KeyWorker(max_workers=1, timeout=8)
    bot = await bot_factory(keywork=worker)
    gen = cert(fmt="pfx")
    # The key bag's 2^31-1 iterations are hidden inside an encryptedData: only the key
    # worker's hard time bound stops it.
    hostile = build_pfx(
        gen.cert_der, gen.private_key_pkcs8_der, PASSWORD, hidden_key_iterations=HUGE
    )
    attacker, other = bot.user(3601), bot.user(3602)
    await attacker.ask("/register")
    await attacker.upload(hostile, "evil.pfx")
    assert says([attacker.last], "register.ask_password")
    before = attacker.message_count
    await attacker.send_text(PASSWORD)
    # Not other.ask(): settle() would wait for every update in flight, the attacker's too.
    mark = other.message_count
    await other.send_text("/certs")
    reply = await other.next_message(after=mark, timeout=30)
    # /certs was answered while the hostile unlock still ran (on the event loop it could not).
    assert says([reply], "certs.none")
    assert not any("너무 오래" in m.plain for m in attacker.messages_since(before))
    await attacker.wait_until(
        lambda: any("너무 오래" in m.plain for m in attacker.messages_since(before)), timeout=30
    )
    assert says(attacker.messages_since(before), "register.key_timeout")
    assert worker.killed == 1
