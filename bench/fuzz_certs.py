"""Fuzz the certificate core with mutated valid files; exit 1 on any non-CertificateError.

Every input goes through classify → assemble → inspect → check_registrable → unlock (right and
wrong password). The corpus also holds PFX files with hostile iteration counts (MAC, key bag,
2³¹−1) and certificates with hostile names (bidi overrides, zero-width, newlines, a long CN).
Prints "unexpected exceptions: N" and the slowest single input (targets: 0 and < 1 s).
Run: .venv/bin/python bench/fuzz_certs.py --count 10000 --seed 1
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datetime import UTC, datetime

from bot.certs import CertificateError, assemble, check_registrable, classify, display_name, unlock
from bot.certs.testgen import build_pfx, fake_trust_store, generate_test_certificate

HUGE = 2**31 - 1
HOSTILE_NAMES = (
    "홍\u202e길동",
    "\u200b\u200dAdmin\ufeff",
    "line1\nline2\r\n\x1b[31m",
    "\u2066evil\u2069 (0)",
    "가" * 8 + "\u00ad" * 2,
)


def mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    op = rng.choice(
        ["flip", "flips", "truncate", "overwrite", "insert", "delete", "random", "length"]
    )
    if op == "flip" and buf:
        buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    elif op == "flips" and buf:
        for _ in range(rng.randint(2, 32)):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    elif op == "truncate":
        buf = buf[: rng.randrange(len(buf) + 1)]
    elif op == "overwrite" and buf:
        at = rng.randrange(len(buf))
        buf[at : at + 8] = rng.randbytes(rng.randint(1, 8))
    elif op == "insert":
        at = rng.randrange(len(buf) + 1)
        buf[at:at] = rng.randbytes(rng.randint(1, 32))
    elif op == "delete" and buf:
        at = rng.randrange(len(buf))
        del buf[at : at + rng.randint(1, 32)]
    elif op == "length" and len(buf) > 4:
        # aim at DER length bytes: small positions hold the outer headers
        at = rng.randrange(min(len(buf), 64))
        buf[at] = rng.choice([0x00, 0x7F, 0x80, 0x81, 0x82, 0x84, 0x85, 0xFF])
    else:
        buf = bytearray(rng.randbytes(rng.randint(0, max(1, len(data)))))
    return bytes(buf)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    password = "fuzz-Pw1!"
    gens = [
        generate_test_certificate(fmt=fmt, key_size=1024, password=password)
        for fmt in ("seed-sha1", "seed-cbc", "pbes2-seed", "pbes2-aes", "pfx")
    ]
    base = gens[0]
    corpus: list[tuple[str, bytes]] = []
    hostile = [
        generate_test_certificate(key_size=1024, password=password, name=name)
        for name in HOSTILE_NAMES
    ]
    for gen in hostile:
        corpus += [("signCert.der", gen.cert_der), ("x.zip", gen.zip_bytes)]
    for counts in (
        {"mac_iterations": HUGE},
        {"iterations": HUGE, "mac_iterations": 2048},
        {"mac_iterations": 100_001},
    ):
        corpus.append(
            ("x.pfx", build_pfx(base.cert_der, base.private_key_pkcs8_der, password, **counts))
        )
    # a signPri.key whose PBES2 parameters are empty (a plain ValueError once)
    pbes2 = bytes.fromhex("06092a864886f70d01050d3000")
    alg = bytes([0x30, len(pbes2)]) + pbes2
    body = alg + bytes([0x04, 16]) + bytes(16)
    corpus.append(("signPri.key", bytes([0x30, len(body)]) + body))
    trust = fake_trust_store()
    now = datetime.now(UTC)
    for gen in gens:
        corpus += [
            ("signCert.der", gen.cert_der),
            ("signPri.key", gen.key_blob),
            ("x.zip", gen.zip_bytes),
        ]
        if gen.pfx:
            corpus.append(("x.pfx", gen.pfx))

    outcomes: collections.Counter[str] = collections.Counter()
    unexpected: list[str] = []
    start = time.perf_counter()
    slowest = (0.0, "")
    for index in range(args.count):
        name, original = rng.choice(corpus)
        # a tenth of the inputs go in unmutated, so the hostile files are tried as they are
        data = original if rng.random() < 0.1 else mutate(rng, original)
        began = time.perf_counter()
        try:
            files = [classify(name, data)]
            if name == "signPri.key":
                files.insert(0, classify("signCert.der", base.cert_der))
            elif name == "signCert.der":
                files.append(classify("signPri.key", base.key_blob))
            bundles = assemble(files).bundles
            outcomes["assembled"] += 1
            for bundle in bundles:
                display_name(bundle.info.owner_name)
                try:
                    check_registrable(bundle.info, now=now, trust=trust, allow_unknown_issuers=True)
                    outcomes["registrable"] += 1
                except CertificateError as exc:
                    outcomes[f"policy:{exc.code}"] += 1
                for attempt in (password, "wrong-password"):
                    try:
                        unlock(bundle, attempt)
                        outcomes["unlocked"] += 1
                    except CertificateError as exc:
                        outcomes[f"unlock:{exc.code}"] += 1
        except CertificateError as exc:
            outcomes[exc.code] += 1
        except Exception:  # the point of the exercise: count and show anything untyped
            outcomes["UNEXPECTED"] += 1
            if len(unexpected) < 5:
                unexpected.append(f"#{index} {name}: {traceback.format_exc()}")
        took = time.perf_counter() - began
        if took > slowest[0]:
            slowest = (took, f"#{index} {name} ({len(data)} bytes)")
    elapsed = time.perf_counter() - start

    print(f"inputs: {args.count}  seed: {args.seed}  time: {elapsed:.1f} s")
    for outcome, count in sorted(outcomes.items(), key=lambda item: -item[1]):
        print(f"  {outcome:<32} {count:>7}")
    print(f"unexpected exceptions: {outcomes['UNEXPECTED']}")
    print(f"slowest single input: {slowest[0] * 1000:.1f} ms  {slowest[1]}")
    for report in unexpected:
        print(report)
    return 1 if outcomes["UNEXPECTED"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
