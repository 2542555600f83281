"""Upload cost (H8): the same zip of 28 certificates (64 KiB) sent 11 times in one registration.

Each upload should cost about the same (it is processed once, off the event loop), and the
11th is refused without being read (10 files per registration). Also: how long another user's
/help waits while the zips are processed. The bot runs in its own process (`kcert-bot run`).
Usage: python bench/uploads.py [--certs N]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric import rsa

from bench._harness import start_kcert_bot, stop, table, wait_polling
from bot.certs.testgen import fake_ca_bundle_path, generate_test_certificate
from bot.emulator import BotApiEmulator, ScriptedUser


def npki_zip(count: int) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(count):
            gen = generate_test_certificate(name=f"사용자{index:02d}", private_key=key)
            with zipfile.ZipFile(io.BytesIO(gen.zip_bytes)) as inner:
                for info in inner.infolist():
                    archive.writestr(f"{index:02d}/{info.filename}", inner.read(info))
    return out.getvalue()


async def answered(user: ScriptedUser, action: object, after: int) -> float:
    started = time.perf_counter()
    await action  # type: ignore[misc]
    await user.wait_until(lambda: user.message_count > after, timeout=120)
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--certs", type=int, default=28)  # 32 exceed the 64 KiB cap
    args = parser.parse_args()
    data = npki_zip(args.certs)
    print(f"a zip of {args.certs} certificates, {len(data) // 1024} KiB", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        async with BotApiEmulator() as emulator:
            child = start_kcert_bot(
                emulator,
                Path(tmp) / "uploads.sqlite3",
                TRUSTED_CA_FILE=str(fake_ca_bundle_path()),
            )
            try:
                await wait_polling(emulator, child, 0)
                user, other = emulator.user(31_000), emulator.user(31_001)
                n = user.message_count
                await answered(user, user.send_text("/register"), n)
                for number in range(1, 12):
                    n, m = user.message_count, other.message_count
                    upload = user.send_document(data, f"npki-{number}.zip")
                    took = await answered(user, upload, n)
                    help_took = await answered(other, other.send_text("/help"), m)
                    said = user.messages_since(n)[-1].plain.splitlines()[0][:40]
                    rows.append((number, f"{took * 1000:.0f}", f"{help_took * 1000:.0f}", said))
            finally:
                await stop(child)
    print(table(rows, ("upload #", "reply ms", "other user's /help ms", "the bot said")))


if __name__ == "__main__":
    asyncio.run(main())
