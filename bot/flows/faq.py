"""The FAQ in the bot: free text → matcher → answer / suggestions / fallback; /faq browsing.

Every answer offers its related entries, its action button and 👍/👎; fallbacks and feedback
are stored for the operators. The matching itself lives in the pure `faq` package.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.flows import callbacks as cb
from bot.flows.common import (
    Context,
    Handler,
    KeptKeyboard,
    Services,
    Step,
    answer_query,
    delete_user_message,
    keyboard,
    language,
    say,
    services,
    step,
    touch_flow,
    tr,
)
from bot.flows.faq_service import FaqService
from bot.flows.secrets import looks_like_secret
from bot.texts import Html
from faq.kb import Entry, KnowledgeBaseError

log = logging.getLogger(__name__)


def _title(entry: Entry, lang: str) -> str:
    return entry.title.get(lang) or entry.title.get("ko") or entry.id


class AnswerKeyboards:
    """Each answer's buttons, built once per (entry, language, mid-flow) for the knowledge base
    in use, and rebuilt after /reload_faq: building a keyboard is ~70 attribute sets of PTB's
    frozen objects per reply. PTB objects are immutable, so sharing one markup is safe."""

    def __init__(self) -> None:
        self._kb: object = None
        self._catalog: object = None
        self._markups: dict[tuple[str, str, bool], InlineKeyboardMarkup] = {}

    def get(self, svc: Services, entry: Entry, lang: str, mid_flow: bool) -> InlineKeyboardMarkup:
        if svc.faq.kb is not self._kb or svc.catalog is not self._catalog:  # e.g. /reload_faq
            self._kb, self._catalog, self._markups = svc.faq.kb, svc.catalog, {}
        key = (entry.id, lang, mid_flow)
        markup = self._markups.get(key)
        if markup is None:
            markup = self._markups[key] = _answer_keyboard(svc, entry, lang, mid_flow)
        return markup


def _answer_keyboard(svc: Services, entry: Entry, lang: str, mid_flow: bool) -> InlineKeyboardMarkup:
    cat = svc.catalog
    rows: list[list[tuple[str, str]]] = []
    action = cb.Action.of(entry.action) if not mid_flow else None
    if action is not None:
        rows.append([(cat.text(lang, f"faq.action_{action.target}"), action.pack())])
    for related_id in entry.related[:3]:
        related = svc.faq.entry(related_id)
        if related is not None:
            rows.append([("❔ " + _title(related, lang), cb.FaqEntry(related.id).pack())])
    rows.append(
        [
            (cat.text(lang, "faq.btn_helpful"), cb.FaqVote("up", entry.id).pack()),
            (cat.text(lang, "faq.btn_unhelpful"), cb.FaqVote("dn", entry.id).pack()),
        ]
    )
    return KeptKeyboard.of(rows)


_KEYBOARDS = AnswerKeyboards()


async def send_answer(
    update: Update,
    context: Context,
    entry: Entry,
    *,
    mid_flow: bool = False,
    lang: str | None = None,
) -> None:
    """The entry's answer with related entries, its action and feedback buttons, in `lang`
    (the language the question was asked in) or else the chat's language."""
    svc = services(context)
    lang = lang or await language(update, context)
    answer = entry.answer.get(lang) or entry.answer.get("ko", "")
    text = svc.catalog.text(lang, "faq.mid_flow_answer", answer=Html(answer)) if mid_flow else answer
    await say(update, context, Html(text), _KEYBOARDS.get(svc, entry, lang, mid_flow))


