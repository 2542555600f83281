"""Certificate facts: CA and usage per issuer, validity flags, 금융인증서, unknown issuers, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from certs_support import make_cert
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.certs import NotACertificate, NotRSA, inspect_certificate

EXPECTED = {
    # (ca, corporate): (ca_name_ko, holder, usage, purpose_ko)
    ("yessign", False): ("금융결제원", "personal", "restricted", "은행·신용카드·보험용"),
    ("yessign", True): ("금융결제원", "corporate", "general", None),
    ("KICA", False): ("한국정보인증", "personal", "restricted", "은행·보험용"),
    ("KICA", True): ("한국정보인증", "corporate", "general", None),
    ("SignKorea", False): ("코스콤", "personal", "general", None),
    ("SignKorea", True): ("코스콤", "corporate", "general", None),
    ("CrossCert", False): ("한국전자인증", "personal", "restricted", "은행·보험용"),
    ("CrossCert", True): ("한국전자인증", "corporate", "general", None),
    ("TradeSign", False): ("한국무역정보통신", "personal", "restricted", "은행·보험용"),
    ("TradeSign", True): ("한국무역정보통신", "corporate", "general", None),
}


@pytest.mark.parametrize(("ca", "corporate"), sorted(EXPECTED))
def test_ca_and_usage_per_issuer(ca: str, corporate: bool) -> None:
    gen = make_cert(ca=ca, corporate=corporate, name="김철수")
    info = inspect_certificate(gen.cert_der)
    name_ko, holder, usage, purpose = EXPECTED[(ca, corporate)]
    assert (info.ca, info.ca_name_ko, info.holder_type, info.usage) == (ca, name_ko, holder, usage)
    assert info.usage_purpose_ko == purpose
    assert info.known_issuer
    assert info.owner_name == "김철수"
    assert f"O={ca}" in info.issuer_dn
    assert not info.expired and not info.not_yet_valid and not info.is_financial_certificate
    assert info.key_size == 1024
    assert info.has_identity_data


def test_general_yessign_personal_policy() -> None:
    info = make_cert(policy_oid="1.2.410.200005.1.1.1").info
    assert (info.usage, info.usage_ko, info.holder_type) == ("general", "범용", "personal")


def test_expired_and_not_yet_valid_flags() -> None:
    expired = inspect_certificate(make_cert(expired=True).cert_der)
    assert (
        expired.expired and not expired.not_yet_valid and expired.days_left(datetime.now(UTC)) < 0
    )
    future = inspect_certificate(make_cert(not_yet_valid=True).cert_der)
    assert future.not_yet_valid and not future.expired and future.days_left(datetime.now(UTC)) > 365


def test_validity_is_kst_midnight_and_days_left_follows_now() -> None:
    gen = make_cert()
    info = gen.info
    assert info.not_after.tzinfo is not None
    assert (info.not_after.hour, info.not_after.minute, info.not_after.second) == (14, 59, 59)
    later = inspect_certificate(gen.cert_der, now=info.not_after - timedelta(days=10, hours=1))
    assert later.days_left(info.not_after - timedelta(days=10, hours=1)) == 10 and not later.expired
    after = inspect_certificate(gen.cert_der, now=info.not_after + timedelta(seconds=1))
    assert after.expired and after.days_left(info.not_after + timedelta(seconds=1)) == -1
    naive = inspect_certificate(gen.cert_der, now=datetime(2000, 1, 1))
    assert naive.not_yet_valid


def test_financial_certificate_flag() -> None:
    info = make_cert(policy_oid="1.2.410.200005.1.1.1.10").info
    assert info.is_financial_certificate
    assert info.usage_purpose_ko == "금융인증서"


def test_unknown_issuer() -> None:
    info = make_cert(ca="other").info
    assert info.ca == "other" and not info.known_issuer
    assert "O=Unknown CA" in info.issuer_dn
    assert info.policy_oid == "1.3.6.1.4.1.99999.1.1"
    assert info.usage == "restricted" and info.usage_purpose_ko is None


def test_fingerprint_serial_and_json() -> None:
    gen = make_cert()
    cert = x509.load_der_x509_certificate(gen.cert_der)
    info = gen.info
    assert info.fingerprint_sha256 == cert.fingerprint(hashes.SHA256()).hex()
    assert int(info.serial_hex, 16) == cert.serial_number
    data = info.to_json_dict()
    assert data["not_after"].endswith("+00:00")
    assert data["ca"] == "yessign" and data["owner_name"] == "홍길동"


def test_owner_name_rules() -> None:
    from bot.certs.inspect import owner_name_from_cn as display_name

    assert display_name("홍길동()0088041202002251910000") == "홍길동"
    assert display_name("HKD(KILDONG.HONG)009104120200225191000030") == "HKD"
    assert display_name("홍길동_0001234567") == "홍길동"
    assert display_name("주식회사 테스트(01Rep)0004058C002371249") == "주식회사 테스트"
    assert display_name("12345") == "12345"


def test_non_rsa_certificate_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(NotRSA) as info:
        inspect_certificate(cert.public_bytes(serialization.Encoding.DER))
    assert info.value.code == "not_rsa"


@pytest.mark.parametrize(
    "data", [b"", b"\x30", b"hello world", bytes(1500), b"\x30\x82\x05\xb4" + bytes(100)]
)
def test_garbage_is_not_a_certificate(data: bytes) -> None:
    with pytest.raises(NotACertificate):
        inspect_certificate(data)


def test_truncated_certificate() -> None:
    der = make_cert().cert_der
    for cut in (1, 10, len(der) // 2, len(der) - 1):
        with pytest.raises(NotACertificate):
            inspect_certificate(der[:cut])
