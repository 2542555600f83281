"""Hostile input: iteration counts a PFX chooses itself, malformed keys, names with tricks."""

from __future__ import annotations

import asyncio
import time
import unicodedata

import pytest
from certs_support import make_cert
from hypothesis import given
from hypothesis import strategies as st

from bot.certs import (
    CertificateError,
    IterationLimitExceeded,
    KeyOperationTimeout,
    UnsupportedFormat,
    assemble,
    classify,
    clean_text,
    display_name,
    inspect_certificate,
    open_protected_pfx,
    unlock,
)
from bot.certs.keyfile import parse_key_blob
from bot.certs.testgen import build_pfx
from bot.keywork import KeyWorker

HUGE = 2**31 - 1
PASSWORD = "test1234!"


def hostile_pfx(**counts: int) -> bytes:
    gen = make_cert()
    return build_pfx(gen.cert_der, gen.private_key_pkcs8_der, PASSWORD, **counts)


@pytest.mark.parametrize(
    "counts", [{"mac_iterations": HUGE}, {"iterations": HUGE, "mac_iterations": 2048}]
)
def test_hostile_pfx_is_refused_in_milliseconds_on_every_path(counts: dict[str, int]) -> None:
    data = hostile_pfx(**counts)
    bundle = assemble([classify("x.pfx", make_cert(fmt="pfx").pfx or b"")]).bundles[0]
    hostile_bundle = type(bundle)(bundle.cert_der, None, data, bundle.info, "pfx", "x")
    for attempt in (
        lambda: classify("evil.pfx", data),
        lambda: open_protected_pfx(data, PASSWORD),
        lambda: unlock(hostile_bundle, PASSWORD),
    ):
        start = time.perf_counter()
        with pytest.raises(IterationLimitExceeded):
            attempt()
        assert time.perf_counter() - start < 0.5  # milliseconds in practice; never minutes


def test_empty_pbes2_parameters_are_a_typed_error() -> None:
    # EncryptedPrivateKeyInfo { AlgorithmIdentifier { PBES2, SEQUENCE {} }, OCTET STRING(16) }
    blob_alg = bytes.fromhex("06092a864886f70d01050d") + bytes.fromhex("3000")
    alg = bytes([0x30, len(blob_alg)]) + blob_alg
    body = alg + bytes([0x04, 16]) + bytes(16)
    blob = bytes([0x30, len(body)]) + body
    with pytest.raises(UnsupportedFormat):
        parse_key_blob(blob)
    with pytest.raises(CertificateError):
        classify("signPri.key", blob)


def test_keywork_refuses_hostile_pfx_and_matches_in_process() -> None:
    async def scenario() -> None:
        worker = KeyWorker(max_workers=2, timeout=30)
        try:
            gen = make_cert(fmt="pfx")
            (bundle,) = assemble([classify("x.pfx", gen.pfx or b"")]).bundles
            here = unlock(bundle, PASSWORD)
            there = await worker.unlock(bundle, PASSWORD)
            assert there.private_key.private_numbers() == here.private_key.private_numbers()
            assert (there.random_num, there.key_format) == (here.random_num, here.key_format)
            start = time.perf_counter()
            with pytest.raises(IterationLimitExceeded):
                await worker.open_protected_pfx(hostile_pfx(mac_iterations=HUGE), PASSWORD)
            assert time.perf_counter() - start < 5
        finally:
            await worker.close()

    asyncio.run(scenario())


def test_keywork_kills_a_worker_stuck_on_hidden_iterations() -> None:
    # The key bag sits inside an encryptedData: its 2³¹−1 count is invisible before decryption,
    # so only the hard time bound stops it.
    data = hostile_pfx(hidden_key_iterations=HUGE)

    async def scenario() -> None:
        worker = KeyWorker(max_workers=1, timeout=3)
        try:
            with pytest.raises(KeyOperationTimeout):
                await worker.open_protected_pfx(data, PASSWORD)
            assert worker.killed == 1
            gen = make_cert(fmt="pfx")
            (bundle,) = assemble([classify("x.pfx", gen.pfx or b"")]).bundles
            assert (await worker.unlock(bundle, PASSWORD)).key_format == "pfx"  # replaced
        finally:
            await worker.close()

    asyncio.run(scenario())


_TRICKS = "\u202e\u202d\u2066\u2069\u200b\u200d\ufeff\x00\x1b\n\r\t\u2028"


@given(st.text(alphabet=st.characters() | st.sampled_from(list(_TRICKS))), st.integers(1, 80))
def test_display_name_properties(text: str, limit: int) -> None:
    shown = display_name(text, limit)
    assert len(shown) <= limit
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Cs") for c in shown)
    assert "  " not in shown and shown == shown.strip()
    assert clean_text(clean_text(text)) == clean_text(text)
    if len(clean_text(text)) <= limit:
        assert shown == clean_text(text)
    else:
        assert shown.endswith("…")


def test_hostile_names_are_cleaned_in_inspect() -> None:
    gen = make_cert(name="홍\u202e길동\n\u200bEvil  Corp", key_index=2)
    info = inspect_certificate(gen.cert_der)
    assert "\u202e" not in info.subject_dn and "\n" not in info.subject_dn
    assert info.owner_name == "홍길동 Evil Corp"
    assert display_name("a" * 50) == "a" * 39 + "…"
