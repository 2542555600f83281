"""Helpers shared by the certificate-core tests: generated certificates with cached RSA keys.

Key generation dominates test time, so a few keys are made once per session and reused.
Imported as a plain module (not via conftest) so every test sees the same key cache.
"""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives.asymmetric import rsa

from bot.certs.testgen import GeneratedCertificate, generate_test_certificate


@functools.cache
def _key(size: int, index: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=size)


def cached_key(size: int = 1024, index: int = 0) -> rsa.RSAPrivateKey:
    """The same key for the same (size, index) throughout the session."""
    return _key(size, index)


def make_cert(
    *, key_size: int = 1024, key_index: int = 0, **kwargs: object
) -> GeneratedCertificate:
    return generate_test_certificate(
        private_key=cached_key(key_size, key_index),
        key_size=key_size,
        **kwargs,  # type: ignore[arg-type]
    )
