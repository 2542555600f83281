"""The Mini App's web server (aiohttp): the static page and four JSON endpoints.

POST /api/challenge  {initData}                                  → a one-time challenge
POST /api/identity   {initData, challengeId, certificate, random, identityNumber}
                                                                 → VID check (forgotten at once)
POST /api/register   {initData, challengeId, certificate, signature}
                                                                 → signature check → backend
POST /api/lock       {initData, certificate?}                    → the page saw 5 wrong passwords

Every refusal is `{"ok": false, "code": ...}` with a stable code. Request bodies are never
logged: they hold R and the identity number on the identity endpoint.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from importlib import resources
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bot.certs import (
    CertificateError,
    IdentityCheckUnavailable,
    IdentityMismatch,
    InvalidIdentityNumber,
)
from bot.certs import verify_identity as _verify_identity
from bot.webapp.backend import Outcome, RegistrationBackend
from bot.webapp.challenges import ChallengeBook, ChallengeError
from bot.webapp.initdata import MAX_AGE_SECONDS, InitDataError, WebAppUser, validate_init_data

__all__ = ["SIGNATURE_LABEL", "WebAppServer", "content_security_policy", "create_app"]

log = logging.getLogger(__name__)

# Must equal SIGNATURE_LABEL in static/npki.js: the page signs label || challenge.
SIGNATURE_LABEL = b"kcert-bot webapp challenge v1\n"
MAX_BODY_BYTES = 64 * 1024
MAX_CERT_BYTES = 8 * 1024
STATIC_FILES = {
    "app.js": "text/javascript",
    "npki.js": "text/javascript",
    "der.js": "text/javascript",
    "seed.js": "text/javascript",
    "texts.json": "application/json",
    "style.css": "text/css",
}
_STATUS = {
    "bad_request": 400,
    "init_data_missing": 401,
    "init_data_invalid": 401,
    "init_data_expired": 401,
    "challenge_unknown": 404,
    "challenge_foreign": 403,
    "challenge_expired": 410,
    "busy": 503,
}

BOOK_KEY: web.AppKey[ChallengeBook] = web.AppKey("challenges", ChallengeBook)


def content_security_policy(api_origin: str | None = None) -> str:
    """Strict CSP: own files only, no inline script, the API on the page's own origin."""
    connect = "'self'" if not api_origin else f"'self' {api_origin}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src {connect}; object-src 'none'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'self' https://web.telegram.org"
    )


