"""Registration policy, pure: may this certificate be registered at `now` under this trust?

`check_registrable` raises one `NotRegistrable` subclass per reason, in a fixed order (expired,
not yet valid, 금융인증서, issuer trust), so a flow maps classes to catalog messages through the
hierarchy and never re-derives a rule of its own.
"""

from __future__ import annotations

from datetime import datetime

from bot.certs.errors import (
    ExpiredCertificate,
    FinancialCertificate,
    NotYetValid,
    UnknownIssuer,
)
from bot.certs.inspect import CertificateInfo, load_certificate
from bot.certs.trust import ChainResult, TrustStore, verify_chain

__all__ = ["check_registrable"]


def check_registrable(
    info: CertificateInfo,
    *,
    now: datetime,
    trust: TrustStore | None,
    allow_unknown_issuers: bool,
) -> ChainResult:
    """Return how the issuer was judged, or raise ExpiredCertificate, NotYetValid,
    FinancialCertificate, UnknownIssuer or UntrustedChain (all NotRegistrable).

    An issuer absent from `trust` is refused unless `allow_unknown_issuers`, and then the
    result says "unverified". A certificate whose issuer *is* in the store but whose chain
    does not verify (a forgery copying a CA's name) is refused whatever the setting.
    """
    if info.is_expired(now):
        raise ExpiredCertificate()
    if info.is_not_yet_valid(now):
        raise NotYetValid()
    if info.is_financial_certificate:
        raise FinancialCertificate()
    if not info.cert_der:
        raise UnknownIssuer("The certificate's bytes are not known; its chain cannot be checked.")
    try:
        return verify_chain(load_certificate(info.cert_der), trust, now=now)
    except UnknownIssuer:
        if allow_unknown_issuers:
            return ChainResult("unverified")
        raise
