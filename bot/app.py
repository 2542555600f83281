"""The composition root: Settings → store, catalogs, FAQ, vault → telegram.ext.Application.

The only module that wires things together; `run_bot` drives polling or a webhook until stopped.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import signal
from collections.abc import Callable
from typing import cast

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.certs import TrustStore, TrustStoreError
from bot.clock import Clock
from bot.config import Settings, SettingsError
from bot.flows import admin, certs, conversation, expiry, faq, menu, secrets
from bot.flows.common import CONTEXT_TYPES, Context, KcertApplication, Services, apologise
from bot.flows.faq_service import FaqService
from bot.keywork import KeyWorker
from bot.processor import PerChatUpdateProcessor
from bot.request import AiohttpRequest, build_requests
from bot.store import Store, open_database
from bot.store.persistence import SqlitePersistence
from bot.texts import Catalog
from bot.vault import RegistrationSessions

log = logging.getLogger(__name__)


class WriteThroughApplication(KcertApplication):
    """Persists every update's changes (conversation state, flow markers) when it is done.

    PTB batches persistence every `update_interval` seconds: after a crash a stale state came
    back (a completed registration "waiting for password"). One chat's updates run one after
    another (PerChatUpdateProcessor), so its next update starts only once this one is stored.
    """

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            if self.persistence is not None:
                await self.update_persistence()


async def on_error(update: object, context: Context) -> None:
    """Last resort: log without message content and apologise; never show a traceback."""
    log.error("unhandled error: %s", type(context.error).__name__, exc_info=context.error)
    if isinstance(update, Update):
        await apologise(update, context)


async def private_chats_only(update: object, context: Context) -> None:
    """Ignore groups and channels entirely (the bot is added there by mistake, if at all)."""
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is not None and chat.type != "private":
        raise ApplicationHandlerStop


NO_TRUST_ANCHORS = (
    "TRUSTED_CA_FILE is not set: without trust anchors no issuer can be verified. Set it to a "
    "PEM bundle (see .env.example), or set ALLOW_UNVERIFIED_ISSUERS=true to accept unverified "
    "issuers."
)


def load_trust(settings: Settings) -> TrustStore | None:
    """The trust anchors of TRUSTED_CA_FILE; a SettingsError (one line) when there are none
    and unverified issuers are not allowed, or when the file cannot be read."""
    if settings.trusted_ca_file is None:
        if not settings.unverified_issuers_allowed:
            raise SettingsError(NO_TRUST_ANCHORS)
        return None
    try:
        return TrustStore.load(settings.trusted_ca_file)
    except TrustStoreError as error:
        raise SettingsError(f"Invalid setting TRUSTED_CA_FILE: {error}") from None


async def create_application(
    settings: Settings,
    *,
    clock: Callable[[], float] | None = None,
    keywork: KeyWorker | None = None,
) -> KcertApplication:
    """Open the store and build the Application with every handler (not started yet)."""
    trust = load_trust(settings)
    if trust is None:
        log.warning("ALLOW_UNVERIFIED_ISSUERS=true and no TRUSTED_CA_FILE: no issuer is verified")
    elif settings.unverified_issuers_allowed:
        log.warning("ALLOW_UNVERIFIED_ISSUERS=true: issuers outside the trust anchors may register")
    wall_clock = Clock(clock) if clock is not None else Clock()
    db = await open_database(settings.database_path)
    store = Store(db, wall_clock)
    catalog = Catalog(settings.default_language)
    services = Services(
        settings=settings,
        store=store,
        catalog=catalog,
        sessions=RegistrationSessions(settings.key_vault_ttl_seconds),
        faq=FaqService.from_settings(settings),
        clock=wall_clock,
        trust=trust,
        keywork=keywork or KeyWorker(timeout=settings.key_operation_timeout_seconds),
    )
    # aiohttp with JSON bodies by default (half the CPU of httpx per update, bench/e2e.py);
    # downloads stop at the upload limit even when a file's declared size is a lie.
    requests, updates_request = build_requests(
        settings.http_client,
        max_download_bytes=settings.max_upload_bytes,
        pool_size=settings.max_concurrent_updates,
    )
    # A chat beyond 50 queued updates is flooding: the rest is dropped, with one notice.
    processor = PerChatUpdateProcessor(settings.max_concurrent_updates, max_pending_per_chat=50)
    if isinstance(updates_request, AiohttpRequest):
        updates_request.raw_filter = processor.filter_raw  # a flood's excess is never parsed
        updates_request.batch_pause = settings.poll_pause_seconds
    builder = (
        ApplicationBuilder()
        .application_class(WriteThroughApplication)
        .token(settings.bot_token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_file_url)
        .persistence(SqlitePersistence(store))
        .context_types(CONTEXT_TYPES)
        # MAX_CONCURRENT_UPDATES chats at a time: slots mostly wait (FAQ worker, Telegram's
        # answer), so a cap below the chats active at once bounds throughput (README,
        # Performance: 0.58 x the floor echo at 16 slots, 0.64-0.79 at 64).
        .concurrent_updates(processor)
        .request(requests)
        .get_updates_request(updates_request)
        # Only the retry part: a 429 from Telegram is waited out and retried (max 3) instead of
        # failing the step. The global 30/s and group limits stay off: this is a private-chat
        # bot answering its users, not a broadcaster.
        .rate_limiter(AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3))
    )
    app = cast(KcertApplication, builder.build())
    app.services = services

    async def flood_notice(update: Update) -> None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None:
            return
        try:
            lang = user.language_code if user is not None else None
            await app.bot.send_message(chat.id, catalog.text(lang, "common.flood"))
        except TelegramError as exc:
            log.warning("could not send the flood notice: %s", type(exc).__name__)

    processor.on_flood = flood_notice

    # One group, in order: the first handler that matches wins. The flows come first (they own
    # their states), then the menu, the lists, the admin commands and the FAQ (free text), and
    # last whatever nobody claimed: a stale or forged button, a stray upload.
    # Group -2 runs first: anything outside a private chat stops here. Passwords and files
    # must never be asked for where other people can read them. Group -1: an upload whose
    # caption looks like a secret is deleted and goes no further.
    app.add_handler(TypeHandler(Update, private_chats_only), group=-2)
    app.add_handler(TypeHandler(Update, secrets.guard_caption), group=-1)
    app.add_handler(conversation.build(settings))
    for handler in (*menu.handlers(), *certs.handlers(), *admin.handlers(), *faq.handlers()):
        app.add_handler(handler)
    app.add_handler(CallbackQueryHandler(menu.stale_button))
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND & ~filters.TEXT, faq.stray_input)
    )
    app.add_error_handler(on_error)
    return app


async def start_background(app: KcertApplication) -> None:
    """Commands for both languages, expiry reminders, vault sweeping."""
    try:
        await menu.register_commands(app)
    except TelegramError as exc:
        log.warning("could not register commands: %s", type(exc).__name__)
    expiry.schedule(app)


async def startup(app: KcertApplication) -> None:
    """initialize + start (+ post_init work) without polling: tests and chat mode use this.
    With WEBAPP_URL set, the Mini App's web server starts too (on WEBAPP_LISTEN:WEBAPP_PORT)."""
    await app.initialize()
    await app.services.keywork.warm()
    await app.services.faq.start()
    await start_background(app)
    await app.start()
    await start_webapp(app)


