"""Registration speed: complete registrations (two uploads, password, confirm) through the emulator.

1) One user at a time, R rounds: the bot-side time of a whole registration (sum of its four
   steps, each from the user's action until the bot's reply for that step arrived).
2) N users registering at once: every registration must succeed; p50/p99 per step.
The bot runs in its own process (`kcert-bot run`). Usage: python bench/flows.py [--users N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric import rsa

from bench._harness import median, percentile, start_kcert_bot, stop, table, wait_polling
from bot.certs.testgen import GeneratedCertificate, generate_test_certificate
from bot.emulator import BotApiEmulator, ScriptedUser

STEPS = ("upload signCert.der", "upload signPri.key", "password", "confirm [등록]")


async def timed(
    user: ScriptedUser, action: Callable[[], object], done: Callable[[], bool]
) -> float:
    started = time.perf_counter()
    await action()  # type: ignore[misc]
    await user.wait_until(done, timeout=60)
    return time.perf_counter() - started


def has(user: ScriptedUser, needle: str, after: int) -> Callable[[], bool]:
    return lambda: (
        user.message_count > after and any(needle in m.plain for m in user.messages_since(after))
    )


async def register(user: ScriptedUser, gen: GeneratedCertificate) -> list[float]:
    await user.send_text("/register")
    await user.wait_until(has(user, "타행 공동인증서 등록", 0), timeout=60)
    times = []
    n = user.message_count
    times.append(
        await timed(
            user,
            lambda: user.send_document(gen.cert_der, "signCert.der"),
            has(user, "signPri.key", n),
        )
    )
    n = user.message_count
    times.append(
        await timed(
            user,
            lambda: user.send_document(gen.key_blob, "signPri.key"),
            has(user, "비밀번호를 입력", n),
        )
    )
    n = user.message_count
    times.append(
        await timed(user, lambda: user.send_text(gen.password), has(user, "등록할까요", n))
    )
    n = user.message_count
    confirm = user.messages[-1]
    data = confirm.flat_buttons[0].callback_data
    assert data is not None
    times.append(
        await timed(
            user,
            lambda: user.press_data(data, message_id=confirm.message_id),
            has(user, "등록 완료", n),
        )
    )
    return times


def step_rows(runs: list[list[float]]) -> list[tuple[str, str, str]]:
    """Median and p99 of each step over the runs, in ms."""
    return [
        (
            name,
            f"{median([r[s] * 1000 for r in runs]):.1f}",
            f"{percentile([r[s] * 1000 for r in runs], 99):.1f}",
        )
        for s, name in enumerate(STEPS)
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    print(
        f"generating {args.users + args.rounds} certificates (2048-bit, seedCBCWithSHA1)…",
        flush=True,
    )
    certs = [
        generate_test_certificate(name=f"사용자{i}", password="Bench-pw!2026", private_key=key)
        for i in range(args.users + args.rounds)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        async with BotApiEmulator() as emulator:
            child = start_kcert_bot(emulator, Path(tmp) / "flows.sqlite3")
            try:
                await wait_polling(emulator, child, 0)
                sequential = []
                for i in range(args.rounds):
                    sequential.append(await register(emulator.user(10_000 + i), certs[i]))
                users = [emulator.user(20_000 + i) for i in range(args.users)]
                started = time.perf_counter()
                results = await asyncio.gather(
                    *(register(u, certs[args.rounds + i]) for i, u in enumerate(users)),
                    return_exceptions=True,
                )
                wall = time.perf_counter() - started
            finally:
                await stop(child)
    ok = [r for r in results if isinstance(r, list)]
    totals = [sum(r) * 1000 for r in sequential]
    print(f"\n1) one registration at a time, {args.rounds} rounds (ms)")
    rows = step_rows(sequential)
    rows.append(("whole registration", f"{median(totals):.1f}", f"{percentile(totals, 99):.1f}"))
    print(table(rows, ("step", "median", "p99")))
    print(
        f"\n2) {args.users} users registering at once: {len(ok)}/{args.users} succeeded in {wall:.2f} s (ms)"
    )
    print(table(step_rows(ok), ("step", "p50", "p99")))
    me, child_usage = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    print(
        f"\nCPU seconds: bot process {child_usage.ru_utime + child_usage.ru_stime:.1f}, "
        f"emulator + simulated users {me.ru_utime + me.ru_stime:.1f}"
    )
    failures = [r for r in results if not isinstance(r, list)]
    if failures:
        print(f"failures: {failures[:3]}")


if __name__ == "__main__":
    asyncio.run(main())
