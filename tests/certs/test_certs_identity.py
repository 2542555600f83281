"""Identity check (VID): SHA-1 and SHA-256, resident and business numbers, unavailable cases."""

from __future__ import annotations

import base64

import pytest
from certs_support import make_cert

from bot.certs import (
    IdentityCheckUnavailable,
    IdentityMismatch,
    InvalidIdentityNumber,
    MissingRandom,
    NoIdentityData,
    assemble,
    classify,
    unlock,
    verify_identity,
)
from bot.certs.identity import read_virtual_id


def matches(cert_der: bytes, random_num: bytes | None, number: str) -> bool:
    """verify_identity raises IdentityMismatch on a wrong number; returns None when right."""
    try:
        verify_identity(cert_der, random_num, number)
    except IdentityMismatch:
        return False
    return True


@pytest.mark.parametrize("vid_hash", ["sha1", "sha256"])
def test_vid_true_and_false(vid_hash: str) -> None:
    gen = make_cert(vid_hash=vid_hash, identity_number="900101-2345678")
    vid = read_virtual_id(gen.cert_der)
    assert vid.hash_name == vid_hash and len(vid.virtual_id) == (20 if vid_hash == "sha1" else 32)
    assert vid.real_name == "홍길동"
    assert matches(gen.cert_der, gen.random_num, "9001012345678")
    assert matches(gen.cert_der, gen.random_num, "900101-2345678")
    assert matches(gen.cert_der, gen.random_num, " 900101 2345678 ")
    assert not matches(gen.cert_der, gen.random_num, "9001012345679")
    assert not matches(gen.cert_der, bytes(20), "9001012345678")


def test_business_number_for_corporate() -> None:
    gen = make_cert(corporate=True)
    assert gen.identity_number == "1208800767"
    assert matches(gen.cert_der, gen.random_num, "120-88-00767")
    assert not matches(gen.cert_der, gen.random_num, "1208800768")


def test_vid_with_r_from_unlocked_pfx() -> None:
    gen = make_cert(fmt="pfx", key_index=1)
    (bundle,) = assemble([classify("x.pfx", gen.pfx)]).bundles
    unlocked = unlock(bundle, gen.password)
    assert matches(gen.cert_der, unlocked.random_num, gen.identity_number)


def test_no_vid_in_certificate() -> None:
    gen = make_cert(identity_number=None)
    assert not gen.info.has_identity_data
    with pytest.raises(NoIdentityData) as info:
        verify_identity(gen.cert_der, gen.random_num, "8001011234567")
    assert isinstance(info.value, IdentityCheckUnavailable)
    assert info.value.code == "no_identity_data"


def test_no_random_in_key() -> None:
    gen = make_cert()
    with pytest.raises(MissingRandom) as info:
        verify_identity(gen.cert_der, None, "8001011234567")
    assert isinstance(info.value, IdentityCheckUnavailable)
    assert info.value.code == "missing_random"


@pytest.mark.parametrize(
    "bad", ["", "12345", "800101123456a", "80010112345678", "８００１０１１２３４５６７"]
)
def test_invalid_identity_numbers(bad: str) -> None:
    gen = make_cert()
    with pytest.raises(InvalidIdentityNumber) as info:
        verify_identity(gen.cert_der, gen.random_num, bad)
    assert bad not in str(info.value) or not bad


def test_real_test_vector_vid_structure() -> None:
    """pypinksign's public CA test certificate carries a SHA-256 VID for 'HKD' (docs/certificates.md)."""
    from pypinksign.test_pinkSign import TEST_CERT

    vid = read_virtual_id(base64.b64decode(TEST_CERT["signCert"]))
    assert (vid.real_name, vid.hash_name, len(vid.virtual_id)) == ("HKD", "sha256", 32)
    assert not matches(base64.b64decode(TEST_CERT["signCert"]), TEST_CERT["r"], "8001011234567")
