"""What every flow shares: the typed context, the user's language, replies from the catalog.

Handlers get everything through `context` (a `Context`, PTB's CallbackContext with typed
properties: store, catalog, sessions, faq, clock, settings); nothing here holds a secret.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    ExtBot,
    JobQueue,
)

from bot.certs import TrustStore
from bot.clock import Clock
from bot.config import Settings
from bot.flows import callbacks as cb
from bot.flows.faq_service import FaqService
from bot.keywork import KeyWorker
from bot.request import unparsed_result
from bot.store import Store
from bot.texts import Catalog
from bot.vault import RegistrationSessions

log = logging.getLogger(__name__)
KST = ZoneInfo("Asia/Seoul")


@dataclass
class Services:
    """The parts the handlers use, built once in `bot.app` (read them through `Context`)."""

    settings: Settings
    store: Store
    catalog: Catalog
    sessions: RegistrationSessions
    faq: FaqService
    clock: Clock
    languages: dict[int, str] = field(default_factory=dict)
    trust: TrustStore | None = None  # None: no anchors (only with ALLOW_UNVERIFIED_ISSUERS)
    keywork: KeyWorker = field(default_factory=KeyWorker)


class Context(CallbackContext[ExtBot[None], dict[str, Any], dict[str, Any], dict[str, Any]]):
    """PTB's context with typed access to our parts (set as `ContextTypes(context=...)`)."""

    @property
    def services(self) -> Services:
        app = self.application
        if not isinstance(app, KcertApplication):
            raise TypeError("kcert handlers run in a KcertApplication")
        return app.services

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def catalog(self) -> Catalog:
        return self.services.catalog

    @property
    def sessions(self) -> RegistrationSessions:
        return self.services.sessions

    @property
    def faq(self) -> FaqService:
        return self.services.faq

    @property
    def clock(self) -> Clock:
        return self.services.clock


class KcertApplication(
    Application[
        ExtBot[None],
        Context,
        dict[str, Any],
        dict[str, Any],
        dict[str, Any],
        JobQueue[Context],
    ]
):
    """The PTB Application plus our services (Application itself uses __slots__)."""

    services: Services
    webapp: Any = None  # the Mini App's WebAppServer while it runs (bot.app starts it)


CONTEXT_TYPES = ContextTypes(context=Context, user_data=dict, chat_data=dict, bot_data=dict)
Handler = BaseHandler[Update, Context, Any]


def services(context: Context) -> Services:
    """Kept for call sites outside handlers (jobs); handlers use `context.<part>`."""
    return context.services


async def language(update: Update, context: Context) -> str:
    """The user's language: their choice, else English for English Telegram, else the default."""
    svc = context.services
    user = update.effective_user
    if user is None:
        return svc.settings.default_language
    cached = svc.languages.get(user.id)
    if cached:
        return cached
    chosen = await svc.store.language_of(user.id)
    if chosen is None:
        code = (user.language_code or "").lower()
        chosen = "en" if code.startswith("en") else svc.settings.default_language
        # Not stored: only an explicit choice is a preference.
    svc.languages[user.id] = chosen
    return chosen


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


class KeptKeyboard(InlineKeyboardMarkup):
    """A keyboard built once and sent many times (AnswerKeyboards): PTB serialises the
    reply_markup of every message anew (`to_dict` over each button, a few percent of the bot's
    CPU per answer); this one is immutable like any PTB object, so it serialises once.

    `to_dict()` gives a fresh top-level dict over the kept rows: PTB only reads them (into
    JSON); whoever wants to change a button builds a new keyboard, as with any PTB object.
    Equal to, and hashed like, the plain InlineKeyboardMarkup with the same buttons."""

    __slots__ = ("_wire",)

    def __hash__(self) -> int:
        return hash((InlineKeyboardMarkup, self._id_attrs))

    @classmethod
    def of(cls, rows: Sequence[Sequence[tuple[str, str]]]) -> KeptKeyboard:
        return cls(keyboard(rows).inline_keyboard)

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        if not recursive:
            return super().to_dict(recursive=False)
        wire: dict[str, Any] | None = getattr(self, "_wire", None)
        if wire is None:
            wire = self._wire = super().to_dict()  # PTB's frozen objects allow private names
        return dict(wire)


