"""Bench plumbing: the emulator in this process, a bot in a child process polling it.

The child is the real `kcert-bot run` (or a minimal PTB echo bot), so the bot has its own
interpreter and core, as in production; only loopback HTTP joins the two.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bot.emulator import BotApiEmulator

ROOT = Path(__file__).resolve().parents[1]

# The stock PTB echo bot (httpx, PTB defaults); with "kcert" as 3rd argument the same bot on
# kcert-bot's own transport (bot/request.py) and event loop (uvloop), the floor for both.
ECHO_BOT = """
import asyncio
import sys
from telegram import Update
from telegram.ext import ApplicationBuilder, MessageHandler, filters

async def echo(update, context):
    await update.effective_message.reply_text(update.effective_message.text)

url, token, transport = sys.argv[1], sys.argv[2], sys.argv[3]
builder = ApplicationBuilder().token(token).base_url(url + "/bot").base_file_url(url + "/file/bot")
if transport == "kcert":
    import uvloop
    from bot.request import AiohttpRequest
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())  # run_polling makes its loop
    builder = builder.request(AiohttpRequest(16)).get_updates_request(AiohttpRequest(1))
app = builder.build()
app.add_handler(MessageHandler(filters.TEXT, echo))
app.run_polling(poll_interval=0, timeout=10, allowed_updates=Update.ALL_TYPES)
"""


def start_kcert_bot(
    emulator: BotApiEmulator, database: Path, **env: str
) -> subprocess.Popen[bytes]:
    child_env = dict(os.environ)
    child_env.update(
        {
            "BOT_TOKEN": emulator.token,
            "TELEGRAM_API_URL": emulator.base_url,
            "DATABASE_PATH": str(database),
            "LOG_LEVEL": "WARNING",
            "WEBHOOK_URL": "",
            # The bench registers no certificate: no trust anchors needed.
            "ALLOW_UNVERIFIED_ISSUERS": "true",
            # The fitted FAQ model is cached by input hash: fit once, not on every bench run.
            "FAQ_CACHE_DIR": str(Path(tempfile.gettempdir()) / "kcert-bench-faq-cache"),
        }
    )
    child_env.update(env)
    # KCERT_BENCH_PROFILE=FILE runs the bot under cProfile (for finding where the time goes).
    profile = os.environ.get("KCERT_BENCH_PROFILE")
    prefix = ["-m", "cProfile", "-o", profile] if profile else []
    return subprocess.Popen(
        [sys.executable, *prefix, "-m", "bot", "run"],
        env=child_env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


def start_echo_bot(emulator: BotApiEmulator, transport: str = "stock") -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", ECHO_BOT, emulator.base_url, emulator.token, transport],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


async def wait_polling(
    emulator: BotApiEmulator, child: subprocess.Popen[bytes], since: int
) -> None:
    """Until the child has called getUpdates (it is ready for traffic); a first start may fit
    the FAQ model (cached afterwards), so this waits up to 5 minutes."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"bot process exited with {child.returncode}")
        if any(method == "getUpdates" for method, _ in emulator.calls[since:]):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("bot did not start polling")


async def stop(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    for _ in range(200):
        if child.poll() is not None:
            return
        await asyncio.sleep(0.05)
    child.kill()


def _peak_rss_of(pid: int) -> float:
    """One process's peak resident set so far (Linux VmHWM), in MiB; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mib(child: subprocess.Popen[bytes]) -> float:
    """The child's peak resident set so far, in MiB."""
    return _peak_rss_of(child.pid)


def children_peak_rss_mib(child: subprocess.Popen[bytes]) -> float:
    """The summed peak resident set of `child`'s own children (the FAQ worker), in MiB."""
    return sum(_peak_rss_of(pid) for pid in _children(child.pid))


def cpu_seconds(child: subprocess.Popen[bytes] | None = None) -> float:
    """CPU time (user + system) used so far by `child` and its live children (the FAQ
    worker), or by this process when None."""
    if child is None:
        times = os.times()
        return times.user + times.system
    return _process_cpu(child.pid) + sum(_process_cpu(pid) for pid in _children(child.pid))


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _process_cpu(pid: int) -> float:
    """user + system seconds of one process (its FAQ worker is counted by the caller)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
