"""End to end in headless Chromium: the real page and files, the real Application on the
emulator with WEBAPP_URL set (its Mini App server, PolicyBackend, a real SQLite file), and the
chat, where the scripted user reads the bot's confirmation.

Every request the page makes is recorded: none may carry the key file, the decrypted key or
the password, and R with the identity number may go only to /api/identity.
"""

from __future__ import annotations

import base64
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from webapp_support import PASSWORD, make_cert, pfx_openssl_pbes2

from bot.certs.testgen import GeneratedCertificate
from bot.emulator import ScriptedUser
from bot.flows.common import format_time
from bot.webapp.policy_backend import lock_id
from tests.conftest import BotHarness
from tests.support import says

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
playwright_api = pytest.importorskip("playwright.async_api")


@dataclass
class Recorded:
    requests: list[tuple[str, bytes]] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    async with playwright_api.async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def serve(bot_factory: Callable[..., object], *, require_identity: bool) -> BotHarness:
    """The real bot with WEBAPP_URL set: startup() serves the Mini App with the policy."""
    port = free_port()
    harness = await bot_factory(  # type: ignore[misc]
        webapp_url=f"http://127.0.0.1:{port}",
        webapp_port=port,
        require_identity_check=require_identity,
    )
    assert harness.app is not None and harness.app.webapp is not None
    return harness  # type: ignore[no-any-return]


async def open_page(
    browser: object, harness: BotHarness, user_id: int
) -> tuple[object, Recorded, ScriptedUser]:
    """The user's chat, and the page opened as Telegram opens the web_app button."""
    user = harness.user(user_id)
    recorded = Recorded()
    page = await browser.new_page()  # type: ignore[attr-defined]
    page.on("request", lambda r: recorded.requests.append((r.url, r.post_data_buffer or b"")))
    page.on("console", lambda m: recorded.console.append(m.text))
    await page.goto(user.web_app_link(harness.settings.webapp_url + "/"))
    await page.wait_for_selector("body[data-ready='1']")
    return page, recorded, user


async def confirmed(user: ScriptedUser) -> str:
    """The bot's confirmation in the chat (the flow's register.done after the summary)."""
    await user.wait_until(lambda: any("등록 완료" in m.plain for m in user.messages))
    return next(m.plain for m in user.messages if "등록 완료" in m.plain)


def write_pair(tmp_path: Path, gen: GeneratedCertificate) -> list[str]:
    folder = tmp_path / gen.fmt
    folder.mkdir(exist_ok=True)
    (folder / "signCert.der").write_bytes(gen.cert_der)
    (folder / "signPri.key").write_bytes(gen.key_blob)
    return [str(folder / "signCert.der"), str(folder / "signPri.key")]


def secrets_of(gen: GeneratedCertificate, password: str) -> list[bytes]:
    raw = [gen.key_blob, gen.private_key_pkcs8_der, password.encode()]
    if gen.pfx:
        raw.append(gen.pfx)
    out = []
    for item in raw:
        out += [item, base64.b64encode(item)]
    return out


def assert_no_leak(recorded: Recorded, forbidden: list[bytes]) -> None:
    for url, body in recorded.requests:
        haystack = url.encode() + b"\n" + body
        for secret in forbidden:
            assert secret not in haystack, f"secret material in a request to {url}"


async def test_register_with_identity_check_in_chromium(
    browser: object, bot_factory: Callable[..., object], tmp_path: Path
) -> None:
    expect = playwright_api.expect
    gen = make_cert()
    assert gen.random_num is not None and gen.identity_number is not None
    harness = await serve(bot_factory, require_identity=True)
    page, recorded, user = await open_page(browser, harness, 2001)
    await page.set_input_files("#files", write_pair(tmp_path, gen))  # type: ignore[attr-defined]
    await page.fill("#password", gen.password)  # type: ignore[attr-defined]
    await page.fill("#identity-number", gen.identity_number)  # type: ignore[attr-defined]
    await page.click("#submit")  # type: ignore[attr-defined]
    await expect(page.locator("#status.ok")).to_contain_text("등록했어요")  # type: ignore[attr-defined]
    assert gen.info.owner_name in await confirmed(user)
    [active] = await harness.services.store.active_certificates_of(2001)
    assert active.fingerprint_sha256 == gen.info.fingerprint_sha256
    assert_no_leak(recorded, secrets_of(gen, gen.password))
    identity_only = [base64.b64encode(gen.random_num), gen.identity_number.encode()]
    posted = [(u, b) for u, b in recorded.requests if b]
    assert {u.rsplit("/", 1)[1] for u, _ in posted} == {"challenge", "identity", "register"}
    for url, body in posted:
        for item in identity_only:
            assert (item in body) == url.endswith("/api/identity"), url
    assert not [m for m in recorded.console if "Content Security Policy" in m]


