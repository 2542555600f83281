"""Session fixtures for the certificate-core tests (generated certificates, cached keys)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from certs_support import make_cert

from bot.certs.testgen import GeneratedCertificate


@pytest.fixture(scope="session")
def gen_factory() -> Callable[..., GeneratedCertificate]:
    return make_cert


@pytest.fixture(scope="session")
def seed_cert() -> GeneratedCertificate:
    return make_cert()


@pytest.fixture(scope="session")
def pfx_cert() -> GeneratedCertificate:
    return make_cert(fmt="pfx", key_index=1)
