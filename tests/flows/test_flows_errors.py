"""The certificate core's errors as the user reads them: every code is one class, and every
code the register flow can meet maps to its own catalog text (not the generic apology)."""

from __future__ import annotations

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
}


@pytest.mark.parametrize(("code", "key"), sorted(EXPECTED.items()))
def test_upload_errors_have_their_own_text(code: str, key: str) -> None:
    assert code in core.ERROR_CODES
    assert register._ERROR_KEYS.get(code, "errors.generic") == key
    texts = Catalog().texts
    assert key in texts["ko"] and key in texts["en"]