async def start_webapp(app: KcertApplication) -> None:
    """Serve the Mini App page and API for this application (nothing when WEBAPP_URL is unset).

    Its own aiohttp server on WEBAPP_LISTEN:WEBAPP_PORT, in webhook mode too (PTB's webhook
    server is tornado's and serves one path): put both behind the TLS proxy."""
    settings = app.services.settings
    if not settings.webapp_url or app.webapp is not None:
        return
    from bot.webapp.policy_backend import PolicyBackend
    from bot.webapp.server import WebAppServer, create_app

    web = create_app(
        settings.bot_token,
        PolicyBackend(app),
        require_identity=settings.require_identity_check,
        max_attempts=settings.password_max_attempts,
    )
    server = WebAppServer(web, settings.webapp_listen, settings.webapp_port)
    try:
        await server.start()
    except OSError as error:
        await server.stop()
        raise SettingsError(
            f"Invalid setting WEBAPP_PORT: cannot listen on {settings.webapp_listen}:"
            f"{settings.webapp_port} ({error.strerror or type(error).__name__})"
        ) from None
    app.webapp = server
    log.info("Mini App on %s (public URL %s)", server.base_url, settings.webapp_url)


async def stop_webapp(app: KcertApplication) -> None:
    server, app.webapp = app.webapp, None
    if server is not None:
        await server.stop()