async def test_wrong_password_then_lock_in_chromium(
    browser: object, bot_factory: Callable[..., object], tmp_path: Path
) -> None:
    expect = playwright_api.expect
    gen = make_cert(fmt="pbes2-seed")
    harness = await serve(bot_factory, require_identity=False)
    store = harness.services.store
    page, recorded, user = await open_page(browser, harness, 2002)
    await page.set_input_files("#files", write_pair(tmp_path, gen))  # type: ignore[attr-defined]
    status = page.locator("#status.error")  # type: ignore[attr-defined]
    for attempt in range(1, 6):
        await page.fill("#password", f"wrong-{attempt}")  # type: ignore[attr-defined]
        await page.click("#submit")  # type: ignore[attr-defined]
        if attempt < 5:
            await expect(status).to_contain_text(f"남은 횟수: {5 - attempt}번")
            await expect(page.locator("#submit")).to_be_enabled()  # type: ignore[attr-defined]
    await expect(status).to_contain_text("등록을 잠시 멈췄어요")
    await expect(page.locator("#submit")).to_be_disabled()  # type: ignore[attr-defined]
    assert sum(u.endswith("/api/lock") for u, _ in recorded.requests) == 1
    state = await store.registration_lock(2002, lock_id(gen.info))
    assert state.locked_until is not None
    await user.wait_until(lambda: bool(user.messages))
    settings = harness.settings
    assert says(
        user.messages,
        "register.locked_now",
        attempts=settings.password_max_attempts,
        minutes=settings.password_lock_minutes,
        until=format_time(state.locked_until, "ko"),
    )
    assert await store.active_certificates_of(2002) == []
    wrong = [f"wrong-{n}".encode() for n in range(1, 6)]
    assert_no_leak(recorded, secrets_of(gen, gen.password) + wrong)


async def test_pfx_in_chromium(
    browser: object, bot_factory: Callable[..., object], tmp_path: Path
) -> None:
    expect = playwright_api.expect
    gen = make_cert(key_index=1)
    modern = tmp_path / "export.pfx"
    modern.write_bytes(pfx_openssl_pbes2(gen))
    legacy = tmp_path / "legacy.pfx"
    legacy_gen = make_cert(fmt="pfx", key_index=2)
    assert legacy_gen.pfx is not None
    legacy.write_bytes(legacy_gen.pfx)
    harness = await serve(bot_factory, require_identity=False)
    page, recorded, user = await open_page(browser, harness, 2003)
    await page.set_input_files("#files", [str(legacy)])  # type: ignore[attr-defined]
    await page.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    await page.click("#submit")  # type: ignore[attr-defined]
    await expect(page.locator("#status.error")).to_contain_text("signPri.key")  # type: ignore[attr-defined]
    await page.set_input_files("#files", [str(modern)])  # type: ignore[attr-defined]
    await page.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    await page.click("#submit")  # type: ignore[attr-defined]
    await expect(page.locator("#status.ok")).to_contain_text("등록했어요")  # type: ignore[attr-defined]
    assert gen.info.owner_name in await confirmed(user)
    [active] = await harness.services.store.active_certificates_of(2003)
    assert active.fingerprint_sha256 == gen.info.fingerprint_sha256
    assert_no_leak(recorded, [modern.read_bytes(), base64.b64encode(modern.read_bytes())])
    assert_no_leak(recorded, secrets_of(gen, PASSWORD) + secrets_of(legacy_gen, PASSWORD))
