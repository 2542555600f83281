"""Release (해제) and the certificate list, end to end through the emulator."""

from __future__ import annotations

from typing import Any

from bot.flows.common import format_time
from tests.conftest import PASSWORD, cert
from tests.support import plain, register, rendered, says


async def test_release_with_reason_then_register_again(bot: Any) -> None:
    user = bot.user(3001)
    gen = cert(name="해제")
    await register(user, gen)
    replies = await user.ask("/certs")
    text = plain(replies)
    assert "해제" in text and "금융결제원" in text and "D-" in text

    replies = await user.ask("/revoke")
    assert "해제할 인증서를 골라" in plain(replies)
    replies = await user.tap("해제")  # the certificate's button (owner name)
    assert user.last.labels == ["분실", "재발급·갱신", "더 이상 사용 안 함", "기타", "건너뛰기"]
    replies = await user.tap("재발급·갱신")
    text = plain(replies)
    assert "해제하면 이 인증서로 더 이상 케이뱅크 서비스를 이용할 수 없어요" in text
    assert "언제든지 다시 등록할 수 있어요" in text
    replies = await user.tap("해제")
    text = plain(replies)
    assert "해제 완료" in text and "폐지" in text
    assert user.last.labels == ["다시 등록하기"]
    assert await bot.services.store.active_certificates_of(3001) == []
    events = await bot.services.store.audit_events(3001)
    released = [e for e in events if e["event"] == "released"]
    assert released and released[0]["detail"]["reason"] == "reissued"

    replies = await user.ask("/certs")
    assert "지난 인증서" in plain(replies) and "해제" in plain(replies)

    # 다시 등록하기 starts the registration again; the same certificate can come back.
    replies = await user.tap("다시 등록하기")
    assert "타행 공동인증서 등록" in plain(replies)
    await user.ask("/cancel")
    replies = await register(user, gen)
    assert "등록 완료" in plain(replies)


async def test_history_shows_released_as_released(bot: Any) -> None:
    # The owner's name is no UI word, so only the status can supply "해제" or "만료".
    user = bot.user(3010)
    gen = cert(name="가온누리")
    await register(user, gen)
    await user.ask("/revoke")
    await user.tap("가온누리")
    await user.tap("분실")
    await user.tap("해제")
    replies = await user.ask("/certs")
    (history,) = await bot.services.store.history_of(3010)
    line = rendered(
        "cert.history_item",
        owner="가온누리",
        issuer=rendered("ca.yessign"),
        status=rendered("cert.status_released"),
        date=format_time(history.ended_at, "ko"),
    )
    assert line in plain(replies).splitlines()
    assert rendered("cert.status_expired") not in plain(replies)


async def test_release_other_reason_free_text_is_scrubbed(bot: Any) -> None:
    user = bot.user(3002)
    await register(user, cert(name="기타"))
    await user.ask("/revoke")
    await user.tap("기타")  # the certificate button
    await user.tap("기타")  # the reason button
    replies = await user.ask("새 폰으로 바꿔서요 010 1234 5678")
    assert "정말 해제할까요" in plain(replies)
    await user.tap("해제")
    async with bot.services.store.db.connection.execute(
        "SELECT release_reason, release_note FROM certificates WHERE user_id = 3002"
    ) as cur:
        row = await cur.fetchone()
    assert row["release_reason"] == "other"
    assert "5678" not in row["release_note"] and "새 폰" in row["release_note"]


async def test_no_certificate_offers_registration(bot: Any) -> None:
    user = bot.user(3003)
    replies = await user.ask("/revoke")
    assert "등록된 인증서가 없어요" in plain(replies)
    replies = await user.tap("인증서 등록")
    assert "타행 공동인증서 등록" in plain(replies)


async def test_cancel_keeps_the_certificate(bot: Any) -> None:
    user = bot.user(3004)
    await register(user, cert(name="유지"))
    await user.ask("/revoke")
    await user.tap("유지")
    await user.tap("건너뛰기")
    replies = await user.tap("취소")
    assert "그대로 등록되어 있어요" in plain(replies)
    assert len(await bot.services.store.active_certificates_of(3004)) == 1


async def test_forged_certificate_id_is_refused_and_audited(bot: Any) -> None:
    owner, attacker = bot.user(3005), bot.user(3006)
    await register(owner, cert(name="남의것"))
    victim_id = (await bot.services.store.active_certificates_of(3005))[0].id
    await register(attacker, cert(name="공격자"))
    await attacker.ask("/revoke")
    await attacker.press_data(f"rv:pick:{victim_id}", message_id=attacker.last.message_id)
    await bot.emulator.settle()
    assert "찾을 수 없어요" in (attacker.callback_answers[-1].text or "")
    assert len(await bot.services.store.active_certificates_of(3005)) == 1
    events = [e["event"] for e in await bot.services.store.audit_events(3006)]
    assert "forged_callback" in events


