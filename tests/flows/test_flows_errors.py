"""The certificate core's errors as the user reads them: every code is one class, and every
code the register flow can meet maps to its own catalog text (not the generic apology)."""

from __future__ import annotations

import gc

import pytest

from bot import certs as core
from bot.flows import register
from bot.texts import Catalog


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


def test_each_error_class_has_its_own_code() -> None:
    classes = [core.CertificateError, *_all_subclasses(core.CertificateError)]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)), sorted(codes)
    assert set(core.ERROR_CODES) == set(codes)
    assert all(core.ERROR_CODES[c.code] is c for c in classes)


# What the user reads for each upload error (the expectation, written out, not copied).
EXPECTED = {
    "not_a_certificate": "errors.not_a_certificate",
    "unsupported_format": "errors.unsupported_format",
    "iteration_limit": "errors.unsupported_format",
    "unsupported_key_size": "errors.unsupported_format",
    "pfx_certificate_encrypted": "errors.unsupported_format",
    "not_rsa": "errors.not_rsa",
    "file_too_large": "errors.file_too_large",
    "archive_rejected": "errors.archive_rejected",
    "key_mismatch": "errors.key_mismatch",
    "wrong_password": "register.wrong_password",
    "identity_mismatch": "register.identity_failed",
    "key_operation_timeout": "register.key_timeout",
    "expired": "register.expired",
    "not_yet_valid": "register.not_yet_valid",
    "financial_certificate": "register.financial_certificate",
    "unknown_issuer": "register.unknown_issuer",
    "untrusted_chain": "register.untrusted_chain",
}


@pytest.mark.parametrize(("code", "key"), sorted(EXPECTED.items()))
def test_upload_errors_have_their_own_text(code: str, key: str) -> None:
    assert code in core.ERROR_CODES
    assert register.message_key(core.ERROR_CODES[code]()) == key
    texts = Catalog().texts
    assert key in texts["ko"] and key in texts["en"]


def test_a_new_error_class_inherits_its_parents_message() -> None:
    class RevokedCertificate(core.NotRegistrable):
        code = "revoked_test_only"

    class TinyIterations(core.IterationLimitExceeded):
        code = "tiny_test_only"

    assert register.message_key(RevokedCertificate()) == "register.not_registrable"
    assert register.message_key(TinyIterations()) == "errors.unsupported_format"
    assert register.message_key(core.CertificateError()) == "errors.generic"
    del RevokedCertificate, TinyIterations
    gc.collect()  # so the test-only classes leave CertificateError.__subclasses__()