def yes_no(yes: str, no: str, ok: cb.CallbackData, cancel: cb.CallbackData) -> InlineKeyboardMarkup:
    """The confirmation buttons of a flow: [yes] packs `ok`, [no] packs `cancel`."""
    return keyboard([[(yes, ok.pack()), (no, cancel.pack())]])


@dataclass(frozen=True, slots=True)
class Sent:
    """Where `say` put its message: enough to edit or delete it later."""

    chat_id: int
    message_id: int


async def say(
    update: Update,
    context: Context,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    protect: bool = False,
    lead: Sequence[str] = (),
) -> Sent | None:
    """Send `text` (HTML) to the chat of this update, after the `lead` lines if any.

    Returns the message's ids only: PTB does not build a Message from the reply (~0.3 ms of
    CPU per reply, bot/request.py `unparsed_result`).
    """
    chat = update.effective_chat
    if chat is None:
        return None
    if lead:
        text = "\n\n".join([*lead, text])
    with unparsed_result() as raw:
        sent: object = await context.bot.send_message(
            chat.id, text, parse_mode="HTML", reply_markup=markup, protect_content=protect
        )
    if isinstance(sent, Message):  # a transport without unparsed_result (HTTP_CLIENT=httpx)
        return Sent(sent.chat_id, sent.message_id)
    if raw and isinstance(raw[0].get("message_id"), int):
        return Sent(chat.id, raw[0]["message_id"])
    return None


@dataclass
class Reply:
    """One step's answer, built explicitly: lines noted first go out with the next message
    (fewer messages on the phone and fewer Bot API calls). A step that holds a Reply sends
    it with `say` or `flush`; nothing is kept between updates."""

    update: Update
    context: Context
    lines: list[str] = field(default_factory=list)
    protect: bool = False

    def note(self, text: str, *, protect: bool = False) -> None:
        self.lines.append(text)
        self.protect = self.protect or protect

    async def say(
        self, text: str, markup: InlineKeyboardMarkup | None = None, *, protect: bool = False
    ) -> Sent | None:
        lines, self.lines = self.lines, []
        protect, self.protect = protect or self.protect, False
        return await say(self.update, self.context, text, markup, protect=protect, lead=lines)

    async def tr(self, key: str, **values: object) -> Sent | None:
        """Say the catalog text `key` in the user's language."""
        return await self.say(await tr(self.update, self.context, key, **values))

    async def flush(self) -> None:
        if self.lines:
            text = self.lines.pop()
            await self.say(text)


async def tr(update: Update, context: Context, key: str, **values: object) -> str:
    """The catalog text for this user's language."""
    lang = await language(update, context)
    return context.catalog.text(lang, key, **values)


async def answer_stale(update: Update, context: Context) -> None:
    """A button this step cannot use (old, or forged): say so on the button, change nothing."""
    await answer_query(update, await tr(update, context, "common.stale_button"))