class Refusal(Exception):
    def __init__(self, code: str, status: int | None = None, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.status = status or _STATUS.get(code, 422)
        self.details = details


def _b64(value: object, *, limit: int) -> bytes:
    if not isinstance(value, str) or len(value) > limit * 4 // 3 + 4:
        raise Refusal("bad_request")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Refusal("bad_request") from None


def _text(body: Mapping[str, Any], name: str, limit: int = 200) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise Refusal("bad_request")
    return value


def _fingerprint(cert_der: bytes) -> str:
    return hashlib.sha256(cert_der).hexdigest()


Handler = Callable[[web.Request, WebAppUser, Mapping[str, Any]], Awaitable[dict[str, Any]]]


def create_app(
    bot_token: str,
    backend: RegistrationBackend,
    *,
    require_identity: bool = False,
    max_attempts: int = 5,
    api_origin: str | None = None,
    init_data_max_age: int = MAX_AGE_SECONDS,
    challenges: ChallengeBook | None = None,
    now: Callable[[], float] | None = None,
) -> web.Application:
    """The aiohttp application; `backend` decides what a proven certificate becomes."""
    book = challenges or ChallengeBook()
    # Wrong identity numbers per user (not per challenge: a new challenge must not reset them).
    identity_failures: dict[int, int] = {}
    static = resources.files("bot.webapp") / "static"
    csp = content_security_policy(api_origin)
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }

    def user_of(body: Mapping[str, Any]) -> WebAppUser:
        init_data = body.get("initData")
        if not isinstance(init_data, str):
            raise Refusal("init_data_missing")
        try:
            return validate_init_data(
                init_data,
                bot_token,
                max_age=init_data_max_age,
                now=None if now is None else now(),
            )
        except InitDataError as exc:
            raise Refusal(exc.code) from None

    def endpoint(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def wrapped(request: web.Request) -> web.Response:
            user_id: int | None = None
            try:
                if request.content_type != "application/json":
                    raise Refusal("bad_request", 415)
                try:
                    body = await request.json()
                except ValueError:
                    raise Refusal("bad_request") from None
                if not isinstance(body, dict):
                    raise Refusal("bad_request")
                user = user_of(body)
                user_id = user.id
                payload = await handler(request, user, body)
                return web.json_response(payload, headers=headers)
            except Refusal as refusal:
                log.info("webapp %s refused: %s (user %s)", request.path, refusal.code, user_id)
                return web.json_response(
                    {"ok": False, "code": refusal.code, **refusal.details},
                    status=refusal.status,
                    headers=headers,
                )
            except web.HTTPRequestEntityTooLarge:
                return web.json_response(
                    {"ok": False, "code": "too_large"}, status=413, headers=headers
                )

        return wrapped

    def challenge_of(user: WebAppUser, body: Mapping[str, Any], *, take: bool) -> Any:
        challenge_id = _text(body, "challengeId", 64)
        try:
            if take:
                return book.take(challenge_id, user.id)
            return book.peek(challenge_id, user.id)
        except ChallengeError as exc:
            raise Refusal(exc.code) from None

    async def new_challenge(
        request: web.Request, user: WebAppUser, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        try:
            challenge = book.issue(user.id)
        except ChallengeError as exc:
            raise Refusal(exc.code) from None
        return {
            "ok": True,
            "challengeId": challenge.id,
            "challenge": base64.b64encode(challenge.value).decode(),
            "identityRequired": require_identity,
            "maxAttempts": max_attempts,
        }

    async def identity(
        request: web.Request, user: WebAppUser, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        challenge = challenge_of(user, body, take=False)
        cert_der = _b64(body.get("certificate"), limit=MAX_CERT_BYTES)
        random_num: bytes | None = None
        number = ""
        matched = False
        try:
            if body.get("random") is not None:
                random_num = _b64(body.get("random"), limit=256)
            number = _text(body, "identityNumber", 40)
            _verify_identity(cert_der, random_num, number)
            matched = True
        except IdentityMismatch:
            pass
        except InvalidIdentityNumber:
            raise Refusal("identity_invalid_number") from None
        except IdentityCheckUnavailable:
            raise Refusal("identity_unavailable") from None
        except CertificateError:
            raise Refusal("not_a_certificate") from None
        finally:
            # R and the number are used once and forgotten: never stored, never logged.
            del random_num, number
        if matched:
            identity_failures.pop(user.id, None)
            challenge.identity_fingerprint = _fingerprint(cert_der)
            return {"ok": True, "code": "identity_verified"}
        failures = identity_failures.get(user.id, 0) + 1
        identity_failures[user.id] = failures
        if failures >= max_attempts:
            identity_failures.pop(user.id, None)
            book.drop(challenge.id)
            outcome = await backend.lock(user, cert_der, "identity")
            raise Refusal("identity_locked", 423, **dict(outcome.details))
        raise Refusal("identity_mismatch", remaining=str(max_attempts - failures))

    async def register(
        request: web.Request, user: WebAppUser, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        challenge = challenge_of(user, body, take=True)
        cert_der = _b64(body.get("certificate"), limit=MAX_CERT_BYTES)
        signature = _b64(body.get("signature"), limit=1024)
        try:
            public_key = x509.load_der_x509_certificate(cert_der).public_key()
        except Exception:
            raise Refusal("not_a_certificate") from None
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise Refusal("not_rsa")
        try:
            public_key.verify(
                signature, SIGNATURE_LABEL + challenge.value, padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            raise Refusal("bad_signature") from None
        if require_identity and challenge.identity_fingerprint != _fingerprint(cert_der):
            raise Refusal("identity_required", 403)
        outcome = await backend.register(user, cert_der)
        return _outcome(outcome)

    async def lock(
        request: web.Request, user: WebAppUser, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        cert_der = None
        if body.get("certificate") is not None:
            cert_der = _b64(body.get("certificate"), limit=MAX_CERT_BYTES)
        return _outcome(await backend.lock(user, cert_der, "password"))

    async def page(request: web.Request) -> web.Response:
        html = (static / "index.html").read_bytes()
        if require_identity:  # no inline script: the page reads this attribute
            html = html.replace(b"<body>", b'<body data-identity="1">', 1)
        return web.Response(body=html, content_type="text/html", charset="utf-8", headers=headers)

    async def static_file(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        content_type = STATIC_FILES[name]
        return web.Response(
            body=(static / name).read_bytes(),
            content_type=content_type,
            charset="utf-8",
            headers=headers,
        )

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[BOOK_KEY] = book
    app.router.add_get("/", page)
    app.router.add_get("/static/{name}", static_file)
    app.router.add_post("/api/challenge", endpoint(new_challenge))
    app.router.add_post("/api/identity", endpoint(identity))
    app.router.add_post("/api/register", endpoint(register))
    app.router.add_post("/api/lock", endpoint(lock))
    return app


def _outcome(outcome: Outcome) -> dict[str, Any]:
    return {"ok": outcome.ok, "code": outcome.code, **dict(outcome.details)}


class WebAppServer:
    """Runs the app on (listen, port); port 0 picks a free one (tests)."""

    def __init__(self, app: web.Application, listen: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.listen = listen
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.listen}:{self.port}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        server = site._server
        if self.port == 0 and server is not None:
            sockets = getattr(server, "sockets", None) or []
            self.port = int(sockets[0].getsockname()[1])
        log.info("webapp serving on %s", self.base_url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