async def test_stale_release_button_and_double_tap(bot: Any) -> None:
    user = bot.user(3007)
    await register(user, cert(name="더블"))
    await user.ask("/revoke")
    await user.tap("더블")
    await user.tap("분실")
    confirm = user.last
    data = confirm.flat_buttons[0].callback_data
    await user.press_data(data, message_id=confirm.message_id)
    await user.press_data(data, message_id=confirm.message_id)
    await bot.emulator.settle()
    assert sum("해제 완료" in m.plain for m in user.messages) == 1
    events = [e["event"] for e in await bot.services.store.audit_events(3007)]
    assert events.count("released") == 1
    assert not user.unanswered_callbacks()
    # Nothing left to release.
    await user.ask("/revoke")
    assert "등록된 인증서가 없어요" in user.last.plain


async def test_question_mid_revoke_keeps_the_step(bot: Any) -> None:
    user = bot.user(3008)
    await register(user, cert(name="질문"))
    await user.ask("/revoke")
    await user.tap("질문")
    replies = await user.ask("해제하면 인증서가 폐지되나요?")
    assert "진행 중이던 단계로" in plain(replies)
    replies = await user.tap("분실")
    assert "정말 해제할까요" in plain(replies)


async def test_english_user_registers_and_releases(bot: Any) -> None:
    user = bot.user(3009, language_code="en")
    gen = cert(name="Kim", ca="TradeSign")
    await user.ask("/register")
    await user.upload(gen.cert_der, "signCert.der")
    replies = await user.upload(gen.key_blob, "signPri.key")
    assert "Please type the certificate password" in plain(replies)
    assert user.last.protect_content  # certificate details are not forwardable
    replies = await user.ask(PASSWORD)
    assert "Register this certificate" in plain(replies)
    replies = await user.tap("Register")
    assert "Registration complete" in plain(replies) and "TradeSign" in plain(replies)
    await user.ask("/revoke")
    await user.tap("Kim")
    await user.tap("Lost")
    replies = await user.tap("Release")
    assert "Released" in plain(replies) and "does not revoke" in plain(replies)


async def test_cancel_in_release_says_the_certificate_stays(bot: Any) -> None:
    user = bot.user(3020)
    await register(user, cert(name="취소"))
    await user.ask("/revoke")
    await user.tap("취소")  # the certificate's button (owner name)
    replies = await user.ask("/cancel")
    assert says(replies, "revoke.cancelled")
    assert rendered("register.cancelled") not in plain(replies)
    assert "지웠" not in plain(replies)  # nothing was uploaded in this flow
    assert len(await bot.services.store.active_certificates_of(3020)) == 1


async def test_release_timeout_names_revoke(bot_factory: Any) -> None:
    bot = await bot_factory(conversation_timeout_seconds=1)
    user = bot.user(3021)
    await register(user, cert(name="시간"))
    await user.ask("/revoke")
    timeout = rendered("revoke.timeout")
    await user.wait_until(lambda: user.last.plain == timeout)  # the timeout job's message
    assert "/revoke" in timeout and "/start" not in timeout
    assert len(await bot.services.store.active_certificates_of(3021)) == 1


async def test_cancel_outside_a_flow_names_nothing_uploaded(bot: Any) -> None:
    user = bot.user(3022)
    replies = await user.ask("/cancel")
    assert "지웠" not in plain(replies)


async def test_release_reason_that_looks_like_a_secret_is_deleted_and_never_kept(
    bot: Any, log_file: Any
) -> None:
    user = bot.user(3023)
    await register(user, cert(name="비밀"))
    await user.ask("/revoke")
    await user.tap("비밀")  # the certificate button
    await user.tap("기타")
    for secret in (PASSWORD, "폰 바꿨어요 8001011234567", f"비번은 {PASSWORD} 이에요"):
        replies = await user.ask(secret)
        assert says(replies, "revoke.reason_secret_deleted")
        assert user.user_messages[-1].deleted
        assert rendered("revoke.confirm", summary="x").splitlines()[-1] not in plain(replies)
    replies = await user.ask("폰을 바꿨어요")  # asked again: a safe reason goes on
    assert "정말 해제할까요" in plain(replies)
    await user.tap("해제")
    async with bot.services.store.db.connection.execute(
        "SELECT release_note FROM certificates WHERE user_id = 3023"
    ) as cur:
        row = await cur.fetchone()
    assert row["release_note"] == "폰을 바꿨어요"
    stored = []
    for table in ("ptb_data", "ptb_conversations", "audit_events", "certificates"):
        async with bot.services.store.db.connection.execute(f"SELECT * FROM {table}") as cur:
            stored += [str(tuple(r)) for r in await cur.fetchall()]
    text = "\n".join(stored) + log_file.read_text(encoding="utf-8")
    assert PASSWORD not in text and "8001011234567" not in text
