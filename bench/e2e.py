"""End-to-end load: N users × M messages through the emulator to a bot in its own process.

One run prints: kcert-bot, the stock PTB echo bot (httpx, PTB defaults) and an echo bot on
kcert-bot's own transport (bot/request.py: the floor for it), with ratios; a fairness run
(a quiet user's reply p99 while another user sends --flood messages at once); kcert-bot's
peak RSS. Messages are drawn from >= 500 distinct FAQ-like texts, not a handful repeated.
Targets are printed, never asserted.
Usage: python bench/e2e.py [--users N] [--messages M] [--rounds R] [--flood F]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import Popen

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import (
    children_peak_rss_mib,
    cpu_seconds,
    median,
    peak_rss_mib,
    percentile,
    start_echo_bot,
    start_kcert_bot,
    stop,
    table,
    wait_polling,
)
from bot.emulator import BotApiEmulator

_KO_TOPICS = [
    "타행 인증서 등록",
    "공동인증서 해제",
    "인증서 비밀번호",
    "인증서 파일 위치",
    "만료된 인증서",
    "금융인증서",
    "NPKI 폴더",
    "signCert.der 파일",
    "인증서 갱신",
    "pfx 파일",
    "주민등록번호 확인",
    "모바일 인증서",
    "대출 금리",
    "계좌 개설",
]
_KO_ASKS = [
    "어떻게 해요?",
    "은 어디서 하나요",
    " 방법 알려주세요",
    "이 안 돼요 ㅠㅠ",
    " 하면 어떻게 되나요?",
    " 문의드려요",
    " 관련해서 질문이요",
    "는 수수료가 있나요",
    " 몇 번까지 틀려도 돼요?",
]
_EN_TOPICS = [
    "another bank's certificate",
    "my joint certificate",
    "the certificate password",
    "the NPKI folder",
    "an expired certificate",
    "a pfx file",
    "the key file",
    "my registered certificates",
]
_EN_ASKS = [
    "how do I register {}?",
    "where can I find {}?",
    "what happens if I release {}?",
    "I forgot {}, what now?",
    "can I use {} on mobile?",
    "is there a fee for {}?",
]
_COMMANDS = ["/start", "/certs", "/help"]


def distinct_messages() -> list[str]:
    """At least 500 distinct questions (Korean and English) plus the commands, shuffled."""
    texts = [f"{topic}{ask}" for topic, ask in itertools.product(_KO_TOPICS, _KO_ASKS)]
    texts += [f"{ask.format(topic)}" for topic, ask in itertools.product(_EN_TOPICS, _EN_ASKS)]
    korean = texts[: len(_KO_TOPICS) * len(_KO_ASKS)]
    texts += [f"{t} (급해요)" for t in korean] + [f"혹시 {t}" for t in korean]
    texts += [f"{t.capitalize()} Thanks" for t in texts if t[0].isascii()]
    unique = sorted(set(texts))
    random.Random(2026).shuffle(unique)
    assert len(unique) >= 500, len(unique)
    return unique


MESSAGES = distinct_messages()
# updates/s, reply latencies (s), CPU ms per update of the bot and of this harness
Result = tuple[float, list[float], float, float]


async def run_load(
    emulator: BotApiEmulator,
    first_user: int,
    users: int,
    per_user: int,
    child: Popen[bytes] | None = None,
) -> Result:
    latencies: list[float] = []
    bot_cpu, own_cpu = cpu_seconds(child), cpu_seconds()

    async def one_user(index: int) -> None:
        user = emulator.user(first_user + index, language_code="ko")
        for n in range(per_user):
            before = user.message_count
            number = index * per_user + n
            # Every 10th message is a command, the rest are distinct questions.
            text = (
                _COMMANDS[number // 10 % 3]
                if number % 10 == 0
                else MESSAGES[number % len(MESSAGES)]
            )
            started = time.perf_counter()
            await user.send_text(text)
            # Counting, not reading: the harness should spend its core on the bot's traffic.
            await user.wait_for_count(before + 1, timeout=60)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one_user(i) for i in range(users)))
    elapsed = time.perf_counter() - started
    await emulator.settle_by_quiet(timeout=60)  # the bot is in another process: no reports
    updates = users * per_user
    bot_ms = (cpu_seconds(child) - bot_cpu) * 1000 / updates if child else float("nan")
    return updates / elapsed, latencies, bot_ms, (cpu_seconds() - own_cpu) * 1000 / updates


async def run_flood(emulator: BotApiEmulator, first_user: int, flood: int, asks: int) -> Result:
    """One user sends `flood` messages at once; a quiet user asks `asks` questions meanwhile."""
    flooder = emulator.user(first_user, language_code="ko")
    quiet = emulator.user(first_user + 1, language_code="ko")
    started = time.perf_counter()
    for n in range(flood):
        await flooder.send_text(MESSAGES[n % len(MESSAGES)])
    latencies: list[float] = []
    for n in range(asks):
        before = quiet.message_count
        asked = time.perf_counter()
        await quiet.send_text(_COMMANDS[0] if n == 0 else MESSAGES[-1 - n])
        await quiet.wait_for_count(before + 1, timeout=120)
        latencies.append(time.perf_counter() - asked)
    await emulator.settle_by_quiet(timeout=300)
    return flood / (time.perf_counter() - started), latencies, float("nan"), float("nan")


async def measure(
    emulator: BotApiEmulator,
    starter: Callable[[], Popen[bytes]],
    first_user: int,
    args: argparse.Namespace,
    *,
    flood: bool = False,
) -> tuple[Result, Result | None, float]:
    mark = len(emulator.calls)
    child = starter()
    try:
        await wait_polling(emulator, child, mark)
        await run_load(emulator, first_user + 90_000, 2, 2)  # warm-up
        load = await run_load(emulator, first_user, args.users, args.messages, child)
        fair = await run_flood(emulator, first_user + 80_000, args.flood, 20) if flood else None
        rss = peak_rss_mib(child)
        worker_rss = children_peak_rss_mib(child)
    finally:
        await stop(child)
        child.wait()
    return load, fair, rss + worker_rss


Bots = ("kcert-bot", "PTB echo (stock httpx)", "PTB echo (kcert transport)")


def combine(results: list[Result]) -> Result:
    """Rounds of one bot: the median throughput and CPU, every latency pooled."""
    return (
        median([r[0] for r in results]),
        [x for r in results for x in r[1]],
        median([r[2] for r in results]),
        median([r[3] for r in results]),
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--flood", type=int, default=10_000)
    parser.add_argument(
        "--rounds", type=int, default=3, help="each bot runs this often, the three interleaved"
    )
    args = parser.parse_args()
    total = args.users * args.messages
    runs: dict[str, list[Result]] = {name: [] for name in Bots}
    fair: Result | None = None
    rss = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        async with BotApiEmulator() as emulator:
            # Interleaved (kcert, stock, floor, kcert, ...): a shared machine's speed drifts
            # over a minute, and ratios of neighbouring runs cancel most of that drift.
            for n in range(args.rounds):
                base = 1_000_000 * (n + 1)
                starters: dict[str, Callable[[], Popen[bytes]]] = {
                    Bots[0]: lambda: start_kcert_bot(emulator, Path(tmp) / "bench.sqlite3"),
                    Bots[1]: lambda: start_echo_bot(emulator),
                    Bots[2]: lambda: start_echo_bot(emulator, "kcert"),
                }
                for k, (name, starter) in enumerate(starters.items()):
                    flood = name == Bots[0] and n == args.rounds - 1
                    load, flooded, peak = await measure(
                        emulator, starter, base + 100_000 * k, args, flood=flood
                    )
                    runs[name].append(load)
                    if name == Bots[0]:
                        rss = max(rss, peak)
                        fair = flooded or fair
    ours, stock, floor = (combine(runs[name]) for name in Bots)

    def ratio_of(other: str) -> float:
        """The median over rounds of kcert's throughput over `other`'s in the same round."""
        return median([a[0] / b[0] for a, b in zip(runs[Bots[0]], runs[other], strict=True)])

    def row(name: str, result: Result) -> tuple[str, ...]:
        rate, lat, bot_ms, own_ms = result
        return (
            name,
            f"{rate:.0f}",
            f"{median(lat) * 1000:.1f}",
            f"{percentile(lat, 99) * 1000:.1f}",
            f"{bot_ms:.2f}",
            f"{own_ms:.2f}",
        )

    def p99(result: Result) -> float:
        return percentile(result[1], 99)

    rows = [row(name, result) for name, result in zip(Bots, (ours, stock, floor), strict=True)]
    print(
        f"{args.users} users x {args.messages} messages = {total} updates "
        f"({len(MESSAGES)} distinct texts), each bot in its own process, {args.rounds} rounds "
        "interleaved; updates/s and CPU: median of the rounds, p50/p99: all rounds pooled"
    )
    print(table(rows, ("bot", "updates/s", "p50 ms", "p99 ms", "bot CPU ms/upd (+worker)", "harness")))
    print()
    ratios = [
        (
            "kcert / stock echo",
            f"{ratio_of(Bots[1]):.2f}",
            ">= 1.0",
            f"{p99(ours) / p99(stock):.2f}",
            "<= 1.5",
        ),
        (
            "kcert / same-transport echo",
            f"{ratio_of(Bots[2]):.2f}",
            ">= 0.6",
            f"{p99(ours) / p99(floor):.2f}",
            "",
        ),
    ]
    print(table(ratios, ("ratio", "throughput", "target", "p99", "target")))
    print()
    assert fair is not None
    print(
        f"fairness: one user sends {args.flood} messages at once, another asks "
        f"{len(fair[1])} questions: quiet user's p50 {median(fair[1]) * 1000:.0f} ms, "
        f"p99 {p99(fair) * 1000:.0f} ms (target <= 1000 ms)"
    )
    print(f"kcert-bot peak RSS, with its FAQ worker: {rss:.0f} MiB (target <= 250 MiB)")


if __name__ == "__main__":
    # The harness (emulator and users) on uvloop as well: less of the two cores for it.
    uvloop.run(main())
