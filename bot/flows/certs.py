"""`/certs` (내 인증서): the user's active certificates with D-day, and a short history.

Also the one place that renders a certificate for the user (summary, list lines).
"""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.certs import CertificateInfo
from bot.flows import callbacks as cb
from bot.flows.common import (
    Context,
    answer_query,
    format_date,
    keyboard,
    language,
    now_utc,
    say,
    services,
)
from bot.store import RegisteredCertificate
from bot.texts import Catalog, Html


def dday(catalog: Catalog, lang: str, days: int) -> str:
    if days > 0:
        return catalog.text(lang, "cert.dday_future", days=days)
    if days == 0:
        return catalog.text(lang, "cert.dday_today")
    return catalog.text(lang, "cert.dday_past")


def issuer_name(catalog: Catalog, lang: str, ca: str) -> str:
    texts = catalog.texts[catalog.lang(lang)]
    return texts.get(f"ca.{ca}", texts["ca.other"])


def usage_text(
    catalog: Catalog, lang: str, usage: str, purpose_ko: str | None, purpose_en: str | None
) -> str:
    if usage == "general":
        return catalog.text(lang, "cert.usage_general")
    purpose = purpose_ko if lang == "ko" else purpose_en
    if purpose:
        return catalog.text(lang, "cert.usage_restricted", purpose=purpose)
    return catalog.text(lang, "cert.usage_restricted_plain")


def summary(
    catalog: Catalog,
    lang: str,
    *,
    owner: str,
    ca: str,
    holder_type: str,
    usage: str,
    purpose_ko: str | None,
    purpose_en: str | None,
    not_after: datetime,
    serial_hex: str,
    now: datetime | None = None,
) -> str:
    """The public summary of one certificate (used by register and revoke)."""
    days = _days_left(not_after, now)
    text = catalog.text(
        lang,
        "cert.summary",
        owner=owner,
        issuer=issuer_name(catalog, lang, ca),
        holder=catalog.text(lang, f"cert.holder_{holder_type}"),
        usage=usage_text(catalog, lang, usage, purpose_ko, purpose_en),
        not_after=format_date(not_after, lang),
        dday=dday(catalog, lang, days),
        serial=serial_hex,
    )
    if 0 <= days <= 30:
        text += "\n" + catalog.text(lang, "cert.expiring_soon", days=days)
    return text


def _days_left(not_after: datetime, now: datetime | None = None) -> int:
    return int((not_after - (now or now_utc())).total_seconds() // 86400)


def info_summary(catalog: Catalog, lang: str, info: CertificateInfo) -> str:
    """The summary of a certificate that was just uploaded (not stored yet)."""
    return summary(
        catalog,
        lang,
        owner=info.owner_name,
        ca=info.ca,
        holder_type=info.holder_type,
        usage=info.usage,
        purpose_ko=info.usage_purpose_ko,
        purpose_en=info.usage_purpose_en,
        not_after=info.not_after,
        serial_hex=info.serial_hex,
    )


def registered_summary(catalog: Catalog, lang: str, cert: RegisteredCertificate) -> str:
    return summary(
        catalog,
        lang,
        owner=cert.owner_name,
        ca=cert.ca,
        holder_type=cert.holder_type,
        usage=cert.usage,
        purpose_ko=cert.usage_purpose_ko,
        purpose_en=cert.usage_purpose_en,
        not_after=cert.not_after,
        serial_hex=cert.serial_hex,
    )


def list_lines(catalog: Catalog, lang: str, certs: list[RegisteredCertificate]) -> str:
    lines = []
    for index, cert in enumerate(certs, start=1):
        lines.append(
            catalog.text(
                lang,
                "cert.list_item",
                index=index,
                owner=cert.owner_name,
                issuer=issuer_name(catalog, lang, cert.ca),
                holder=catalog.text(lang, f"cert.holder_{cert.holder_type}"),
                usage=usage_text(
                    catalog, lang, cert.usage, cert.usage_purpose_ko, cert.usage_purpose_en
                ),
                not_after=format_date(cert.not_after, lang),
                dday=dday(catalog, lang, _days_left(cert.not_after)),
            )
        )
    return "\n".join(lines)


def history_lines(catalog: Catalog, lang: str, certs: list[RegisteredCertificate]) -> str:
    return "\n".join(
        catalog.text(
            lang,
            "cert.history_item",
            owner=cert.owner_name,
            issuer=issuer_name(catalog, lang, cert.ca),
            status=catalog.text(lang, f"cert.status_{cert.status}"),
            date=format_date(cert.ended_at or cert.registered_at, lang),
        )
        for cert in certs
    )


def short_label(
    catalog: Catalog, lang: str, key: str, cert: RegisteredCertificate | CertificateInfo
) -> str:
    """A button label for one certificate, stored or just uploaded (kept short for a phone)."""
    return catalog.text(
        lang,
        key,
        owner=cert.owner_name[:12],
        issuer=issuer_name(catalog, lang, cert.ca).split("(")[0],
        not_after=format_date(cert.not_after, lang),
    ).replace("&amp;", "&")


async def show_certificates(update: Update, context: Context) -> None:
    """List active certificates (issuer, type, expiry, D-day) and recently released ones."""
    await answer_query(update)
    svc = services(context)
    lang = await language(update, context)
    user = update.effective_user
    if user is None:
        return
    active = await svc.store.active_certificates_of(user.id)
    history = await svc.store.history_of(user.id)
    cat = svc.catalog
    if not active and not history:
        await say(
            update,
            context,
            cat.text(lang, "certs.none"),
            keyboard([[(cat.text(lang, "certs.btn_register"), cb.Action("register").pack())]]),
        )
        return
    parts = [cat.text(lang, "certs.header")]
    if active:
        parts.append(cat.text(lang, "certs.active_header") + "\n" + list_lines(cat, lang, active))
    else:
        parts.append(cat.text(lang, "certs.none"))
    if history:
        parts.append(
            cat.text(lang, "certs.history_header") + "\n" + history_lines(cat, lang, history)
        )
    buttons = [(cat.text(lang, "certs.btn_register"), cb.Action("register").pack())]
    if active:
        buttons = [(cat.text(lang, "certs.btn_revoke"), cb.Action("revoke").pack())]
    await say(update, context, Html("\n\n".join(parts)), keyboard([buttons]), protect=True)


def handlers() -> list[object]:
    return [
        CommandHandler("certs", show_certificates),
        CallbackQueryHandler(show_certificates, pattern=cb.Menu.pattern(target="certs")),
        CallbackQueryHandler(show_certificates, pattern=cb.Action.pattern(target="certs")),
    ]
