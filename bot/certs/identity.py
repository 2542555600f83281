"""Identity check (본인확인): the certificate's VID against an identity number and R.

VID = H(H(DER(SEQUENCE { PrintableString idn, BIT STRING R }))) per KISA KCAC.TS.SIVID
(docs/certificates.md). The identity number is only hashed here, never stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from cryptography import x509

from bot.certs import der
from bot.certs.errors import (
    IdentityCheckUnavailable,
    IdentityMismatch,
    InvalidIdentityNumber,
    MissingRandom,
    NoIdentityData,
)
from bot.certs.inspect import IDENTIFY_DATA_OID, load_certificate

__all__ = ["VirtualId", "normalize_identity_number", "read_virtual_id", "verify_identity"]

VID_OID = "1.2.410.200004.10.1.1.1"
VID_HASHES = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
    "2.16.840.1.101.3.4.2.4": "sha224",
}
_SEPARATORS = re.compile(r"[\s\-]")


@dataclass(frozen=True)
class VirtualId:
    real_name: str
    hash_name: str
    virtual_id: bytes


def normalize_identity_number(identity_number: str) -> str:
    """Digits only: 13 (resident registration) or 10 (business registration)."""
    digits = _SEPARATORS.sub("", identity_number)
    if not digits.isascii() or not digits.isdigit() or len(digits) not in (10, 13):
        raise InvalidIdentityNumber()
    return digits


def read_virtual_id(cert_der: bytes) -> VirtualId:
    """Find the VID in subjectAltName otherName identifyData; NoIdentityData when absent."""
    cert = load_certificate(cert_der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound as exc:
        raise NoIdentityData() from exc
    except Exception as exc:
        raise NoIdentityData("The certificate's subjectAltName is malformed.") from exc
    for name in san:
        if isinstance(name, x509.OtherName) and name.type_id.dotted_string == IDENTIFY_DATA_OID:
            try:
                found = _parse_identify_data(name.value)
            except (der.DerError, IndexError, UnicodeDecodeError):
                continue
            if found is not None:
                return found
    raise NoIdentityData()


def _parse_identify_data(value: bytes) -> VirtualId | None:
    parts = der.parse(value).expect(der.SEQUENCE).children()
    real_name = parts[0].value.decode("utf-8")
    if len(parts) < 2:
        return None
    for user_info in parts[1].expect(der.SEQUENCE).children():
        info = user_info.expect(der.SEQUENCE).children()
        if info[0].as_oid() != VID_OID:
            continue
        vid = info[1].expect(der.SEQUENCE).children()
        hash_oid = vid[0].expect(der.SEQUENCE).children()[0].as_oid()
        digest = vid[1].expect(der.CONTEXT_0).children()[0].expect(der.OCTET_STRING).value
        if hash_oid not in VID_HASHES:
            raise IdentityCheckUnavailable("The certificate's VID uses an unknown hash.")
        return VirtualId(real_name, VID_HASHES[hash_oid], digest)
    return None


def compute_vid(hash_name: str, identity_digits: str, random_num: bytes) -> bytes:
    content = der.encode_tlv(
        der.SEQUENCE,
        der.encode_tlv(der.PRINTABLE_STRING, identity_digits.encode("ascii"))
        + der.encode_tlv(der.BIT_STRING, b"\x00" + random_num),
    )
    return hashlib.new(hash_name, hashlib.new(hash_name, content).digest()).digest()


def verify_identity(cert_der: bytes, random_num: bytes | None, identity_number: str) -> None:
    """Return when the identity number matches the certificate's VID (constant-time compare).

    Raises IdentityMismatch when it does not, NoIdentityData / MissingRandom (both
    IdentityCheckUnavailable) and InvalidIdentityNumber.
    """
    digits = normalize_identity_number(identity_number)
    vid = read_virtual_id(cert_der)
    if random_num is None:
        raise MissingRandom()
    computed = compute_vid(vid.hash_name, digits, random_num)
    if not hmac.compare_digest(computed, vid.virtual_id):
        raise IdentityMismatch()
