"""Benchmark of the certificate core: unlock+verify and inspect (prints a table, asserts nothing).

Targets from the issue: unlock + verify a 2048-bit seedCBCWithSHA1 key (2048 iterations) with a
median ≤ 5 ms; inspect a certificate with a median ≤ 1 ms. Run: .venv/bin/python bench/certs.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datetime import UTC, datetime

from bot.certs import (
    assemble,
    check_registrable,
    classify,
    inspect_certificate,
    unlock,
    verify_identity,
)
from bot.certs.pfx import check_pfx_iterations
from bot.certs.testgen import fake_trust_store, generate_test_certificate


def _measure(func: Callable[[], object], runs: int) -> tuple[float, float]:
    for _ in range(min(10, runs)):
        func()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()

    gen = generate_test_certificate(fmt="seed-sha1", key_size=2048)
    (bundle,) = assemble(
        [classify("signCert.der", gen.cert_der), classify("signPri.key", gen.key_blob)]
    ).bundles
    pfx_gen = generate_test_certificate(fmt="pfx", key_size=2048)
    (pfx_bundle,) = assemble([classify("x.pfx", pfx_gen.pfx or b"")]).bundles
    aes_gen = generate_test_certificate(fmt="pbes2-aes", key_size=2048)
    (aes_bundle,) = assemble(
        [classify("signCert.der", aes_gen.cert_der), classify("signPri.key", aes_gen.key_blob)]
    ).bundles

    def unlock_and_verify() -> None:
        key = unlock(bundle, gen.password)
        verify_identity(gen.cert_der, key.random_num, gen.identity_number or "")  # raises if not

    trust = fake_trust_store()
    now = datetime.now(UTC)

    rows = [
        ("unlock+verify seed-sha1 RSA-2048, 2048 it.", "5.0", *_measure(unlock_and_verify, args.runs)),
        ("inspect_certificate (RSA-2048)", "1.0", *_measure(lambda: inspect_certificate(gen.cert_der), args.runs)),
        ("classify+assemble signCert+signPri", "-", *_measure(
            lambda: assemble([classify("c", gen.cert_der), classify("k", gen.key_blob)]), args.runs
        )),
        ("unlock pbes2-aes (PBKDF2-SHA256)", "-", *_measure(lambda: unlock(aes_bundle, aes_gen.password), args.runs)),
        ("unlock pfx (MAC + 3DES bag + R)", "-", *_measure(lambda: unlock(pfx_bundle, pfx_gen.password), max(20, args.runs // 5))),
        ("check_registrable (chain leaf→int.→root)", "-", *_measure(lambda: check_registrable(gen.info, now=now, trust=trust, allow_unknown_issuers=False), args.runs)),
        ("check_pfx_iterations", "-", *_measure(lambda: check_pfx_iterations(pfx_gen.pfx or b""), args.runs)),
    ]  # fmt: skip
    print(f"{'operation':<46} {'target ms':>9} {'median ms':>10} {'p99 ms':>8}")
    print("-" * 76)
    for name, target, median, p99 in rows:
        print(f"{name:<46} {target:>9} {median:>10.3f} {p99:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
