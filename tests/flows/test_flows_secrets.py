"""Secrets never rest: after whole flows, failures included, search every place data goes.

The SQLite file with its -wal, the PTB persistence rows and the captured DEBUG logs must not
contain a password, an identity number or any 16-byte window of a private key's DER.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.conftest import IDENTITY, PASSWORD, cert
from tests.support import plain, upload_pair

WINDOW = 16


def _windows(data: bytes) -> set[bytes]:
    return {data[i : i + WINDOW] for i in range(0, len(data) - WINDOW + 1)}


def _leaks(blob: bytes, secrets: dict[str, bytes], key_windows: set[bytes]) -> list[str]:
    found = [name for name, value in secrets.items() if value and value in blob]
    for i in range(0, max(len(blob) - WINDOW + 1, 0)):
        if blob[i : i + WINDOW] in key_windows:
            found.append("private key bytes")
            break
    return found


async def test_no_secret_rests_anywhere(bot_factory: Any, log_file: Path, tmp_path: Path) -> None:
    bot = await bot_factory(require_identity_check=True)
    pair = cert(name="비밀일", fmt="seed-sha1")
    pfx = cert(name="비밀이", fmt="pfx", ca="CrossCert")
    zipped = cert(name="비밀삼", fmt="pbes2-aes", ca="TradeSign")

    # 1) wrong passwords, a wrong identity number, then success (pair)
    one = bot.user(4001)
    await one.ask("/register")
    await upload_pair(one, pair)
    await one.ask(PASSWORD + "x")
    await one.ask("Wrong-" + PASSWORD)
    await one.ask(PASSWORD)
    await one.ask("9001011234567")
    await one.ask(IDENTITY)
    replies = await one.tap("등록")
    assert "등록 완료" in plain(replies)

    # 2) a pfx with the identity check, then released
    two = bot.user(4002)
    await two.ask("/register")
    assert pfx.pfx is not None
    await two.upload(pfx.pfx, "export.p12")
    await two.ask(PASSWORD)
    await two.ask(IDENTITY)
    await two.tap("등록")
    await two.ask("/revoke")
    await two.tap("비밀이")
    await two.tap("분실")
    await two.tap("해제")

    # 3) a zip, cancelled at the confirmation; 4) a lock-out; 5) a restart mid-flow
    three = bot.user(4003)
    await three.ask("/register")
    await three.upload(zipped.zip_bytes, "certs.zip")
    await three.ask(PASSWORD)
    await three.ask(IDENTITY)
    await three.tap("취소")
    four = bot.user(4004)
    await four.ask("/register")
    await upload_pair(four, zipped)
    for attempt in range(5):
        await four.ask(f"{PASSWORD}{attempt}")
    five = bot.user(4005)
    await five.ask("/register")
    await five.upload(zipped.zip_bytes, "certs.zip")
    await bot.restart()
    await five.ask(PASSWORD)
    await bot.stop()  # flush persistence, checkpoint nothing away: the -wal is searched too

    secrets = {
        "password": PASSWORD.encode(),
        "identity number": IDENTITY.encode(),
        "identity number (wrong)": b"9001011234567",
    }
    key_windows: set[bytes] = set()
    for gen in (pair, pfx, zipped):
        # The key DER also holds the public modulus, which the stored certificate holds by
        # design: only windows that are not in the public certificate are secret.
        key_windows |= _windows(gen.private_key_pkcs8_der) - _windows(gen.cert_der)
        if gen.random_num:
            secrets[f"R of {gen.info.owner_name}"] = gen.random_num

    database = Path(bot.settings.database_path)
    places = {p.name: p.read_bytes() for p in database.parent.glob(database.name + "*")}
    places["log"] = log_file.read_bytes()
    assert places["log"], "the log capture must have seen the flows"
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT kind, id, data FROM ptb_data").fetchall()
        rows += conn.execute("SELECT name, key, state FROM ptb_conversations").fetchall()
    places["persistence rows"] = repr(rows).encode()
    secrets["bot token"] = bot.settings.bot_token.split(":", 1)[1].encode()
    for name, blob in places.items():
        assert _leaks(blob, secrets, key_windows) == [], f"secret found in {name}"
    # The search itself works: the public certificate is in the database.
    assert pair.cert_der[:64] in b"".join(places[n] for n in places if n != "log")
    # Every message that carried a password or a number was deleted from the chat.
    for user in (one, two, three, four, five):
        for message in user.user_messages:
            if message.text and (PASSWORD in message.text or message.text.isdigit()):
                assert message.deleted, message.text
