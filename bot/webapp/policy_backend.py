"""The real RegistrationBackend: the chat flow's policy, locks and confirmation for the page.

Everything is the register flow's own code, called, not copied: `inspect_certificate`, the
flow's `registrable` (check_registrable at the app clock under the app's trust anchors, plus
the look-alike issuer check), its lock and limit checks and its error messages (`refused_if_locked`,
`refused_at_limit`, `say_error`, `message_key`), `Store.register_certificate` (limits, one user per
certificate, audited) and `Store.record_wrong_password` / `record_wrong_identity` (attempt
locks, audited). The chat gets what the flow would have said there; on success the same
`register.done` text as the upload flow, after the certificate's summary (bot.flows.render).

A page request is not a Telegram update: `_Turn` builds the private-chat update the flow's
functions read (the user, the chat, the language from initData) and sends through app.bot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from telegram import Chat, Message, Update, User
from telegram.error import TelegramError

from bot import certs as core
from bot.flows import register as flow
from bot.flows.common import (
    Context,
    KcertApplication,
    Reply,
    format_date,
    format_time,
    language,
)
from bot.flows.render import display_name, list_lines, summary
from bot.store import AlreadyActiveElsewhere, AlreadyActiveForUser, LimitReached
from bot.store.repository import NewCertificate
from bot.texts import Html
from bot.webapp.backend import LockKind, Outcome
from bot.webapp.initdata import WebAppUser

__all__ = ["KEY_FORMAT", "PolicyBackend", "error_code", "lock_id"]

log = logging.getLogger(__name__)

KEY_FORMAT = "webapp"  # stored as the key format: the key never reached the bot


def error_code(error: core.CertificateError) -> str:
    """The page's stable code for a core error: the flow's catalog key without its section
    ("register.untrusted_chain" → "untrusted_chain"), so both say the same thing."""
    return flow.message_key(error).split(".", 1)[1]


def lock_id(info: core.CertificateInfo) -> str:
    """The lock scope of a certificate: its public key hash (the same key in a PFX export or
    a renewed certificate is one scope), else its fingerprint."""
    return info.public_key_sha256 or info.fingerprint_sha256


@dataclass
class _Turn:
    """One page request as the flow's functions see a chat step."""

    update: Update
    context: Context
    reply: Reply

    @classmethod
    def of(cls, app: KcertApplication, user: WebAppUser) -> _Turn:
        person = User(
            user.id,
            user.first_name or str(user.id),
            is_bot=False,
            language_code=user.language_code,
        )
        chat = Chat(user.id, Chat.PRIVATE)
        message = Message(0, datetime.now(UTC), chat, from_user=person)
        update = Update(0, message=message)
        context = Context(app, chat_id=user.id, user_id=user.id)
        return cls(update, context, Reply(update, context))


class PolicyBackend:
    """What a proven certificate becomes: exactly what [등록] in the chat would make of it."""

    def __init__(self, app: KcertApplication) -> None:
        self.app = app

    async def register(self, user: WebAppUser, cert_der: bytes) -> Outcome:
        turn = _Turn.of(self.app, user)
        try:
            return await self._register(turn, user.id, cert_der)
        except TelegramError as exc:  # a refusal the chat could not be told: nothing stored
            log.warning("webapp: chat message failed: %s", type(exc).__name__)
            return Outcome(False, "generic")

    async def _register(self, turn: _Turn, user_id: int, cert_der: bytes) -> Outcome:
        reply, context = turn.reply, turn.context
        try:
            info = core.inspect_certificate(cert_der)
        except core.CertificateError as error:
            await flow.say_error(reply, error)
            return Outcome(False, error_code(error))
        store = context.store
        for scope in dict.fromkeys((lock_id(info), info.fingerprint_sha256)):
            if await flow.refused_if_locked(reply, user_id, scope):
                state = await store.registration_lock(user_id, scope)
                until = state.locked_until.isoformat() if state.locked_until else ""
                return Outcome(False, "locked", {"until": until})
        if await flow.refused_at_limit(reply, user_id):
            return Outcome(False, "limit_reached")
        try:
            checked = flow.registrable(context, info)
        except core.NotRegistrable as error:
            reply.note(await self._summary(turn, info), protect=True)
            await flow.say_error(reply, error, info)
            moment = info.not_before if isinstance(error, core.NotYetValid) else info.not_after
            lang = await language(turn.update, context)
            values = {"date": format_date(moment, lang), "issuer": info.issuer_dn}
            return Outcome(False, error_code(error), values)
        record = NewCertificate.of(checked, key_format=KEY_FORMAT, cert_der=cert_der)
        settings = context.settings
        try:
            await store.register_certificate(
                user_id, record, max_active=settings.max_active_certificates
            )
        except AlreadyActiveForUser:
            await reply.tr("register.already_registered")
            return Outcome(False, "already_registered")
        except AlreadyActiveElsewhere:
            await reply.tr("register.active_elsewhere", phone=settings.customer_center)
            return Outcome(False, "active_elsewhere")
        except LimitReached:
            active = await store.active_certificates_of(user_id)
            limit = settings.max_active_certificates
            await reply.tr("register.limit_reached", count=len(active), limit=limit)
            return Outcome(False, "limit_reached")
        try:
            await self._confirm(turn, user_id, checked)
        except TelegramError as exc:  # stored: the page says so even if the chat could not
            log.warning("webapp: chat confirmation failed: %s", type(exc).__name__)
        return Outcome(True, "registered", {"owner": display_name(checked.owner_name)})

    async def _summary(self, turn: _Turn, info: core.CertificateInfo) -> str:
        lang = await language(turn.update, turn.context)
        return summary(turn.context.catalog, lang, info, turn.context.clock.now())

    async def _confirm(self, turn: _Turn, user_id: int, info: core.CertificateInfo) -> None:
        """The upload flow's [등록] answer: the summary, then register.done with the list."""
        context = turn.context
        lang = await language(turn.update, context)
        active = await context.store.active_certificates_of(user_id)
        lines = list_lines(context.catalog, lang, active, context.clock.now())
        turn.reply.note(await self._summary(turn, info), protect=True)
        await turn.reply.say(
            context.catalog.text(lang, "register.done", list=Html(lines)), protect=True
        )

    async def lock(
        self, user: WebAppUser, cert_der: bytes | None, kind: LockKind = "password"
    ) -> Outcome:
        """The page saw the last wrong password (or identity number) the chat would allow: lock
        the user and the certificate through the store methods the chat flow uses."""
        turn = _Turn.of(self.app, user)
        context = turn.context
        scope = ""  # no readable certificate (a PFX that never opened): the user's lock only
        if cert_der is not None:
            try:
                scope = lock_id(core.inspect_certificate(cert_der))
            except core.CertificateError:
                pass
        store, settings = context.store, context.settings
        record = store.record_wrong_password if kind == "password" else store.record_wrong_identity
        state = await record(
            user.id, scope, max_attempts=1, lock_minutes=settings.password_lock_minutes
        )
        until = state.locked_until or context.clock.now()
        lang = await language(turn.update, context)
        try:
            await turn.reply.tr(
                "register.locked_now",
                attempts=settings.password_max_attempts,
                minutes=settings.password_lock_minutes,
                until=format_time(until, lang),
            )
        except TelegramError as exc:
            log.warning("webapp: chat message failed: %s", type(exc).__name__)
        return Outcome(True, "locked", {"until": until.isoformat()})
