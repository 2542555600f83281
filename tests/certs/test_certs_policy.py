"""Registration policy and chain verification: typed refusals, a forgery is never a CA's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from certs_support import cached_key, make_cert
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from bot.certs import (
    ERROR_CODES,
    ExpiredCertificate,
    FinancialCertificate,
    NotRegistrable,
    NotYetValid,
    TrustStore,
    UnknownIssuer,
    UntrustedChain,
    check_registrable,
    inspect_certificate,
)
from bot.certs.errors import ALL_ERROR_CLASSES
from bot.certs.testgen import (
    _issuer_name,
    fake_ca_bundle_path,
    fake_ca_certificate,
    fake_ca_key,
    fake_trust_store,
)
from bot.certs.trust import REAL_ANCHORS_PATH

NOW = datetime.now(UTC)
TRUST = fake_trust_store()


def check(info: object, *, trust: TrustStore | None = TRUST, allow: bool = False) -> str:
    return check_registrable(info, now=NOW, trust=trust, allow_unknown_issuers=allow).status  # type: ignore[arg-type]


def test_every_error_code_is_unique_across_classes() -> None:
    codes = [cls.code for cls in ALL_ERROR_CLASSES]
    duplicates = {code for code in codes if codes.count(code) > 1}
    assert not duplicates
    assert set(ERROR_CODES.values()) == set(ALL_ERROR_CLASSES)
    for cls in (
        ExpiredCertificate,
        NotYetValid,
        FinancialCertificate,
        UnknownIssuer,
        UntrustedChain,
    ):
        assert issubclass(cls, NotRegistrable)


@pytest.mark.parametrize("ca", ["yessign", "KICA", "SignKorea", "CrossCert", "TradeSign"])
def test_genuine_test_chain_verifies(ca: str) -> None:
    info = make_cert(ca=ca).info
    result = check_registrable(info, now=NOW, trust=TRUST, allow_unknown_issuers=False)
    assert result.verified and len(result.chain) == 2
    assert "kcert TEST Root CA" in result.chain[-1]


def test_policy_refusals_in_order() -> None:
    with pytest.raises(ExpiredCertificate):
        check(make_cert(expired=True).info)
    with pytest.raises(NotYetValid):
        check(make_cert(not_yet_valid=True).info)
    with pytest.raises(FinancialCertificate):
        check(make_cert(policy_oid="1.2.410.200005.1.1.1.10").info)


def test_unknown_issuer_refused_unless_allowed_then_unverified() -> None:
    info = make_cert(ca="other").info
    with pytest.raises(UnknownIssuer):
        check(info)
    assert check(info, allow=True) == "unverified"
    with pytest.raises(UnknownIssuer):
        check(make_cert().info, trust=None)


def _forge(*, issuer_name: x509.Name, serial: int, key: rsa.RSAPrivateKey) -> object:
    return make_cert(issuer_name=issuer_name, issuer_key=key, serial=serial).info


def test_self_signed_forgery_copying_issuer_dn_and_serial_is_untrusted() -> None:
    victim = make_cert(ca="yessign")
    victim_cert = x509.load_der_x509_certificate(victim.cert_der)
    forged = _forge(
        issuer_name=victim_cert.issuer, serial=victim_cert.serial_number, key=cached_key(1024, 5)
    )
    assert forged.issuer_dn == victim.info.issuer_dn and forged.serial_hex == victim.info.serial_hex  # type: ignore[attr-defined]
    assert forged.ca == "yessign"  # type: ignore[attr-defined]  # the name alone still says yessign
    with pytest.raises(UntrustedChain):
        check(forged)
    with pytest.raises(UntrustedChain):  # allowing unknown issuers does not let a forgery in
        check(forged, allow=True)


def test_wrong_case_issuer_name_is_not_the_ca() -> None:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "YESSIGN"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "AccreditedCA"),
            x509.NameAttribute(NameOID.COMMON_NAME, "YESSIGNCA CLASS 4 KCERT TEST"),
        ]
    )
    forged = _forge(issuer_name=name, serial=7, key=cached_key(1024, 5))
    with pytest.raises((UnknownIssuer, UntrustedChain)):
        check(forged)


def test_leaf_signed_by_a_different_key_is_untrusted() -> None:
    forged = _forge(issuer_name=_issuer_name("KICA"), serial=9, key=fake_ca_key("yessign"))
    with pytest.raises(UntrustedChain):
        check(forged)


def _intermediate(
    *, ca_flag: bool = True, expired: bool = False
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = cached_key(1024, 6)
    root = fake_ca_certificate("root")
    start = NOW - timedelta(days=800) if expired else NOW - timedelta(days=100)
    end = NOW - timedelta(days=1) if expired else NOW + timedelta(days=1000)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "yessign"),
            x509.NameAttribute(NameOID.COMMON_NAME, "broken intermediate kcert TEST"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(99)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca_flag, path_length=None), critical=True)
    )
    return builder.sign(fake_ca_key("root"), hashes.SHA256()), key


@pytest.mark.parametrize("broken", ["expired", "no_ca_flag"])
def test_broken_intermediate_is_untrusted(broken: str) -> None:
    intermediate, key = _intermediate(ca_flag=broken != "no_ca_flag", expired=broken == "expired")
    store = TrustStore([*TRUST.certificates, intermediate])
    leaf = make_cert(issuer_name=intermediate.subject, issuer_key=key).info
    with pytest.raises(UntrustedChain):
        check(leaf, trust=store)
    good, good_key = _intermediate()
    fine = make_cert(issuer_name=good.subject, issuer_key=good_key).info
    assert check(fine, trust=TrustStore([*TRUST.certificates, good])) == "verified"


def test_days_left_is_kst_calendar_days_and_time_comes_from_now() -> None:
    info = make_cert(expires_in_days=5).info
    assert info.days_left(NOW) == 5
    assert info.days_left(info.not_after) == 0  # the last day (23:59:59 KST)
    assert info.days_left(info.not_after + timedelta(seconds=1)) == -1
    assert not info.is_expired(info.not_after) and info.is_expired(
        info.not_after + timedelta(seconds=1)
    )
    with pytest.raises(ExpiredCertificate):
        check_registrable(
            info,
            now=info.not_after + timedelta(seconds=1),
            trust=TRUST,
            allow_unknown_issuers=True,
        )


def test_public_key_hash_survives_a_flipped_signature_byte() -> None:
    gen = make_cert()
    data = bytearray(gen.cert_der)
    data[-5] ^= 0x01  # inside the signature value
    tampered = inspect_certificate(bytes(data))
    assert tampered.fingerprint_sha256 != gen.info.fingerprint_sha256
    assert tampered.public_key_sha256 == gen.info.public_key_sha256
    assert make_cert(key_index=3).info.public_key_sha256 != gen.info.public_key_sha256
    with pytest.raises(UntrustedChain):
        check(tampered)


def test_bundles_load() -> None:
    assert TrustStore.load(fake_ca_bundle_path()).certificates == TRUST.certificates
    real = TrustStore.load(REAL_ANCHORS_PATH)
    roots = [c for c in real.certificates if c.subject == c.issuer]
    assert len(real) == 6 and len(roots) == 1
    for cert in real.certificates:
        cert.verify_directly_issued_by(roots[0])
