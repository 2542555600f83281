"""What every flow shares: the services, the user's language, replies from the catalog.

Flows get everything through `services(context)`; nothing here holds a secret.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
)

from bot.config import Settings
from bot.flows import callbacks as cb
from bot.store import Store
from bot.texts import Catalog
from bot.vault import KeyVault

log = logging.getLogger(__name__)
KST = ZoneInfo("Asia/Seoul")


@dataclass
class Services:
    """Everything the flows use, built once in `bot.app`."""

    settings: Settings
    store: Store
    catalog: Catalog
    vault: KeyVault
    faq: Any  # bot.flows.faq.FaqService (typed loosely to keep imports one-way)
    languages: dict[int, str] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    # Lines waiting to go out with the chat's next message (chat id -> (texts, protect)).
    notes: dict[int, tuple[list[str], bool]] = field(default_factory=dict)


class KcertApplication(Application):  # type: ignore[type-arg]
    """The PTB Application plus our services (Application itself uses __slots__)."""

    services: Services


Context = CallbackContext[Any, dict[str, Any], dict[str, Any], dict[str, Any]]
CONTEXT_TYPES = ContextTypes(context=CallbackContext, user_data=dict, chat_data=dict, bot_data=dict)


def services(context: Context) -> Services:
    return context.application.services  # type: ignore[attr-defined, no-any-return]


async def language(update: Update, context: Context) -> str:
    """The user's language: their choice, else English for English Telegram, else the default."""
    svc = services(context)
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


def yes_no(yes: str, no: str, ok: cb.CallbackData, cancel: cb.CallbackData) -> InlineKeyboardMarkup:
    """The confirmation buttons of a flow: [yes] packs `ok`, [no] packs `cancel`."""
    return keyboard([[(yes, ok.pack()), (no, cancel.pack())]])


async def say(
    update: Update,
    context: Context,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    protect: bool = False,
) -> Message | None:
    """Send `text` (HTML) to the chat of this update, after any pending notes."""
    chat = update.effective_chat
    if chat is None:
        return None
    pending, pending_protect = services(context).notes.pop(chat.id, ([], False))
    if pending:
        text = "\n\n".join([*pending, text])
    return await context.bot.send_message(
        chat.id,
        text,
        parse_mode="HTML",
        reply_markup=markup,
        protect_content=protect or pending_protect,
    )


def note(update: Update, context: Context, text: str, *, protect: bool = False) -> None:
    """Queue a line to go out with this chat's next message: fewer messages on the phone and
    fewer Bot API calls. A step that ends without saying more flushes it (see `step`)."""
    chat = update.effective_chat
    if chat is None:
        return
    notes = services(context).notes
    lines, was_protected = notes.get(chat.id, ([], False))
    notes[chat.id] = ([*lines, text], was_protected or protect)


async def flush_notes(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is not None and chat.id in services(context).notes:
        lines, protect = services(context).notes.pop(chat.id)
        await context.bot.send_message(
            chat.id, "\n\n".join(lines), parse_mode="HTML", protect_content=protect
        )


async def tr(update: Update, context: Context, key: str, **values: object) -> str:
    """The catalog text for this user's language."""
    lang = await language(update, context)
    return services(context).catalog.text(lang, key, **values)


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


def now_utc() -> datetime:
    return datetime.now(UTC)


async def apologise(update: Update, context: Context) -> None:
    """Tell the user something went wrong on our side (never what, never a traceback)."""
    if update.effective_chat is None:
        return
    try:
        phone = services(context).settings.customer_center
        await say(update, context, await tr(update, context, "common.error", phone=phone))
    except TelegramError:
        pass  # Telegram itself is failing: nothing more to say


FLOW_KEY = "flow"  # user_data: {"name": ..., "touched": epoch seconds} — never a secret
Step = Callable[[Update, Context], Coroutine[Any, Any, Any]]
S = TypeVar("S", bound=Step)


def touch_flow(context: Context, name: str) -> None:
    if context.user_data is not None:
        context.user_data[FLOW_KEY] = {"name": name, "touched": services(context).clock()}


def end_flow(update: Update, context: Context) -> int:
    """Forget the flow's data and the user's vault entry; returns END."""
    if context.user_data is not None:
        context.user_data.pop(FLOW_KEY, None)
    if update.effective_user is not None:
        services(context).vault.drop(update.effective_user.id)
    return ConversationHandler.END


def step(func: S) -> S:
    """Wrap a conversation step: end stale sessions politely, never leave a traceback behind.

    A session is stale when its last activity is older than the conversation timeout (PTB's
    timeout jobs do not survive a restart). An unexpected error ends the flow with an apology
    and drops every secret, instead of leaving the conversation in its old state (#2277).
    """

    @wraps(func)
    async def wrapper(update: Update, context: Context) -> object:
        svc = services(context)
        flow = (context.user_data or {}).get(FLOW_KEY)
        timeout = svc.settings.conversation_timeout_seconds
        if isinstance(flow, dict) and svc.clock() - float(flow.get("touched", 0)) > timeout:
            await answer_query(update)
            await say(update, context, await tr(update, context, "common.stale_session"))
            return end_flow(update, context)
        try:
            result = await func(update, context)
            await flush_notes(update, context)
            return result
        except Exception:
            if update.effective_chat is not None:
                svc.notes.pop(update.effective_chat.id, None)
            log.exception("flow step %s failed", func.__name__)
            await answer_query(update)
            await apologise(update, context)
            return end_flow(update, context)

    return wrapper  # type: ignore[return-value]


def entry_points(command: str, start: Step) -> list[object]:
    """A flow starts from its command, its main-menu button and action buttons elsewhere."""
    return [
        CommandHandler(command, start),
        CallbackQueryHandler(start, pattern=cb.Menu.pattern(target=command)),
        CallbackQueryHandler(start, pattern=cb.Action.pattern(target=command)),
    ]
