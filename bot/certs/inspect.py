"""Read the public facts of a user certificate: who, which CA, what policy, how long valid.

`inspect_certificate` turns certificate DER into a frozen `CertificateInfo`; it is what the
register flow shows and what the store keeps (public data only, docs/certificates.md item 7).
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from bot.certs import catalog
from bot.certs.errors import CertificateError, NotACertificate, NotRSA, UnsupportedKeySize
from bot.certs.names import clean_text

__all__ = [
    "KST",
    "MAX_KEY_BITS",
    "MIN_KEY_BITS",
    "CertificateInfo",
    "inspect_certificate",
    "kst_days_left",
    "load_certificate",
    "owner_name_from_cn",
    "public_key_sha256",
]

#: Korea Standard Time (no DST): NPKI certificates end at 23:59:59 KST, so days count in KST.
KST = timezone(timedelta(hours=9), "KST")

MIN_KEY_BITS, MAX_KEY_BITS = 1024, 4096
IDENTIFY_DATA_OID = "1.2.410.200004.10.1.1"
_CORPORATE_HINT = re.compile(r"corporation|법인|기업|사업자", re.IGNORECASE)
# WIZVERA's display-name rule (docs/certificates.md): the CN up to the first "(", "_", "-" or digit.
_NAME_CUT = re.compile(r"[(_\-0-9]")


@dataclass(frozen=True)
class CertificateInfo:
    """Public, display-ready facts about one certificate. Datetimes are aware UTC.

    Time-dependent facts come from the methods with an explicit `now` (`days_left(now)`,
    `is_expired(now)`, `is_not_yet_valid(now)`); the `expired`/`not_yet_valid` fields are the
    same facts at inspection time, kept for callers that have not moved to the methods yet.
    """

    owner_name: str
    subject_dn: str
    issuer_dn: str
    ca: str
    ca_name_ko: str
    ca_name_en: str
    known_issuer: bool
    serial_hex: str
    policy_oid: str | None
    holder_type: str
    usage: str
    usage_purpose_ko: str | None
    usage_purpose_en: str | None
    not_before: datetime
    not_after: datetime
    expired: bool  # at inspection time; prefer is_expired(now)
    not_yet_valid: bool  # at inspection time; prefer is_not_yet_valid(now)
    fingerprint_sha256: str
    key_size: int
    is_financial_certificate: bool
    has_identity_data: bool
    # SHA-256 of the SubjectPublicKeyInfo DER: the same key keeps the same value whatever
    # else in the certificate (or its signature) differs, so locks are keyed on it.
    public_key_sha256: str = ""
    cert_der: bytes = field(default=b"", repr=False, compare=False)

    def days_left(self, now: datetime) -> int:
        """KST calendar days until the expiry day: 0 on the last day, negative once expired."""
        return kst_days_left(self.not_after, now)

    def is_expired(self, now: datetime) -> bool:
        return _aware(now) > self.not_after

    def is_not_yet_valid(self, now: datetime) -> bool:
        return _aware(now) < self.not_before

    @property
    def usage_ko(self) -> str:
        if self.usage == "general":
            return "범용"
        return f"용도제한 ({self.usage_purpose_ko})" if self.usage_purpose_ko else "용도제한"

    @property
    def usage_en(self) -> str:
        if self.usage == "general":
            return "general"
        return f"restricted ({self.usage_purpose_en})" if self.usage_purpose_en else "restricted"

    def to_json_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("cert_der")
        data["not_before"] = self.not_before.isoformat()
        data["not_after"] = self.not_after.isoformat()
        return data


def load_certificate(cert_der: bytes) -> x509.Certificate:
    try:
        with warnings.catch_warnings():
            # Zero or negative serials only warn today; the certificate is still shown.
            warnings.simplefilter("ignore")
            return x509.load_der_x509_certificate(bytes(cert_der))
    except Exception as exc:  # cryptography raises ValueError, but hostile DER may find others
        raise NotACertificate() from exc


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def kst_calendar_day(moment: datetime) -> date:
    return _aware(moment).astimezone(KST).date()


def kst_days_left(not_after: datetime, now: datetime) -> int:
    """The one definition of "days left": KST calendar days from now's day to the expiry day."""
    return (kst_calendar_day(not_after) - kst_calendar_day(now)).days


