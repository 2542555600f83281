"""What the NPKI world's identifiers mean: issuing CAs and certificate policy OIDs.

Data only (docs/certificates.md): `inspect` looks issuers and policies up here; the test generator
uses the same tables to pick a realistic policy and DN per CA.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CAS",
    "FINANCIAL_CERTIFICATE_POLICIES",
    "OTHER_CA",
    "POLICIES",
    "CaInfo",
    "PolicyInfo",
    "ca_for_organization",
    "policy_info",
]


@dataclass(frozen=True)
class CaInfo:
    code: str  # stable code: yessign, KICA, SignKorea, CrossCert, TradeSign, other
    name_ko: str
    name_en: str
    known: bool


CAS: dict[str, CaInfo] = {
    "yessign": CaInfo(
        "yessign",
        "금융결제원",
        "Korea Financial Telecommunications & Clearings Institute (yessign)",
        True,
    ),
    "KICA": CaInfo("KICA", "한국정보인증", "Korea Information Certificate Authority (KICA)", True),
    "SignKorea": CaInfo("SignKorea", "코스콤", "Koscom (SignKorea)", True),
    "CrossCert": CaInfo(
        "CrossCert", "한국전자인증", "Korea Electronic Certification Authority (CrossCert)", True
    ),
    "TradeSign": CaInfo("TradeSign", "한국무역정보통신", "Korea Trade Network (TradeSign)", True),
}
OTHER_CA = CaInfo("other", "기타 발급기관", "Other issuer", False)
_BY_ORG = {code.lower(): info for code, info in CAS.items()}


def ca_for_organization(org: str | None) -> CaInfo:
    """Match the issuer's O= value case-insensitively (docs/certificates.md)."""
    if not org:
        return OTHER_CA
    return _BY_ORG.get(org.strip().lower(), OTHER_CA)


@dataclass(frozen=True)
class PolicyInfo:
    ca: str
    holder_type: str  # "personal" | "corporate"
    usage: str  # "general" (범용) | "restricted" (용도제한)
    purpose_ko: str | None
    purpose_en: str | None
    financial_certificate: bool = False


_BANK_KO, _BANK_EN = "은행·신용카드·보험용", "Banking, credit card and insurance"
_BANK_INS_KO, _BANK_INS_EN = "은행·보험용", "Banking and insurance"
_CARD_KO, _CARD_EN = "신용카드용", "Credit card"
_SEC_KO, _SEC_EN = "증권·보험용", "Securities and insurance"
_TAX_KO, _TAX_EN = "전자세금계산서용", "Electronic tax invoice"
_FIN_KO, _FIN_EN = "금융인증서", "Financial certificate (cloud)"


def _p(
    ca: str, holder: str, usage: str, ko: str | None = None, en: str | None = None
) -> PolicyInfo:
    return PolicyInfo(ca, holder, usage, ko, en)


def _fin(holder: str) -> PolicyInfo:
    return PolicyInfo("yessign", holder, "general", _FIN_KO, _FIN_EN, financial_certificate=True)


Y, K, S, C, T = "yessign", "KICA", "SignKorea", "CrossCert", "TradeSign"
PERSONAL, CORPORATE, GENERAL, RESTRICTED = "personal", "corporate", "general", "restricted"

