"""The server over real HTTP: initData, challenges, signatures, identity, lock, the page's headers."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from aiohttp.test_utils import TestClient
from conftest import TOKEN
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from webapp_support import make_cert

from bot.certs.testgen import GeneratedCertificate
from bot.config import load_settings
from bot.store import Store
from bot.texts import Catalog
from bot.webapp import (
    InitDataError,
    chat_page_url,
    sign_init_data,
    validate_init_data,
    webapp_button,
)
from bot.webapp.server import SIGNATURE_LABEL

Client = TestClient  # type: ignore[type-arg]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sign(gen: GeneratedCertificate, challenge: bytes) -> bytes:
    key = serialization.load_der_private_key(gen.private_key_pkcs8_der, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.sign(SIGNATURE_LABEL + challenge, padding.PKCS1v15(), hashes.SHA256())


async def post(client: Client, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await client.post(path, json=body)
    return response.status, await response.json()


async def challenge(client: Client, user_id: int) -> tuple[str, bytes]:
    status, body = await post(
        client, "/api/challenge", {"initData": sign_init_data(TOKEN, user_id)}
    )
    assert status == 200 and body["ok"], body
    return body["challengeId"], base64.b64decode(body["challenge"])


async def register(
    client: Client, user_id: int, gen: GeneratedCertificate, cid: str, signature: bytes
) -> tuple[int, dict[str, Any]]:
    return await post(
        client,
        "/api/register",
        {
            "initData": sign_init_data(TOKEN, user_id),
            "challengeId": cid,
            "certificate": b64(gen.cert_der),
            "signature": b64(signature),
        },
    )


# ---- initData ----------------------------------------------------------------------------


def test_init_data_round_trip_and_tampering() -> None:
    data = sign_init_data(TOKEN, 42, first_name="홍길동", language_code="ko", query_id="AAE")
    user = validate_init_data(data, TOKEN)
    assert (user.id, user.first_name, user.language_code) == (42, "홍길동", "ko")
    fields = dict(parse_qsl(data))
    fields["user"] = fields["user"].replace("42", "43")
    forged = "&".join(f"{k}={v}" for k, v in fields.items())
    for bad, code in [
        (forged, "init_data_invalid"),
        (data, "init_data_invalid"),  # checked with another bot's token below
        (data + "&auth_date=1", "init_data_invalid"),  # a duplicated field
        ("", "init_data_missing"),
    ]:
        token = "999:OTHER" if bad is data else TOKEN
        with pytest.raises(InitDataError) as caught:
            validate_init_data(bad, token)
        assert caught.value.code == code
    old = sign_init_data(TOKEN, 42, auth_date=int(time.time()) - 3601)
    with pytest.raises(InitDataError) as caught:
        validate_init_data(old, TOKEN)
    assert caught.value.code == "init_data_expired"


def test_chat_link_carries_init_data_telegram_would_send() -> None:
    url = chat_page_url("http://127.0.0.1:8088", TOKEN, 7, language_code="en")
    fragment = dict(parse_qsl(urlsplit(url).fragment))
    assert validate_init_data(fragment["tgWebAppData"], TOKEN).id == 7
    assert unquote(url).count("tgWebAppData=") == 1


def test_button_only_when_webapp_url_is_set() -> None:
    catalog = Catalog()
    assert webapp_button(load_settings(webapp_url=""), catalog, "ko") is None
    button = webapp_button(load_settings(webapp_url="https://bot.example.com/app/"), catalog, "en")
    assert button is not None and button.web_app is not None
    assert button.web_app.url == "https://bot.example.com/app/"
    assert "device" in button.text


def test_webapp_url_must_be_https_outside_loopback() -> None:
    from bot.config import SettingsError

    with pytest.raises(SettingsError, match="WEBAPP_URL"):
        load_settings(webapp_url="http://bot.example.com")
    assert load_settings(webapp_url="http://127.0.0.1:8088").webapp_url


# ---- register ------------------------------------------------------------------------------


async def test_proven_certificate_is_registered(client: Client, store: Store) -> None:
    gen = make_cert()
    cid, value = await challenge(client, 1001)
    status, body = await register(client, 1001, gen, cid, sign(gen, value))
    assert (status, body["code"]) == (200, "registered"), body
    [active] = await store.active_certificates_of(1001)
    assert active.fingerprint_sha256 == gen.info.fingerprint_sha256


async def test_replayed_challenge_is_refused(client: Client, store: Store) -> None:
    gen = make_cert()
    cid, value = await challenge(client, 1002)
    signature = sign(gen, value)
    assert (await register(client, 1002, gen, cid, signature))[1]["code"] == "registered"
    status, body = await register(client, 1002, gen, cid, signature)
    assert (status, body) == (404, {"ok": False, "code": "challenge_unknown"})


async def test_challenge_of_another_user_is_refused(client: Client, store: Store) -> None:
    gen = make_cert()
    cid, value = await challenge(client, 1003)
    status, body = await register(client, 1004, gen, cid, sign(gen, value))
    assert (status, body["code"]) == (403, "challenge_foreign")
    assert await store.active_certificates_of(1004) == []
    # the rightful user can still use it
    assert (await register(client, 1003, gen, cid, sign(gen, value)))[1]["code"] == "registered"


async def test_signature_over_another_challenge_is_refused(client: Client, store: Store) -> None:
    gen = make_cert()
    cid, _value = await challenge(client, 1005)
    _other_id, other_value = await challenge(client, 1005)
    status, body = await register(client, 1005, gen, cid, sign(gen, other_value))
    assert (status, body["code"]) == (422, "bad_signature")
    assert await store.active_certificates_of(1005) == []


async def test_signature_by_another_key_is_refused(client: Client, store: Store) -> None:
    gen, other = make_cert(), make_cert(key_index=1)
    cid, value = await challenge(client, 1006)
    status, body = await register(client, 1006, gen, cid, sign(other, value))
    assert (status, body["code"]) == (422, "bad_signature")


async def test_forged_init_data_is_refused_everywhere(client: Client) -> None:
    forged = sign_init_data("111:SOMEONE-ELSE", 1007)
    for path in ("/api/challenge", "/api/register", "/api/identity", "/api/lock"):
        status, body = await post(client, path, {"initData": forged})
        assert (status, body["code"]) == (401, "init_data_invalid"), path
    status, body = await post(client, "/api/challenge", {})
    assert (status, body["code"]) == (401, "init_data_missing")


async def test_bad_bodies_get_a_code_not_a_traceback(client: Client) -> None:
    response = await client.post("/api/challenge", data=b"initData=x")
    assert response.status == 415 and (await response.json())["code"] == "bad_request"
    response = await client.post(
        "/api/challenge", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert (await response.json())["code"] == "bad_request"
    cid, _ = await challenge(client, 1008)
    status, body = await post(
        client,
        "/api/register",
        {"initData": sign_init_data(TOKEN, 1008), "challengeId": cid, "certificate": "!!"},
    )
    assert (status, body["code"]) == (400, "bad_request")
    response = await client.post(
        "/api/register",
        data=json.dumps({"x": "a" * 70_000}),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 413


async def test_lock_then_register_is_refused(client: Client, store: Store) -> None:
    gen = make_cert()
    status, body = await post(
        client,
        "/api/lock",
        {"initData": sign_init_data(TOKEN, 1009), "certificate": b64(gen.cert_der)},
    )
    assert (status, body["code"]) == (200, "locked")
    cid, value = await challenge(client, 1009)
    status, body = await register(client, 1009, gen, cid, sign(gen, value))
    assert body["code"] == "locked"
    assert await store.active_certificates_of(1009) == []


# ---- identity ------------------------------------------------------------------------------


async def identity(
    client: Client, user_id: int, cid: str, gen: GeneratedCertificate, number: str
) -> tuple[int, dict[str, Any]]:
    assert gen.random_num is not None
    return await post(
        client,
        "/api/identity",
        {
            "initData": sign_init_data(TOKEN, user_id),
            "challengeId": cid,
            "certificate": b64(gen.cert_der),
            "random": b64(gen.random_num),
            "identityNumber": number,
        },
    )


async def test_identity_required_before_register(identity_client: Client, store: Store) -> None:
    gen = make_cert()
    assert gen.identity_number is not None
    cid, value = await challenge(identity_client, 1010)
    status, body = await register(identity_client, 1010, gen, cid, sign(gen, value))
    assert (status, body["code"]) == (403, "identity_required")

    cid, value = await challenge(identity_client, 1010)
    status, body = await identity(identity_client, 1010, cid, gen, "8001011234568")
    assert (status, body["code"], body["remaining"]) == (422, "identity_mismatch", "2")
    status, body = await identity(identity_client, 1010, cid, gen, "12")
    assert body["code"] == "identity_invalid_number"
    status, body = await identity(identity_client, 1010, cid, gen, gen.identity_number)
    assert (status, body["code"]) == (200, "identity_verified")
    # the identity check is bound to that certificate: another one is refused
    other = make_cert(key_index=1)
    status, body = await register(identity_client, 1010, other, cid, sign(other, value))
    assert body["code"] == "identity_required"
    cid, value = await challenge(identity_client, 1010)
    assert (await identity(identity_client, 1010, cid, gen, gen.identity_number))[0] == 200
    status, body = await register(identity_client, 1010, gen, cid, sign(gen, value))
    assert body["code"] == "registered"


async def test_identity_failures_lock(identity_client: Client, store: Store) -> None:
    gen = make_cert()
    codes = []
    for _ in range(3):  # a fresh challenge each time does not reset the count
        cid, _value = await challenge(identity_client, 1011)
        codes.append((await identity(identity_client, 1011, cid, gen, "8001011234568"))[1]["code"])
    assert codes == ["identity_mismatch", "identity_mismatch", "identity_locked"]
    state = await store.lock_state(["user:1011"])
    assert state.locked_until is not None
    # the challenge is gone with the lock
    assert (await identity(identity_client, 1011, cid, gen, "8001011234568"))[1]["code"] == (
        "challenge_unknown"
    )


# ---- the page ------------------------------------------------------------------------------


async def test_page_is_served_with_a_strict_policy(client: Client) -> None:
    response = await client.get("/")
    assert response.status == 200
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "connect-src 'self'" in policy
    html = await response.text()
    assert "<script>" not in html and "http" not in html.replace("http-equiv", "")
    for name in ("app.js", "npki.js", "der.js", "seed.js", "texts.json", "style.css"):
        file = await client.get(f"/static/{name}")
        assert file.status == 200, name
        assert "Content-Security-Policy" in file.headers
    assert (await client.get("/static/../server.py")).status == 404
    assert (await client.get("/static/index.html")).status == 404


def test_page_texts_cover_every_refusal_in_both_languages() -> None:
    import re

    from webapp_support import STATIC

    texts = json.loads((STATIC / "texts.json").read_text(encoding="utf-8"))
    ko, en = texts["ko"], texts["en"]
    assert set(ko) == set(en)
    for key in ko:
        assert re.findall(r"\{(\w+)\}", ko[key]) == re.findall(r"\{(\w+)\}", en[key]), key
    root = STATIC.parent
    emitted = set(re.findall(r'Refusal\(\s*"(\w+)"', (root / "server.py").read_text()))
    emitted |= set(re.findall(r'NpkiError\("(\w+)"\)', (STATIC / "npki.js").read_text()))
    emitted |= set(re.findall(r'Outcome\(False, "(\w+)"', (root / "store_backend.py").read_text()))
    emitted |= {"init_data_missing", "init_data_invalid", "init_data_expired"}
    emitted |= {"challenge_unknown", "challenge_foreign", "challenge_expired"}
    missing = {code for code in emitted if f"error.{code}" not in ko}
    assert len(emitted) > 20 and missing == set(), missing