async def answer_query(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer the callback query (always, so the client stops its spinner)."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest:
        # A query older than Telegram's limit can no longer be answered: nothing to do.
        log.debug("callback query could not be answered")


async def drop_markup(update: Update) -> None:
    """Remove the buttons of the message that was pressed, so it cannot be pressed twice."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest:
        pass  # "message is not modified" on a double tap, or a deleted message


async def delete_user_message(update: Update) -> bool:
    """Delete the message that carried a secret; False if Telegram refused."""
    message = update.effective_message
    if message is None:
        return False
    try:
        return bool(await message.delete())
    except TelegramError:
        return False


def format_date(moment: datetime, lang: str) -> str:
    local = moment.astimezone(KST)
    return local.strftime("%Y.%m.%d") if lang == "ko" else local.strftime("%Y-%m-%d")


def format_time(moment: datetime, lang: str) -> str:
    local = moment.astimezone(KST)
    return (
        local.strftime("%Y.%m.%d %H:%M") if lang == "ko" else local.strftime("%Y-%m-%d %H:%M KST")
    )


async def apologise(update: Update, context: Context) -> None:
    """Tell the user something went wrong on our side (never what, never a traceback)."""
    if update.effective_chat is None:
        return
    try:
        phone = context.settings.customer_center
        await say(update, context, await tr(update, context, "common.error", phone=phone))
    except TelegramError:
        pass  # Telegram itself is failing: nothing more to say


# user_data["flow"]: {"name": ..., "touched": epoch seconds, "data": {...}} — never a secret.
# A flow's own data lives under "data", so ending the flow drops it whatever the flow was.
FLOW_KEY = "flow"
R = TypeVar("R")
Step = Callable[[Update, Context], Coroutine[Any, Any, R]]


# What each flow says when it is cancelled, times out or is found stale (greppable keys).
FlowEnding = Literal["cancelled", "timeout", "stale_session"]
FLOW_TEXTS: dict[str, dict[FlowEnding, str]] = {
    "": {
        "cancelled": "common.cancelled",
        "timeout": "common.timeout",
        "stale_session": "common.stale_session",
    },
    "register": {
        "cancelled": "register.cancelled",
        "timeout": "register.timeout",
        "stale_session": "register.stale_session",
    },
    "release": {
        "cancelled": "revoke.cancelled",
        "timeout": "revoke.timeout",
        "stale_session": "revoke.stale_session",
    },
}


def flow_text(context: Context, ending: FlowEnding) -> str:
    """The current flow's text key for `ending` (`register.cancelled`); `common.*` outside."""
    current = (context.user_data or {}).get(FLOW_KEY)
    name = current.get("name") if isinstance(current, dict) else None
    return FLOW_TEXTS.get(str(name), FLOW_TEXTS[""])[ending]


def touch_flow(context: Context, name: str) -> None:
    """Mark the flow as active now (its data is kept while the name stays the same)."""
    if context.user_data is None:
        return
    current = context.user_data.get(FLOW_KEY)
    data = (
        current.get("data", {}) if isinstance(current, dict) and current.get("name") == name else {}
    )
    context.user_data[FLOW_KEY] = {"name": name, "touched": context.clock.epoch(), "data": data}


def flow_data(context: Context) -> dict[str, Any] | None:
    """The current flow's own data (JSON only, never a secret), or None outside a flow."""
    current = (context.user_data or {}).get(FLOW_KEY)
    if not isinstance(current, dict):
        return None
    data = current.setdefault("data", {})
    return data if isinstance(data, dict) else None


def end_flow(update: Update, context: Context) -> int:
    """Forget the flow's data and the user's registration session; returns END."""
    if context.user_data is not None:
        context.user_data.pop(FLOW_KEY, None)
    if update.effective_user is not None:
        context.sessions.drop(update.effective_user.id)
    return ConversationHandler.END


def step(func: Step[R]) -> Step[R | int]:
    """Wrap a conversation step: end stale sessions politely, never leave a traceback behind.

    A session is stale when its last activity is older than the conversation timeout (PTB's
    timeout jobs do not survive a restart). An unexpected error ends the flow with an apology
    and drops every secret, instead of leaving the conversation in its old state (#2277).
    """

    @wraps(func)
    async def wrapper(update: Update, context: Context) -> R | int:
        flow = (context.user_data or {}).get(FLOW_KEY)
        timeout = context.settings.conversation_timeout_seconds
        if (
            isinstance(flow, dict)
            and context.clock.epoch() - float(flow.get("touched", 0)) > timeout
        ):
            await answer_query(update)
            from bot.flows.secrets import stale_secret_note  # secrets imports this module

            note = await stale_secret_note(update, context)
            text = await tr(update, context, flow_text(context, "stale_session"))
            await say(update, context, text, lead=[note] if note else [])
            return end_flow(update, context)
        try:
            return await func(update, context)
        except Exception:
            log.exception("flow step %s failed", func.__name__)
            await answer_query(update)
            await apologise(update, context)
            return end_flow(update, context)

    return wrapper


def entry_points(command: str, start: Step[Any], *aliases: str) -> list[Handler]:
    """A flow starts from its command(s), its main-menu button and action buttons elsewhere."""
    return [
        CommandHandler([command, *aliases], start),
        CallbackQueryHandler(start, pattern=cb.Menu.pattern(target=command)),
        CallbackQueryHandler(start, pattern=cb.Action.pattern(target=command)),
    ]
