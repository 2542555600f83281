"""The one renderer of a certificate for the user: summary, list lines, history, labels.

It takes any object with the public facts (the core's CertificateInfo of an upload, or a
stored RegisteredCertificate) and the moment to count days from; localized texts come from
the catalog, the usage purpose from the certificate core's policy table.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.certs import display_name as core_display_name
from bot.certs.catalog import policy_info
from bot.certs.inspect import kst_days_left
from bot.flows.common import format_date, format_time
from bot.store import RegisteredCertificate
from bot.texts import Catalog


class PublicFacts(Protocol):
    """What rendering needs; both CertificateInfo and CertificateFacts have it."""

    @property
    def owner_name(self) -> str: ...
    @property
    def ca(self) -> str: ...
    @property
    def holder_type(self) -> str: ...
    @property
    def usage(self) -> str: ...
    @property
    def policy_oid(self) -> str | None: ...
    @property
    def not_after(self) -> datetime: ...
    @property
    def serial_hex(self) -> str: ...


NAME_LIMIT = 40
MESSAGE_LIMIT = 4096  # Telegram's bound on one message's text (after entities are parsed)


def display_name(name: str, limit: int = NAME_LIMIT) -> str:
    """An owner name as shown anywhere (the core's display_name: one line, at most 40 chars)."""
    return core_display_name(name, limit)


def chunks(lines: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join lines into as few messages as fit `limit` characters each (HTML counted in full,
    so the visible text is shorter still); a single overlong line is cut."""
    out: list[str] = []
    current = ""
    for line in lines:
        line = line[:limit]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            out.append(current)
            candidate = line
        current = candidate
    if current or not out:
        out.append(current)
    return out


def days_left(not_after: datetime, now: datetime) -> int:
    """Days left in KST calendar days: the one definition /certs and the reminders share."""
    return kst_days_left(not_after, now)


def dday(catalog: Catalog, lang: str, days: int) -> str:
    if days > 0:
        return catalog.text(lang, "cert.dday_future", days=days)
    if days == 0:
        return catalog.text(lang, "cert.dday_today")
    return catalog.text(lang, "cert.dday_past")


def issuer_name(catalog: Catalog, lang: str, ca: str) -> str:
    texts = catalog.texts[catalog.lang(lang)]
    return texts.get(f"ca.{ca}", texts["ca.other"])


def purpose(lang: str, policy_oid: str | None) -> str | None:
    """The restricted-use purpose of a policy, in the user's language (None if unknown)."""
    policy = policy_info(policy_oid)
    if policy is None:
        return None
    return policy.purpose_ko if lang == "ko" else policy.purpose_en


def usage_text(catalog: Catalog, lang: str, cert: PublicFacts) -> str:
    if cert.usage == "general":
        return catalog.text(lang, "cert.usage_general")
    text = purpose(catalog.lang(lang), cert.policy_oid)
    if text:
        return catalog.text(lang, "cert.usage_restricted", purpose=text)
    return catalog.text(lang, "cert.usage_restricted_plain")


def summary(catalog: Catalog, lang: str, cert: PublicFacts, now: datetime) -> str:
    """The public summary of one certificate (register and release show it)."""
    days = days_left(cert.not_after, now)
    text = catalog.text(
        lang,
        "cert.summary",
        owner=display_name(cert.owner_name),
        issuer=issuer_name(catalog, lang, cert.ca),
        holder=catalog.text(lang, f"cert.holder_{cert.holder_type}"),
        usage=usage_text(catalog, lang, cert),
        not_after=format_date(cert.not_after, lang),
        dday=dday(catalog, lang, days),
        serial=cert.serial_hex,
    )
    if 0 <= days <= 30:
        text += "\n" + catalog.text(lang, "cert.expiring_soon", days=days)
    return text


def list_lines(
    catalog: Catalog, lang: str, certs: Sequence[RegisteredCertificate], now: datetime
) -> str:
    return "\n".join(
        catalog.text(
            lang,
            "cert.list_item",
            index=index,
            owner=display_name(cert.owner_name),
            issuer=issuer_name(catalog, lang, cert.ca),
            holder=catalog.text(lang, f"cert.holder_{cert.holder_type}"),
            usage=usage_text(catalog, lang, cert),
            not_after=format_date(cert.not_after, lang),
            dday=dday(catalog, lang, days_left(cert.not_after, now)),
        )
        for index, cert in enumerate(certs, start=1)
    )


def history_moment(cert: RegisteredCertificate) -> datetime:
    """When a past certificate ended: the release, or the certificate's own expiry (not the
    moment the daily job noticed it)."""
    if cert.status == "expired":
        return cert.not_after
    return cert.ended_at or cert.registered_at


def history_lines(catalog: Catalog, lang: str, certs: Sequence[RegisteredCertificate]) -> str:
    return "\n".join(
        catalog.text(
            lang,
            "cert.history_item",
            owner=display_name(cert.owner_name),
            issuer=issuer_name(catalog, lang, cert.ca),
            status=catalog.text(lang, f"cert.status_{cert.status}"),
            date=format_time(history_moment(cert), lang),
        )
        for cert in certs
    )


def short_label(catalog: Catalog, lang: str, key: str, cert: PublicFacts) -> str:
    """A button label for one certificate, stored or just uploaded (kept short for a phone)."""
    label = catalog.text(
        lang,
        key,
        owner=core_display_name(cert.owner_name, 12),
        issuer=issuer_name(catalog, lang, cert.ca),
        not_after=format_date(cert.not_after, lang),
    )
    # Button labels are plain text: undo the HTML escaping the catalog applied to the values,
    # or a name with "<" or "&" would show "&lt;" on the button.
    return html.unescape(label)