async def shutdown(app: KcertApplication) -> None:
    """Stop the Mini App and polling, flush persistence, close the store."""
    await stop_webapp(app)
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    await app.services.keywork.close()
    await app.services.faq.close()
    await app.services.store.close()


# Telegram allows 1-256 characters of A-Z a-z 0-9 _ - in a webhook secret token.
_SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]+")
MIN_WEBHOOK_SECRET = 32


def check_webhook_settings(settings: Settings) -> None:
    """A webhook without a strong secret accepts forged updates from anyone who finds the URL.

    Raises SettingsError (one line naming WEBHOOK_SECRET) when WEBHOOK_URL is set and the secret
    is missing, short, outside Telegram's alphabet or visibly not random.
    """
    if not settings.webhook_url:
        return
    secret = settings.webhook_secret
    if (
        len(secret) < MIN_WEBHOOK_SECRET
        or len(secret) > 256
        or not _SECRET_CHARS.fullmatch(secret)
        or len(set(secret)) < 12  # "aaaa…" or "abcabc…" is long, not random
    ):
        raise SettingsError(
            "Invalid setting WEBHOOK_SECRET: required when WEBHOOK_URL is set, at least "
            f"{MIN_WEBHOOK_SECRET} random characters of A-Z a-z 0-9 _ - (make one with: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )


async def close_after_failed_start(app: KcertApplication) -> None:
    """Undo a start-up that failed half-way; never raises (the first error is the one to show)."""
    try:
        await stop_webapp(app)
        if app.running:
            await app.stop()
        await app.shutdown()
    except Exception as exc:  # already failing: the original error is the one reported
        log.debug("shutdown after failed start: %s", type(exc).__name__)
    # A getMe that failed leaves the bot "not initialized", so its shutdown skips the HTTP
    # clients it did open: close them here (idempotent), or aiohttp warns about the session.
    for request in getattr(app.bot, "_request", ()):
        try:
            await request.shutdown()
        except Exception as exc:
            log.debug("closing an HTTP client after failed start: %s", type(exc).__name__)
    await app.services.faq.close()
    await app.services.store.close()


def freeze_startup_objects() -> None:
    """Move what start-up built (the FAQ model and knowledge base, PTB, the catalogs) out of
    the garbage collector's sight: it lives as long as the process, and every full collection
    walked all of it again while serving (a quarter of a millisecond per update, measured by
    bench/e2e.py). Objects made later are collected as usual."""
    gc.collect()
    gc.freeze()


async def run_bot(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or `stop`): polling, or a webhook when WEBHOOK_URL is set."""
    check_webhook_settings(settings)
    app = await create_application(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    try:
        await startup(app)
    except BaseException:
        # A rejected token or an unreachable API: close what was opened (the database thread
        # would keep the process alive) and let the caller report it.
        await close_after_failed_start(app)
        raise
    freeze_startup_objects()
    assert app.updater is not None
    try:
        if settings.webhook_url:
            path = "telegram"
            await app.updater.start_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=path,
                webhook_url=f"{settings.webhook_url.rstrip('/')}/{path}",
                secret_token=settings.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
            )
            log.info("webhook mode on %s:%s", settings.webhook_listen, settings.webhook_port)
        else:
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=30)
            log.info("polling for updates")
        await stop.wait()
        log.info("shutting down")
    finally:
        await shutdown(app)