async def answer_text(
    update: Update, context: Context, *, mid_flow: bool = False, fallback: bool = True
) -> str | None:
    """Match the user's text and reply with an answer, suggestions or the fallback; returns the
    decision ("secret" for a deleted secret). With `fallback=False` (a step inside a flow that
    re-prompts instead) nothing is said or logged when the FAQ cannot place the text."""
    svc = services(context)
    message = update.effective_message
    user = update.effective_user
    if message is None or not message.text:
        return None
    if looks_like_secret(message.text):
        deleted = await delete_user_message(update)
        key = "common.secret_deleted" if deleted else "common.secret_not_deleted"
        await say(update, context, svc.catalog.text(await language(update, context), key))
        return "secret"
    ui_lang = await language(update, context)
    result = await svc.faq.match(message.text, ui_lang)
    # Answer in the language of the question; the chat's language setting stays as chosen.
    lang = result.lang if result.lang in ("ko", "en") else ui_lang
    cat = svc.catalog
    if result.decision == "suggest" or (result.decision == "fallback" and fallback):
        await svc.store.log_faq_query(
            user.id if user else None, message.text, result.decision, result.entry_id, result.score
        )
    if result.decision == "smalltalk" and result.entry_id:
        await small_talk(update, context, result.entry_id, lang, mid_flow=mid_flow)
        return result.decision
    if result.decision == "answer" and result.entry_id:
        entry = svc.faq.entry(result.entry_id)
        if entry is not None:
            await send_answer(update, context, entry, mid_flow=mid_flow, lang=lang)
            return result.decision
    if result.decision == "suggest" and result.suggestions:
        rows = []
        for entry_id in result.suggestions[:3]:
            entry = svc.faq.entry(entry_id)
            if entry is not None:
                rows.append([(_title(entry, lang), cb.FaqEntry(entry.id).pack())])
        await say(update, context, cat.text(lang, "faq.suggest"), keyboard(rows))
        return result.decision
    if fallback:
        phone = svc.settings.customer_center
        await say(update, context, cat.text(lang, "faq.fallback", phone=phone))
    return "fallback"


SMALL_TALK = {
    "greeting": "faq.smalltalk_greeting",
    "thanks": "faq.smalltalk_thanks",
    "goodbye": "faq.smalltalk_goodbye",
    "are-you-human": "faq.smalltalk_are_you_human",
    "who-are-you": "faq.smalltalk_who_are_you",
}


async def small_talk(
    update: Update, context: Context, kind: str, lang: str, *, mid_flow: bool = False
) -> None:
    """Greetings, thanks, "are you a person?": a short friendly line and the main menu
    (inside a flow only the line, so no button throws the flow away)."""
    from bot.flows.menu import main_menu_markup  # menu imports this module's handlers

    cat = services(context).catalog
    text = cat.text(lang, SMALL_TALK.get(kind, SMALL_TALK["who-are-you"]))
    if mid_flow:
        await say(update, context, cat.text(lang, "faq.mid_flow_answer", answer=Html(text)))
        return
    await say(update, context, text, await main_menu_markup(update, context))


def mid_flow_question(flow: str) -> Step[Any]:
    """The step for a question typed inside `flow` (never at the password or identity
    prompts): answer it from the FAQ and stay on the same step."""

    @step
    async def question(update: Update, context: Context) -> None:
        touch_flow(context, flow)
        await answer_text(update, context, mid_flow=True)

    return question


async def free_text(update: Update, context: Context) -> None:
    """Free text outside any flow goes to the matcher."""
    await answer_text(update, context)


async def browse(update: Update, context: Context) -> None:
    """/faq: the topics as buttons."""
    await answer_query(update)
    svc = services(context)
    lang = await language(update, context)
    rows = [
        [(topic.title.get(lang) or topic.id, cb.FaqTopic(topic.id).pack())]
        for topic in svc.faq.kb.topics
        if svc.faq.kb.by_topic(topic.id)
    ]
    await say(update, context, svc.catalog.text(lang, "faq.browse"), keyboard(rows))


async def _stale(update: Update, context: Context) -> None:
    await answer_query(update, await tr(update, context, "common.stale_button"))


@cb.receives(cb.FaqHome, _stale)
async def on_home(update: Update, context: Context, _data: cb.FaqHome) -> None:
    """[← 주제 목록]: the topics again."""
    await browse(update, context)


