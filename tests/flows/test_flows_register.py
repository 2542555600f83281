"""Registration end to end through the emulator with generated NPKI files."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD, cert
from tests.support import plain, register, rendered, says, upload_pair, zip_of


@pytest.mark.parametrize("fmt", ["seed-sha1", "seed-cbc", "pbes2-seed", "pbes2-aes"])
async def test_register_pair_each_key_format(bot: Any, fmt: str) -> None:
    user = bot.user(2001)
    gen = cert(fmt=fmt, name="김하나")
    await user.ask("/register")
    # Any order: the key first, then the certificate.
    replies = await user.upload(gen.key_blob, "SIGNPRI.KEY")
    assert "signCert.der" in plain(replies)
    replies = await user.upload(gen.cert_der, "signCert.der")
    text = plain(replies)
    assert "김하나" in text and "금융결제원" in text and "비밀번호를 입력" in text
    replies = await user.ask(PASSWORD)
    assert user.user_messages[-1].deleted
    assert "비밀번호가 확인됐어요" in plain(replies)
    replies = await user.tap("등록")
    assert "등록 완료" in plain(replies)
    active = await bot.services.store.active_certificates_of(2001)
    assert [c.serial_hex for c in active] == [gen.info.serial_hex]
    assert active[0].key_format == fmt


async def test_register_pfx(bot: Any) -> None:
    user = bot.user(2002)
    gen = cert(fmt="pfx", ca="KICA")
    replies = await register(user, gen, how="pfx")
    assert "등록 완료" in plain(replies)
    assert "한국정보인증" in plain(replies)


async def test_register_zip_with_several_certificates_lets_user_choose(bot: Any) -> None:
    user = bot.user(2003)
    first = cert(name="가나다", ca="yessign")
    second = cert(name="라마바", ca="CrossCert")
    await user.ask("/register")
    replies = await user.upload(zip_of(first, second), "NPKI.zip")
    assert "2개" in plain(replies)
    labels = user.last.labels
    assert len(labels) == 2 and any("라마바" in label for label in labels)
    replies = await user.tap("라마바")
    assert "한국전자인증" in plain(replies)
    await user.ask(PASSWORD)
    replies = await user.tap("등록")
    assert "라마바" in plain(replies)
    active = await bot.services.store.active_certificates_of(2003)
    assert [c.owner_name for c in active] == ["라마바"]


async def test_register_single_folder_zip(bot: Any) -> None:
    user = bot.user(2004)
    replies = await register(user, cert(ca="SignKorea"), how="zip")
    assert "등록 완료" in plain(replies) and "코스콤" in plain(replies)


async def test_garbage_stray_and_km_files(bot: Any) -> None:
    user = bot.user(2005)
    await user.ask("/register")
    replies = await user.upload(b"\x00" * 700, "signCert.der")
    assert "인증서 파일이 아니에요" in plain(replies)
    await user.send_photo()
    await bot.emulator.settle()
    assert "사진이나 스티커" in user.last.plain
    await user.send_sticker()
    await bot.emulator.settle()
    assert "사진이나 스티커" in user.last.plain
    gen = cert()
    # Still in the flow: the real files work after the mistakes.
    replies = await upload_pair(user, gen)
    assert "비밀번호를 입력" in plain(replies)


async def test_oversized_upload_refused_before_download(bot: Any) -> None:
    user = bot.user(2006)
    await user.ask("/register")
    replies = await user.upload(b"0" * (200 * 1024), "huge.zip")
    assert "너무 커요" in plain(replies)
    assert not any(method == "getFile" for method, _ in bot.emulator.calls)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"expired": True}, "만료"),
        ({"not_yet_valid": True}, "아직 사용할 수 없어요"),
        ({"policy_oid": "1.2.410.200005.1.1.1.10"}, "금융인증서"),
        ({"ca": "other"}, "이 발급기관의 인증서는 케이뱅크에 등록할 수 없어요"),
    ],
)
async def test_unusable_certificates_are_explained(
    bot: Any, kwargs: dict[str, Any], needle: str
) -> None:
    user = bot.user(2007)
    await user.ask("/register")
    replies = await upload_pair(user, cert(**kwargs))
    text = plain(replies)
    assert needle in text
    assert "비밀번호를 입력" not in text
    if kwargs.get("expired"):
        assert "재발급" in text  # what to do next
    # The refused certificate is gone: nothing kept in memory or stored.
    assert await bot.services.store.active_certificates_of(2007) == []
    assert len(bot.services.sessions) == 0


async def test_unknown_issuer_allowed_by_setting(bot_factory: Any) -> None:
    bot = await bot_factory(allow_unknown_issuers=True)
    replies = await register(bot.user(2008), cert(ca="other"))
    assert "등록 완료" in plain(replies)


async def test_wrong_password_counts_down_then_locks_across_restart(bot: Any) -> None:
    user = bot.user(2009)
    gen = cert(name="잠금")
    await user.ask("/register")
    await upload_pair(user, gen)
    replies = await user.ask("wrong-1")
    assert "4번 더" in plain(replies)
    for attempt in range(2, 5):
        replies = await user.ask(f"wrong-{attempt}")
    assert "1번 더" in plain(replies)
    replies = await user.ask("wrong-5")
    assert "30분 동안 막았어요" in plain(replies)
    assert all(m.deleted for m in user.user_messages if m.text and m.text.startswith("wrong"))
    assert len(bot.services.sessions) == 0
    await bot.restart()
    replies = await user.ask("/register")
    assert "이후에 다시 시도해 주세요" in plain(replies)
    events = [e["event"] for e in await bot.services.store.audit_events(2009)]
    assert events.count("password_failed") == 5 and "locked" in events


async def test_key_from_another_certificate(bot: Any) -> None:
    user = bot.user(2010)
    one, other = cert(name="하나"), cert(name="둘")
    await user.ask("/register")
    await user.upload(one.cert_der, "signCert.der")
    await user.upload(other.key_blob, "signPri.key")
    replies = await user.ask(PASSWORD)
    assert "이 인증서의 것이 아니에요" in plain(replies)
    # Asked for the files again; the right pair then works.
    replies = await upload_pair(user, one)
    assert "비밀번호를 입력" in plain(replies)


async def test_limit_reached_offers_release(bot: Any) -> None:
    user = bot.user(2011)
    await register(user, cert(name="첫째"))
    replies = await user.ask("/register")
    assert "먼저 등록된 인증서를 해제" in plain(replies)
    assert user.last.labels == ["인증서 해제"]
    replies = await user.tap("인증서 해제")
    assert "해제할 인증서를 골라" in plain(replies)


async def test_certificate_active_for_another_user_is_refused_and_audited(bot: Any) -> None:
    gen = cert(name="공유")
    await register(bot.user(2012), gen)
    other = bot.user(2013)
    await other.ask("/register")
    replies = await upload_pair(other, gen)  # refused before the password is asked
    assert "등록할 수 없어요" in plain(replies)
    assert "2012" not in plain(replies)
    events = [e["event"] for e in await bot.services.store.audit_events(2013)]
    assert "register_refused_active_elsewhere" in events


async def test_double_tap_registers_once(bot: Any) -> None:
    user = bot.user(2014)
    gen = cert(name="두번")
    await user.ask("/register")
    await upload_pair(user, gen)
    await user.ask(PASSWORD)
    confirm_id = user.last.message_id
    data = user.last.flat_buttons[0].callback_data
    await user.press_data(data, message_id=confirm_id)
    await user.press_data(data, message_id=confirm_id)
    await bot.emulator.settle()
    assert len(await bot.services.store.active_certificates_of(2014)) == 1
    assert sum("등록 완료" in m.plain for m in user.messages) == 1
    assert not user.unanswered_callbacks()


async def test_password_message_that_cannot_be_deleted(bot: Any) -> None:
    user = bot.user(2015)
    await user.ask("/register")
    await upload_pair(user, cert())
    bot.emulator.fail_next("deleteMessage", 400, "Bad Request: message can't be deleted")
    replies = await user.ask(PASSWORD)
    assert "직접 삭제해 주세요" in plain(replies)


async def test_identity_check(bot_factory: Any) -> None:
    bot = await bot_factory(require_identity_check=True)
    user = bot.user(2016)
    gen = cert(name="본인")
    await user.ask("/register")
    await upload_pair(user, gen)
    replies = await user.ask(PASSWORD)
    assert "주민등록번호 13자리" in plain(replies)
    replies = await user.ask("12345")
    assert "숫자 13자리" in plain(replies)
    replies = await user.ask("900101-1234567")
    assert "일치하지 않아요" in plain(replies) and "4번 더" in plain(replies)
    replies = await user.ask("800101-1234567")
    assert "등록할까요" in plain(replies)
    assert all(m.deleted for m in user.user_messages if m.text and "-" in m.text)
    replies = await user.tap("등록")
    assert "등록 완료" in plain(replies)


async def test_question_mid_flow_keeps_the_step(bot: Any) -> None:
    user = bot.user(2017)
    gen = cert()
    await user.ask("/register")
    await user.upload(gen.cert_der, "signCert.der")
    replies = await user.ask("signPri.key 파일은 어디에 있어요?")
    assert "진행 중이던 단계로" in plain(replies)
    replies = await user.upload(gen.key_blob, "signPri.key")
    assert "비밀번호를 입력" in plain(replies)


async def test_restart_mid_flow_asks_files_again(bot: Any) -> None:
    user = bot.user(2018)
    gen = cert()
    await user.ask("/register")
    await upload_pair(user, gen)
    await bot.restart()
    replies = await user.ask(PASSWORD)
    assert user.user_messages[-1].deleted  # still treated as a password: deleted
    assert "파일을 다시 보내" in plain(replies)
    await upload_pair(user, gen)
    await user.ask(PASSWORD)
    replies = await user.tap("등록")
    assert "등록 완료" in plain(replies)


async def test_cancel_drops_everything(bot: Any) -> None:
    user = bot.user(2019)
    await user.ask("/register")
    await upload_pair(user, cert())
    assert len(bot.services.sessions) == 1
    replies = await user.ask("/cancel")
    assert says(replies, "register.cancelled")
    assert len(bot.services.sessions) == 0
    replies = await user.ask(PASSWORD)  # no prompt open: guarded as a stray secret
    assert "비밀번호나 주민등록번호처럼 보이는" in plain(replies)
    assert user.user_messages[-1].deleted
    async with bot.services.store.db.connection.execute("SELECT COUNT(*) FROM faq_queries") as cur:
        assert (await cur.fetchone())[0] == 0


async def test_stale_session_after_restart_is_ended_politely(bot: Any) -> None:
    now = [1_000_000.0]
    await bot.restart()
    bot.services.clock.source = lambda: now[0]
    user = bot.user(2020)
    await user.ask("/register")
    now[0] += 3600  # an hour later (the timeout job died with the old process)
    replies = await user.ask("인증서 파일 위치")
    assert says(replies, "register.stale_session")


async def test_conversation_timeout(bot_factory: Any) -> None:
    bot = await bot_factory(conversation_timeout_seconds=1)
    user = bot.user(2021)
    await user.ask("/register")
    await upload_pair(user, cert())
    timeout = rendered("register.timeout")
    await user.wait_until(lambda: user.last.plain == timeout)  # the timeout job's message
    assert len(bot.services.sessions) == 0


def _protected_pfx(gen: Any, password: str) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509 import load_der_x509_certificate

    key = serialization.load_der_private_key(gen.private_key_pkcs8_der, None)
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .build(password.encode())
    )
    return pkcs12.serialize_key_and_certificates(
        b"export",
        key,
        load_der_x509_certificate(gen.cert_der),
        None,
        encryption,  # type: ignore[arg-type]
    )


async def test_pfx_with_encrypted_certificate_asks_password_first(bot: Any) -> None:
    user = bot.user(2022)
    gen = cert(name="윈도우")
    data = _protected_pfx(gen, PASSWORD)
    await user.ask("/register")
    replies = await user.upload(data, "export.pfx")
    assert "인증서 정보까지 암호로 보호" in plain(replies)
    replies = await user.ask("wrong-password")
    assert "4번 더" in plain(replies) and user.user_messages[-1].deleted
    replies = await user.ask(PASSWORD)
    text = plain(replies)
    assert "윈도우" in text and "등록할까요" in text
    replies = await user.tap("등록")
    assert "등록 완료" in plain(replies)


async def test_encrypted_pfx_of_expired_certificate_is_refused_after_password(bot: Any) -> None:
    user = bot.user(2023)
    data = _protected_pfx(cert(name="지난것", expired=True), PASSWORD)
    await user.ask("/register")
    await user.upload(data, "old.p12")
    replies = await user.ask(PASSWORD)
    assert "만료" in plain(replies) and "등록할까요" not in plain(replies)
    assert await bot.services.store.active_certificates_of(2023) == []


async def test_pem_armoured_pair(bot: Any) -> None:
    import base64
    import textwrap

    def pem(label: str, data: bytes) -> bytes:
        body = "\n".join(textwrap.wrap(base64.b64encode(data).decode(), 64))
        return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n".encode()

    user = bot.user(2024)
    gen = cert(name="피이엠")
    await user.ask("/register")
    await user.upload(pem("CERTIFICATE", gen.cert_der), "cert.pem")
    replies = await user.upload(pem("ENCRYPTED PRIVATE KEY", gen.key_blob), "key.pem")
    assert "비밀번호를 입력" in plain(replies)
    await user.ask(PASSWORD)
    replies = await user.tap("등록")
    assert "등록 완료" in plain(replies)
