"""Trust anchors and chain verification: is this certificate really issued by a licensed CA?

The issuer's O= name proves nothing (anyone can write "O=yessign"), so the leaf's signature is
checked against an intermediate CA certificate from a trusted bundle, and that one against a
self-signed root in the same bundle, each link valid at `now`, each issuer a CA (basicConstraints
CA=true, keyCertSign when keyUsage is present). cryptography's WebPKI verifier cannot be used:
it rejects real NPKI leaves (critical certificatePolicies), so the links are checked one by one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from bot.certs.errors import TrustStoreError, UnknownIssuer, UntrustedChain

__all__ = [
    "MAX_CHAIN_LENGTH",
    "REAL_ANCHORS_PATH",
    "ChainResult",
    "TrustStore",
    "verify_chain",
]

#: leaf → intermediate → root; one more link tolerates a cross-certified intermediate.
MAX_CHAIN_LENGTH = 4
#: Genuine public KISA root + licensed-CA intermediates found in public sources (see SOURCES.md).
REAL_ANCHORS_PATH = Path(__file__).with_name("anchors") / "npki-bundle.pem"


@dataclass(frozen=True)
class ChainResult:
    """How a certificate's issuer was judged: "verified" (chain to a root) or "unverified"."""

    status: str  # "verified" | "unverified"
    chain: tuple[str, ...] = ()  # subject DNs from the leaf's issuer up to the root

    @property
    def verified(self) -> bool:
        return self.status == "verified"


class TrustStore:
    """Root and intermediate CA certificates, indexed by subject name."""

    def __init__(self, certificates: list[x509.Certificate], *, label: str = "") -> None:
        self.certificates = tuple(certificates)
        self.label = label
        self._by_subject: dict[bytes, list[x509.Certificate]] = {}
        for cert in self.certificates:
            self._by_subject.setdefault(cert.subject.public_bytes(), []).append(cert)

    @classmethod
    def from_pem(cls, data: bytes, *, label: str = "") -> TrustStore:
        if b"-----BEGIN CERTIFICATE-----" not in data:
            raise TrustStoreError("The trusted CA bundle holds no PEM certificate.")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                certificates = x509.load_pem_x509_certificates(data)
        except Exception as exc:
            raise TrustStoreError("The trusted CA bundle holds a malformed certificate.") from exc
        return cls(certificates, label=label)

    @classmethod
    def load(cls, path: Path | str) -> TrustStore:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TrustStoreError(f"The trusted CA bundle {path.name} cannot be read.") from exc
        return cls.from_pem(data, label=str(path))

    def issuers_named(self, name: x509.Name) -> list[x509.Certificate]:
        return list(self._by_subject.get(name.public_bytes(), ()))

    def __len__(self) -> int:
        return len(self.certificates)

    def to_pem(self) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.certificates)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _is_self_signed(cert: x509.Certificate) -> bool:
    if cert.subject.public_bytes() != cert.issuer.public_bytes():
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:
        return False
    return True


def _can_issue(issuer: x509.Certificate, now: datetime) -> bool:
    """A CA certificate valid at `now`: basicConstraints CA=true, keyCertSign if keyUsage says."""
    if not issuer.not_valid_before_utc <= now <= issuer.not_valid_after_utc:
        return False
    try:
        constraints = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
        if not constraints.ca:
            return False
    except Exception:  # absent or malformed: not a CA
        return False
    try:
        usage = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    except Exception:
        return False
    return bool(usage.key_cert_sign)


def _signed_by(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(issuer)
    except Exception:  # InvalidSignature, or an algorithm/name mismatch
        return False
    return True


def verify_chain(cert: x509.Certificate, trust: TrustStore | None, *, now: datetime) -> ChainResult:
    """Verify `cert` up to a self-signed root in `trust`.

    Raises UnknownIssuer when no certificate in the store bears the leaf's issuer name, and
    UntrustedChain when one does but no path (signature, validity, CA flags) reaches a root.
    """
    now = _aware(now)
    if trust is None or not trust.issuers_named(cert.issuer):
        raise UnknownIssuer()
    path = _find_path(cert, trust, now, depth=1, seen=frozenset())
    if path is None:
        raise UntrustedChain()
    return ChainResult("verified", tuple(c.subject.rfc4514_string() for c in path))


def _find_path(
    child: x509.Certificate,
    trust: TrustStore,
    now: datetime,
    *,
    depth: int,
    seen: frozenset[bytes],
) -> list[x509.Certificate] | None:
    if depth > MAX_CHAIN_LENGTH:
        return None
    for issuer in trust.issuers_named(child.issuer):
        fingerprint = issuer.tbs_certificate_bytes
        if fingerprint in seen or not _can_issue(issuer, now) or not _signed_by(child, issuer):
            continue
        if _is_self_signed(issuer):
            return [issuer]
        rest = _find_path(issuer, trust, now, depth=depth + 1, seen=seen | {fingerprint})
        if rest is not None:
            return [issuer, *rest]
    return None