@cb.receives(cb.FaqTopic, _stale)
async def on_topic(update: Update, context: Context, data: cb.FaqTopic) -> None:
    """A topic button: its questions as buttons."""
    svc = services(context)
    lang = await language(update, context)
    entries = svc.faq.kb.by_topic(data.topic)
    topic = next((t for t in svc.faq.kb.topics if t.id == data.topic), None)
    if topic is None or not entries:
        await _stale(update, context)
        return
    await answer_query(update)
    rows = [[(_title(e, lang), cb.FaqEntry(e.id).pack())] for e in entries]
    rows.append([(svc.catalog.text(lang, "faq.btn_back"), cb.FaqHome().pack())])
    await say(
        update,
        context,
        svc.catalog.text(lang, "faq.topic", topic=topic.title.get(lang) or topic.id),
        keyboard(rows),
    )


@cb.receives(cb.FaqEntry, _stale)
async def on_entry(update: Update, context: Context, data: cb.FaqEntry) -> None:
    """A question button: its answer."""
    entry = services(context).faq.entry(data.entry)
    if entry is None:
        await _stale(update, context)
        return
    await answer_query(update)
    await send_answer(update, context, entry)


@cb.receives(cb.FaqVote, _stale)
async def on_vote(update: Update, context: Context, data: cb.FaqVote) -> None:
    """👍 / 👎: stored for the operators; 👎 also points to the customer center."""
    svc = services(context)
    user = update.effective_user
    entry = svc.faq.entry(data.entry)
    if entry is None or user is None:
        await _stale(update, context)
        return
    lang = await language(update, context)
    await svc.store.record_faq_feedback(user.id, entry.id, helpful=data.vote == "up")
    await _drop_vote_row(update)
    if data.vote == "up":
        await answer_query(update, svc.catalog.text(lang, "faq.thanks"))
    else:
        await answer_query(update)
        await say(
            update, context, svc.catalog.text(lang, "faq.sorry", phone=svc.settings.customer_center)
        )


async def _drop_vote_row(update: Update) -> None:
    """After one 👍 or 👎 the pair is gone: one vote per answer, no second press."""
    query = update.callback_query
    message = query.message if query is not None else None
    markup = getattr(message, "reply_markup", None)
    if query is None or markup is None:
        return
    vote = re.compile(cb.FaqVote.pattern())
    rows = [
        row
        for row in markup.inline_keyboard
        if not any(isinstance(b.callback_data, str) and vote.match(b.callback_data) for b in row)
    ]
    try:
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows) if rows else None)
    except BadRequest:
        pass  # a double tap: the first press already removed them


async def contact(update: Update, context: Context) -> None:
    """[고객센터 안내]."""
    await answer_query(update)
    svc = services(context)
    lang = await language(update, context)
    await say(
        update, context, svc.catalog.text(lang, "faq.contact", phone=svc.settings.customer_center)
    )


async def stray_input(update: Update, context: Context) -> None:
    """A document, photo or sticker outside any flow: point to /register."""
    await say(
        update,
        context,
        services(context).catalog.text(
            await language(update, context), "common.upload_outside_flow"
        ),
    )


def handlers() -> list[Handler]:
    private_text = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
    return [
        CommandHandler("faq", browse),
        CallbackQueryHandler(browse, pattern=cb.Menu.pattern(target="faq")),
        CallbackQueryHandler(on_home, pattern=cb.FaqHome.pattern()),
        CallbackQueryHandler(on_topic, pattern=cb.FaqTopic.pattern()),
        CallbackQueryHandler(on_entry, pattern=cb.FaqEntry.pattern()),
        CallbackQueryHandler(on_vote, pattern=cb.FaqVote.pattern()),
        CallbackQueryHandler(contact, pattern=cb.Action.pattern(target="contact")),
        MessageHandler(private_text, free_text),
    ]


__all__ = ["FaqService", "KnowledgeBaseError", "handlers", "mid_flow_question", "stray_input"]