def public_key_sha256(cert: x509.Certificate) -> str:
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


def owner_name_from_cn(common_name: str) -> str:
    """The owner's name for display only; the CN format differs per CA and is never parsed for logic."""
    common_name = clean_text(common_name)
    cut = _NAME_CUT.search(common_name)
    name = common_name[: cut.start()] if cut else common_name
    return name.strip() or common_name.strip()


def _first_attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    attrs = name.get_attributes_for_oid(oid)
    if not attrs:
        return None
    value = attrs[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _policy_oid(cert: x509.Certificate) -> str | None:
    try:
        ext = cert.extensions.get_extension_for_class(x509.CertificatePolicies)
    except x509.ExtensionNotFound:
        return None
    policies = list(ext.value)
    return policies[0].policy_identifier.dotted_string if policies else None


def _has_identity_data(cert: x509.Certificate) -> bool:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return False
    return any(
        isinstance(gn, x509.OtherName) and gn.type_id.dotted_string == IDENTIFY_DATA_OID
        for gn in san.value
    )


def inspect_certificate(cert_der: bytes, *, now: datetime | None = None) -> CertificateInfo:
    """Parse certificate DER into `CertificateInfo`; raises NotACertificate, NotRSA, UnsupportedKeySize."""
    cert = load_certificate(cert_der)
    try:
        return _inspect(cert, now or datetime.now(UTC))
    except CertificateError:
        raise
    except Exception as exc:  # cryptography parses extensions lazily: malformed ones surface here
        raise NotACertificate("The certificate is malformed.") from exc


def _inspect(cert: x509.Certificate, now: datetime) -> CertificateInfo:
    public_key = cert.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise NotRSA()
    key_size = public_key.key_size
    if not MIN_KEY_BITS <= key_size <= MAX_KEY_BITS:
        raise UnsupportedKeySize()
    now = _aware(now)

    with warnings.catch_warnings():
        # Negative or oversized serials raise a deprecation warning only; still show them.
        warnings.simplefilter("ignore")
        serial = cert.serial_number
    serial_hex = format(serial, "x") if serial >= 0 else "-" + format(-serial, "x")

    issuer_org = _first_attr(cert.issuer, NameOID.ORGANIZATION_NAME)
    ca = catalog.ca_for_organization(issuer_org)
    policy_oid = _policy_oid(cert)
    policy = catalog.policy_info(policy_oid)
    subject_dn = clean_text(cert.subject.rfc4514_string())
    common_name = _first_attr(cert.subject, NameOID.COMMON_NAME) or ""

    if policy is not None:
        holder, usage = policy.holder_type, policy.usage
        purpose_ko, purpose_en = policy.purpose_ko, policy.purpose_en
    else:
        # Unknown policy: guess the holder from the DN, and treat it as restricted (docs/certificates.md).
        holder = "corporate" if _CORPORATE_HINT.search(subject_dn) else "personal"
        usage, purpose_ko, purpose_en = "restricted", None, None

    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    return CertificateInfo(
        owner_name=owner_name_from_cn(common_name),
        subject_dn=subject_dn,
        issuer_dn=clean_text(cert.issuer.rfc4514_string()),
        ca=ca.code,
        ca_name_ko=ca.name_ko,
        ca_name_en=ca.name_en,
        known_issuer=ca.known,
        serial_hex=serial_hex,
        policy_oid=policy_oid,
        holder_type=holder,
        usage=usage,
        usage_purpose_ko=purpose_ko,
        usage_purpose_en=purpose_en,
        not_before=not_before,
        not_after=not_after,
        expired=now > not_after,
        not_yet_valid=now < not_before,
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
        key_size=key_size,
        is_financial_certificate=policy_oid in catalog.FINANCIAL_CERTIFICATE_POLICIES,
        has_identity_data=_has_identity_data(cert),
        public_key_sha256=public_key_sha256(cert),
        cert_der=cert.public_bytes(serialization.Encoding.DER),
    )