POLICIES: dict[str, PolicyInfo] = {
    # yessign (금융결제원)
    "1.2.410.200005.1.1.1": _p(Y, PERSONAL, GENERAL),
    "1.2.410.200005.1.1.1.1": _p(Y, PERSONAL, GENERAL),  # 보안매체용 variant
    "1.2.410.200005.1.1.5": _p(Y, CORPORATE, GENERAL),
    "1.2.410.200005.1.1.5.1": _p(Y, CORPORATE, GENERAL),
    "1.2.410.200005.1.1.4": _p(Y, PERSONAL, RESTRICTED, _BANK_KO, _BANK_EN),
    "1.2.410.200005.1.1.4.1": _p(Y, PERSONAL, RESTRICTED, _BANK_KO, _BANK_EN),
    "1.2.410.200005.1.1.4.2": _p(Y, PERSONAL, RESTRICTED, _BANK_KO, _BANK_EN),
    "1.2.410.200005.1.1.4.3": _p(Y, PERSONAL, RESTRICTED, _BANK_KO, _BANK_EN),
    "1.2.410.200005.1.1.4.4": _p(Y, PERSONAL, RESTRICTED, _BANK_KO, _BANK_EN),
    "1.2.410.200005.1.1.4.5": _p(Y, PERSONAL, RESTRICTED, _BANK_KO, _BANK_EN),
    "1.2.410.200005.1.1.4.6": _p(Y, PERSONAL, RESTRICTED, _BANK_KO, _BANK_EN),
    "1.2.410.200005.1.1.4.8": _p(Y, PERSONAL, RESTRICTED, _BANK_KO, _BANK_EN),
    "1.2.410.200005.1.1.2": _p(Y, CORPORATE, RESTRICTED, _BANK_KO, _BANK_EN),
    "1.2.410.200005.1.1.2.1": _p(Y, CORPORATE, RESTRICTED, _BANK_KO, _BANK_EN),
    "1.2.410.200005.1.1.6.1": _p(Y, CORPORATE, RESTRICTED, "기업뱅킹용", "Corporate banking"),
    "1.2.410.200005.1.1.6.2": _p(Y, PERSONAL, RESTRICTED, _CARD_KO, _CARD_EN),
    "1.2.410.200005.1.1.6.8": _p(Y, CORPORATE, RESTRICTED, _TAX_KO, _TAX_EN),
    # 금융인증서 (KFTC cloud): never a file, flagged so the bot can explain (docs/certificates.md)
    "1.2.410.200005.1.1.1.10": _fin(PERSONAL),
    "1.2.410.200005.1.1.8.11": _fin(CORPORATE),
    "1.2.410.200005.1.1.8.12": _fin(CORPORATE),
    "1.2.410.200005.1.1.8.13": _fin(CORPORATE),
    "1.2.410.200005.1.1.6.10": _fin(CORPORATE),
    # KICA (한국정보인증, signGATE)
    "1.2.410.200004.5.2.1.2": _p(K, PERSONAL, GENERAL),
    "1.2.410.200004.5.2.1.1": _p(K, CORPORATE, GENERAL),
    "1.2.410.200004.5.2.1.7.1": _p(K, PERSONAL, RESTRICTED, _BANK_INS_KO, _BANK_INS_EN),
    "1.2.410.200004.5.2.1.7.2": _p(K, PERSONAL, RESTRICTED, _SEC_KO, _SEC_EN),
    "1.2.410.200004.5.2.1.7.3": _p(K, PERSONAL, RESTRICTED, _CARD_KO, _CARD_EN),
    "1.2.410.200004.5.2.1.5001": _p(K, CORPORATE, RESTRICTED, _TAX_KO, _TAX_EN),
    "1.2.410.200004.5.2.1.6.257": _p(K, CORPORATE, RESTRICTED, _TAX_KO, _TAX_EN),
    # SignKorea (코스콤)
    "1.2.410.200004.5.1.1.5": _p(S, PERSONAL, GENERAL),
    "1.2.410.200004.5.1.1.7": _p(S, CORPORATE, GENERAL),
    "1.2.410.200004.5.1.1.9": _p(
        S, PERSONAL, RESTRICTED, "증권·보험·민원용", "Securities, insurance and civil services"
    ),
    "1.2.410.200004.5.1.1.9.2": _p(S, PERSONAL, RESTRICTED, _CARD_KO, _CARD_EN),
    "1.2.410.200004.5.1.1.12.908": _p(
        S, CORPORATE, RESTRICTED, "세금계산서 결제용", "Tax invoice payment"
    ),
    # CrossCert (한국전자인증)
    "1.2.410.200004.5.4.1.1": _p(C, PERSONAL, GENERAL),
    "1.2.410.200004.5.4.1.2": _p(C, CORPORATE, GENERAL),
    "1.2.410.200004.5.4.1.101": _p(C, PERSONAL, RESTRICTED, _BANK_INS_KO, _BANK_INS_EN),
    "1.2.410.200004.5.4.1.102": _p(C, PERSONAL, RESTRICTED, "증권용", "Securities"),
    "1.2.410.200004.5.4.1.103": _p(C, PERSONAL, RESTRICTED, _CARD_KO, _CARD_EN),
    "1.2.410.200004.5.4.1.104": _p(C, PERSONAL, RESTRICTED, "전자민원용", "Civil services"),
    # TradeSign (한국무역정보통신); sources disagree on .101's holder (docs/certificates.md): personal here
    "1.2.410.200012.1.1.1": _p(T, PERSONAL, GENERAL),
    "1.2.410.200012.1.1.3": _p(T, CORPORATE, GENERAL),
    "1.2.410.200012.1.1.101": _p(T, PERSONAL, RESTRICTED, _BANK_INS_KO, _BANK_INS_EN),
    "1.2.410.200012.1.1.103": _p(T, PERSONAL, RESTRICTED, _SEC_KO, _SEC_EN),
    "1.2.410.200012.1.1.105": _p(T, PERSONAL, RESTRICTED, _CARD_KO, _CARD_EN),
    # Former or minor CAs: known policies, but the issuer counts as "other".
    "1.2.410.200004.5.5.1.1": _p("other", PERSONAL, GENERAL),
    "1.2.410.200004.5.5.1.2": _p("other", CORPORATE, GENERAL),
    "1.2.410.200004.5.3.1.1": _p("other", CORPORATE, GENERAL),
    "1.2.410.200004.5.3.1.2": _p("other", CORPORATE, GENERAL),
    "1.2.410.200004.5.3.1.9": _p("other", PERSONAL, GENERAL),
}

FINANCIAL_CERTIFICATE_POLICIES = frozenset(
    oid for oid, info in POLICIES.items() if info.financial_certificate
)

#: The policy the test generator gives a user certificate per (CA, corporate).
DEFAULT_POLICY: dict[tuple[str, bool], str] = {
    ("yessign", False): "1.2.410.200005.1.1.4",
    ("yessign", True): "1.2.410.200005.1.1.5",
    ("KICA", False): "1.2.410.200004.5.2.1.7.1",
    ("KICA", True): "1.2.410.200004.5.2.1.1",
    ("SignKorea", False): "1.2.410.200004.5.1.1.5",
    ("SignKorea", True): "1.2.410.200004.5.1.1.7",
    ("CrossCert", False): "1.2.410.200004.5.4.1.101",
    ("CrossCert", True): "1.2.410.200004.5.4.1.2",
    ("TradeSign", False): "1.2.410.200012.1.1.101",
    ("TradeSign", True): "1.2.410.200012.1.1.3",
    # An OID no table knows, under a private arc, for "unknown issuer" tests.
    ("other", False): "1.3.6.1.4.1.99999.1.1",
    ("other", True): "1.3.6.1.4.1.99999.1.2",
}


def policy_info(oid: str | None) -> PolicyInfo | None:
    return POLICIES.get(oid) if oid else None
