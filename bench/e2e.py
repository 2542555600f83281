"""End-to-end load: N users × M messages through the emulator to the real bot process.

Prints updates/s and p50/p99 reply latency for kcert-bot, then the same load against a minimal
PTB echo bot on the same emulator, and the ratio. Usage: python bench/e2e.py [--users N] [--messages M]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import (
    median,
    percentile,
    start_echo_bot,
    start_kcert_bot,
    stop,
    table,
    wait_polling,
)
from bot.emulator import BotApiEmulator

# What customers send most: questions in their own words, the menu, their list.
MESSAGES = [
    "타행 인증서 등록 어떻게 해요?",
    "/start",
    "인증서 파일은 어디에 있어요",
    "비번을 잊어버렸어요 ㅠㅠ",
    "/certs",
    "how do I release my certificate?",
    "인증서 해제하면 어떻게 되나요",
    "/help",
    "만료된 인증서도 등록돼요?",
    "대출 금리 알려주세요",
]
BY_MESSAGE: dict[str, list[float]] = {}  # latency per message kind (--by-message)


async def run_load(
    emulator: BotApiEmulator, first_user: int, users: int, per_user: int
) -> tuple[float, list[float], list[float]]:
    latencies: list[float] = []
    later: list[float] = []  # without each user's first message (the opening burst)

    async def one_user(index: int) -> None:
        user = emulator.user(first_user + index, language_code="ko")
        for n in range(per_user):
            before = user.message_count
            started = time.perf_counter()
            text = MESSAGES[(index + n) % len(MESSAGES)]
            await user.send_text(text)
            await user.next_message(after=before, timeout=30)
            latencies.append(time.perf_counter() - started)
            if n:
                later.append(latencies[-1])
            BY_MESSAGE.setdefault(text, []).append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one_user(i) for i in range(users)))
    await emulator.settle(timeout=60)
    return time.perf_counter() - started, latencies, later


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument(
        "--by-message", action="store_true", help="latency per message kind (kcert-bot)"
    )
    args = parser.parse_args()
    total = args.users * args.messages
    rows = []
    results: dict[str, tuple[float, float, float, float]] = {}
    peak_rss_mib = float("nan")
    with tempfile.TemporaryDirectory() as tmp:
        async with BotApiEmulator() as emulator:
            for name, starter, first_user in (
                (
                    "kcert-bot",
                    lambda: start_kcert_bot(emulator, Path(tmp) / "bench.sqlite3"),
                    100_000,
                ),
                ("PTB echo bot", lambda: start_echo_bot(emulator), 200_000),
            ):
                mark = len(emulator.calls)
                child = starter()
                try:
                    await wait_polling(emulator, child, mark)
                    await run_load(emulator, first_user + 90_000, 2, 2)  # warm-up
                    elapsed, latencies, later = await run_load(
                        emulator, first_user, args.users, args.messages
                    )
                finally:
                    await stop(child)
                    child.wait()
                if name == "kcert-bot":
                    # Largest terminated child so far = the bot process (Linux reports KiB).
                    peak_rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                if name == "kcert-bot" and args.by_message:
                    for text, values in BY_MESSAGE.items():
                        print(
                            f"  {text[:30]:32} p50 {median(values) * 1000:7.1f}  p99 {percentile(values, 99) * 1000:7.1f} ms"
                        )
                BY_MESSAGE.clear()
                rate = total / elapsed
                p50, p99 = median(latencies) * 1000, percentile(latencies, 99) * 1000
                steady = percentile(later, 99) * 1000
                results[name] = (rate, p50, p99, steady)
                rows.append((name, f"{rate:.0f}", f"{p50:.1f}", f"{p99:.1f}", f"{steady:.1f}"))
    ours, echo = results["kcert-bot"], results["PTB echo bot"]
    rows.append(
        (
            "ratio kcert/echo",
            f"{ours[0] / echo[0]:.2f}",
            f"{ours[1] / echo[1]:.2f}",
            f"{ours[2] / echo[2]:.2f}",
            f"{ours[3] / echo[3]:.2f}",
        )
    )
    print(
        f"{args.users} users x {args.messages} messages = {total} updates, bot in its own process"
    )
    print(table(rows, ("bot", "updates/s", "p50 ms", "p99 ms", "p99 after 1st msg")))
    print(f"kcert-bot process peak RSS: {peak_rss_mib:.0f} MiB (target < 250 MiB)")


if __name__ == "__main__":
    asyncio.run(main())
