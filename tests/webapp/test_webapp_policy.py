"""The page's registrations go through the chat flow's policy: the real Application on the
emulator, a real SQLite file, the Mini App server with `PolicyBackend`, HTTP over loopback.

The page's part (unlock, sign) is done here in Python with the generated key: what the server
receives is what the page sends.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bot.certs import display_name
from bot.certs.testgen import GeneratedCertificate, fake_ca_certificate, generate_test_certificate
from bot.flows.common import format_date, format_time
from bot.flows.register import ISSUER_LIMIT, issuer_name
from bot.webapp import sign_init_data
from bot.webapp.policy_backend import PolicyBackend, lock_id
from bot.webapp.server import SIGNATURE_LABEL, create_app
from tests.conftest import PASSWORD, BotHarness, cert
from tests.support import says


@dataclass
class Page:
    """The page's side of the API: initData signed with the bot's token, as Telegram does."""

    client: TestClient  # type: ignore[type-arg]
    token: str

    async def post(self, path: str, user_id: int, **body: Any) -> dict[str, Any]:
        init_data = sign_init_data(self.token, user_id, language_code="ko")
        response = await self.client.post(f"/api/{path}", json={"initData": init_data, **body})
        return await response.json()  # type: ignore[no-any-return]


@pytest.fixture
async def harness(bot_factory: Callable[..., Any]) -> BotHarness:
    return await bot_factory(max_active_certificates=1)  # type: ignore[no-any-return]


@pytest.fixture
async def page(harness: BotHarness) -> AsyncIterator[Page]:
    assert harness.app is not None
    app = create_app(harness.settings.bot_token, PolicyBackend(harness.app))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield Page(client, harness.settings.bot_token)


def sign(gen: GeneratedCertificate, challenge: bytes) -> bytes:
    key = serialization.load_der_private_key(gen.private_key_pkcs8_der, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.sign(SIGNATURE_LABEL + challenge, padding.PKCS1v15(), hashes.SHA256())


async def page_register(page: Page, user_id: int, gen: GeneratedCertificate) -> dict[str, Any]:
    """What the page does after the password opened the key: challenge, sign, register."""
    challenge = await page.post("challenge", user_id)
    signature = sign(gen, base64.b64decode(challenge["challenge"]))
    return await page.post(
        "register",
        user_id,
        challengeId=challenge["challengeId"],
        certificate=base64.b64encode(gen.cert_der).decode(),
        signature=base64.b64encode(signature).decode(),
    )


async def test_registered_from_the_page_is_stored_and_confirmed_in_the_chat(
    harness: BotHarness, page: Page
) -> None:
    gen = cert(name="웹앱")
    user = harness.user(7001)
    before = user.message_count
    result = await page_register(page, 7001, gen)
    assert result == {"ok": True, "code": "registered", "owner": "웹앱"}
    [active] = await harness.services.store.active_certificates_of(7001)
    assert active.fingerprint_sha256 == gen.info.fingerprint_sha256
    assert active.key_format == "webapp"
    confirmation = await user.next_message(after=before)
    assert "웹앱" in confirmation.plain  # the summary first, then the flow's done text
    assert confirmation.protect_content
    expected_list = confirmation.plain.split("등록된 인증서\n", 1)[1]
    assert says([confirmation], "register.done", list=expected_list)
    events = [e["event"] for e in await harness.services.store.audit_events(7001)]
    assert events == ["registered"]


async def test_expired_is_refused_with_the_flows_text(harness: BotHarness, page: Page) -> None:
    gen = cert(expired=True)
    user = harness.user(7002)
    before = user.message_count
    result = await page_register(page, 7002, gen)
    assert (result["ok"], result["code"]) == (False, "expired")
    message = await user.next_message(after=before)
    assert says([message], "register.expired", date=format_date(gen.info.not_after, "ko"))
    assert await harness.services.store.active_certificates_of(7002) == []


async def test_self_signed_forgery_is_an_untrusted_chain(harness: BotHarness, page: Page) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    forgery = generate_test_certificate(
        key_size=1024,
        password=PASSWORD,
        private_key=key,
        issuer_key=key,
        issuer_name=fake_ca_certificate("yessign").subject,
    )
    user = harness.user(7003)
    before = user.message_count
    result = await page_register(page, 7003, forgery)
    assert (result["ok"], result["code"]) == (False, "untrusted_chain")
    assert result["issuer"] == forgery.info.issuer_dn
    message = await user.next_message(after=before)
    # The chat names the issuer as the flow does: its organisation, cleaned and cut, not the DN.
    shown = display_name(issuer_name(forgery.info), ISSUER_LIMIT)
    assert says([message], "register.untrusted_chain", issuer=shown)
    assert await harness.services.store.active_certificates_of(7003) == []


async def test_active_elsewhere_and_limit_reached(harness: BotHarness, page: Page) -> None:
    first, second = cert(name="첫째"), cert(name="둘째")
    owner, other = harness.user(7004), harness.user(7005)
    assert (await page_register(page, 7004, first))["ok"]
    before = other.message_count
    result = await page_register(page, 7005, first)
    assert (result["ok"], result["code"]) == (False, "active_elsewhere")
    message = await other.next_message(after=before)
    assert says([message], "register.active_elsewhere", phone=harness.settings.customer_center)
    events = [e["event"] for e in await harness.services.store.audit_events(7005)]
    assert events == ["register_refused_active_elsewhere"]
    # The limit (1 in this harness): the flow's text, with its [해제] button.
    before = owner.message_count
    result = await page_register(page, 7004, second)
    assert (result["ok"], result["code"]) == (False, "limit_reached")
    message = await owner.next_message(after=before)
    assert says([message], "register.limit_reached", count=1, limit=1)
    assert message.buttons
    assert len(await harness.services.store.active_certificates_of(7004)) == 1


async def test_lock_from_the_page_locks_like_the_chat(harness: BotHarness, page: Page) -> None:
    gen = cert(name="잠금")
    store = harness.services.store
    user = harness.user(7006)
    before = user.message_count
    certificate = base64.b64encode(gen.cert_der).decode()
    locked = await page.post("lock", 7006, certificate=certificate)
    assert (locked["ok"], locked["code"]) == (True, "locked")
    state = await store.registration_lock(7006, lock_id(gen.info))
    assert state.locked_until is not None
    assert lock_id(gen.info) == gen.info.public_key_sha256
    # Another account trying the same certificate is locked too (the certificate's scope).
    assert (await store.registration_lock(7099, lock_id(gen.info))).locked_until is not None
    message = await user.next_message(after=before)
    settings = harness.settings
    assert says(
        [message],
        "register.locked_now",
        attempts=settings.password_max_attempts,
        minutes=settings.password_lock_minutes,
        until=format_time(state.locked_until, "ko"),
    )
    events = [e["event"] for e in await store.audit_events(7006)]
    assert events == ["password_failed", "locked"]
    # Registering now is refused, in the page and in the chat, as the chat flow refuses it.
    before = user.message_count
    result = await page_register(page, 7006, gen)
    assert (result["ok"], result["code"]) == (False, "locked")
    message = await user.next_message(after=before)
    assert says([message], "register.locked", until=format_time(state.locked_until, "ko"))
    assert await store.active_certificates_of(7006) == []
