"""Expiry reminders: a daily JobQueue job tells users 30, 7 and 1 days before expiry.

Each notice is claimed in the store before it is sent, so a restart never repeats one; on expiry
the certificate is marked expired and the user is told to reissue and register again.
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram import InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.flows import callbacks as cb
from bot.flows.common import Context, KcertApplication, format_date, keyboard
from bot.flows.render import days_left, dday, display_name, issuer_name
from bot.texts import Catalog

log = logging.getLogger(__name__)
THRESHOLDS = (1, 7, 30)


async def check_expiry(app: KcertApplication, now: dt.datetime | None = None) -> int:
    """Send the due reminders and expire what has expired; returns how many messages went out."""
    svc = app.services
    moment = now or svc.clock.now()
    sent = 0
    for cert in await svc.store.active_certificates():
        lang = await svc.store.language_of(cert.user_id) or svc.settings.default_language
        cat = svc.catalog
        if cert.not_after <= moment:
            if not await svc.store.mark_expired(cert.id):
                continue
            text = cat.text(
                lang,
                "expiry.expired",
                owner=display_name(cert.owner_name),
                issuer=issuer_name(cat, lang, cert.ca),
            )
            buttons = _buttons(cat, lang, release=False)
        else:
            # KST calendar days, the definition /certs shows as D-N (render.days_left).
            days = days_left(cert.not_after, moment)
            due = [t for t in THRESHOLDS if days <= t]
            if not due:
                continue
            # Only the nearest threshold is sent; the larger ones are claimed silently so a
            # certificate registered 5 days before expiry gets one notice, not three.
            nearest = min(due)
            claimed = await svc.store.claim_expiry_notice(cert.id, nearest)
            for other in due:
                if other != nearest:
                    await svc.store.claim_expiry_notice(cert.id, other)
            if not claimed:
                continue
            text = cat.text(
                lang,
                "expiry.reminder",
                owner=display_name(cert.owner_name),
                issuer=issuer_name(cat, lang, cert.ca),
                dday=dday(cat, lang, days),
                date=format_date(cert.not_after, lang),
            )
            buttons = _buttons(cat, lang, release=True)
        try:
            await app.bot.send_message(cert.user_id, text, parse_mode="HTML", reply_markup=buttons)
            sent += 1
        except TelegramError as exc:
            log.warning("expiry notice not delivered: %s", type(exc).__name__)
    return sent


def _buttons(cat: Catalog, lang: str, *, release: bool) -> InlineKeyboardMarkup:
    """How to continue: release the old certificate (while it is active), register the new."""
    row = [(cat.text(lang, "expiry.btn_register_new"), cb.Action("register").pack())]
    if release:
        row.insert(0, (cat.text(lang, "expiry.btn_release_old"), cb.Action("revoke").pack()))
    return keyboard([row])


def schedule(app: KcertApplication) -> None:
    """Daily at EXPIRY_CHECK_HOUR_UTC, once shortly after start, and a vault sweep."""
    jobs = app.job_queue
    if jobs is None:
        log.warning("no job queue: expiry reminders are off")
        return
    svc = app.services

    async def daily(_context: Context) -> None:
        await check_expiry(app)

    async def sweep(_context: Context) -> None:
        svc.sessions.sweep()

    jobs.run_daily(
        daily, time=dt.time(hour=svc.settings.expiry_check_hour_utc, tzinfo=dt.UTC), name="expiry"
    )
    jobs.run_once(daily, when=30, name="expiry-catch-up")
    jobs.run_repeating(sweep, interval=60, first=60, name="vault-sweep")
