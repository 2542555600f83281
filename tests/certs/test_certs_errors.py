"""The error hierarchy: stable unique codes, and no secrets in any message."""

from __future__ import annotations

import pytest
from certs_support import make_cert

from bot.certs import (
    ERROR_CODES,
    CertificateError,
    KeyMismatch,
    WrongPassword,
    assemble,
    classify,
    unlock,
)
from bot.certs.errors import IdentityCheckUnavailable, MissingRandom, NoIdentityData


def test_codes_are_unique_and_stable() -> None:
    assert len(ERROR_CODES) == len(set(ERROR_CODES))
    for code in (
        "not_a_certificate", "unsupported_format", "wrong_password", "key_mismatch",
        "file_too_large", "archive_rejected", "missing_random", "no_identity_data", "not_rsa",
    ):  # fmt: skip
        assert code in ERROR_CODES
        assert issubclass(ERROR_CODES[code], CertificateError)
    assert issubclass(NoIdentityData, IdentityCheckUnavailable)
    assert issubclass(MissingRandom, IdentityCheckUnavailable)


def test_messages_and_tracebacks_hold_no_secrets() -> None:
    gen = make_cert(password="Sup3r-Secret!")
    other = make_cert(key_index=8, password="Sup3r-Secret!")
    pair = assemble([classify("c", gen.cert_der), classify("k", gen.key_blob)]).bundles[0]
    wrong = assemble([classify("c", gen.cert_der), classify("k", other.key_blob)]).bundles[0]
    for bundle, password, expected in (
        (pair, "Sup3r-Secret?", WrongPassword),
        (wrong, "Sup3r-Secret!", KeyMismatch),
    ):
        with pytest.raises(expected) as info:
            unlock(bundle, password)
        text = str(info.value) + repr(info.value) + repr(info.value.__cause__)
        assert "Sup3r-Secret" not in text
        assert gen.private_key_pkcs8_der.hex()[200:240] not in text
    unlocked = unlock(pair, "Sup3r-Secret!")
    assert "Sup3r" not in repr(unlocked) and gen.random_num.hex() not in repr(unlocked)
    assert "Sup3r" not in repr(gen)
