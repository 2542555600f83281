"""Property tests: mutated valid files only ever raise CertificateError subclasses.

Bit flips, truncations, splices and random bytes go through classify, assemble,
inspect_certificate and unlock; anything else escaping would crash a conversation.
"""

from __future__ import annotations

import pytest
from certs_support import make_cert
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.certs import (
    CertificateBundle,
    CertificateError,
    assemble,
    classify,
    inspect_certificate,
    unlock,
)

GEN = make_cert(key_index=0, password="prop-pw1")
PFX = make_cert(fmt="pfx", key_index=1, password="prop-pw1")
SAMPLES = {
    "cert": GEN.cert_der,
    "key": GEN.key_blob,
    "zip": GEN.zip_bytes,
    "pfx": PFX.pfx,
    "aes": make_cert(fmt="pbes2-aes", key_index=0, password="prop-pw1").key_blob,
}
PROFILE = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@st.composite
def mutated(draw: st.DrawFn, source: bytes) -> bytes:
    data = bytearray(source)
    kind = draw(st.sampled_from(["flip", "truncate", "overwrite", "insert", "random"]))
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, len(data) - 1))
            data[at] ^= 1 << draw(st.integers(0, 7))
    elif kind == "truncate":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif kind == "overwrite":
        at = draw(st.integers(0, len(data) - 1))
        chunk = draw(st.binary(min_size=1, max_size=16))
        data[at : at + len(chunk)] = chunk
    elif kind == "insert":
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.binary(min_size=1, max_size=16))
    else:
        data = bytearray(draw(st.binary(min_size=0, max_size=len(source))))
    return bytes(data)


def _run(name: str, data: bytes, password: str) -> None:
    try:
        upload = classify(name, data)
        files = [upload]
        if name == "signPri.key":
            files.insert(0, classify("signCert.der", GEN.cert_der))
        if name == "signCert.der":
            files.append(classify("signPri.key", GEN.key_blob))
        for bundle in assemble(files).bundles:
            unlock(bundle, password)
    except CertificateError:
        pass


@pytest.mark.parametrize(
    ("sample", "name"),
    [
        ("cert", "signCert.der"),
        ("key", "signPri.key"),
        ("zip", "x.zip"),
        ("pfx", "x.pfx"),
        ("aes", "signPri.key"),
    ],
)
def test_mutations_raise_only_certificate_errors(sample: str, name: str) -> None:
    @PROFILE
    @given(data=mutated(SAMPLES[sample]), right_password=st.booleans())
    def check(data: bytes, right_password: bool) -> None:
        _run(name, data, "prop-pw1" if right_password else "wrong-pw")

    check()


@PROFILE
@given(data=mutated(GEN.cert_der))
def test_inspect_mutated_certificates(data: bytes) -> None:
    try:
        inspect_certificate(data)
    except CertificateError:
        pass


@PROFILE
@given(key=mutated(GEN.key_blob), cert=mutated(GEN.cert_der))
def test_unlock_on_hand_built_bundles(key: bytes, cert: bytes) -> None:
    """unlock must hold up even when a caller builds a bundle without classify."""
    bundle = CertificateBundle(cert, key, None, GEN.info, "seed-sha1", "x")
    try:
        unlock(bundle, "prop-pw1")
    except CertificateError:
        pass


@PROFILE
@given(pfx=mutated(PFX.pfx))
def test_unlock_mutated_pfx_bundles(pfx: bytes) -> None:
    bundle = CertificateBundle(PFX.cert_der, None, pfx, PFX.info, "pfx", "x")
    try:
        unlock(bundle, "prop-pw1")
    except CertificateError:
        pass
