"""The `kcert-bot` command: run · chat · inspect · make-test-cert.

`run` talks to Telegram (or any Bot API server at TELEGRAM_API_URL); `chat` starts the local
emulator and the real bot in one process and opens a terminal chat, with no token and no network.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvloop
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.config import Settings, SettingsError, load_settings
from bot.logs import configure_logging, redact

USAGE = """usage: kcert-bot COMMAND [options]

commands:
  run              run the bot against Telegram (needs BOT_TOKEN; webhook when WEBHOOK_URL is set)
  chat             chat with the real bot in this terminal, on the local emulator (no token)
  inspect          show a certificate's summary (and check a password / identity number)
  make-test-cert   write realistic test certificate files (NPKI folder, zip, pfx)
"""

NO_TOKEN = """BOT_TOKEN is not set.
To run on Telegram, create a bot with @BotFather (send /newbot), copy the token it gives you,
and put it in .env as BOT_TOKEN=123456:ABC... (see .env.example).
To try the bot without a token or network, run:  make chat"""


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None


def cmd_run(argv: list[str]) -> int:
    argparse.ArgumentParser(prog="kcert-bot run", description="Run the bot.").parse_args(argv)
    settings = _settings()
    if not settings.bot_token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    from bot.app import check_webhook_settings, load_trust, run_bot

    try:
        check_webhook_settings(settings)
        load_trust(settings)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        # uvloop: the event loop in C; ~20 % less CPU per update than asyncio's own loop
        # (bench/e2e.py). The tests run on it too (tests/conftest.py).
        uvloop.run(run_bot(settings))
    except InvalidToken:
        # PTB's message quotes the token: never print it.
        print(
            f"kcert-bot: the Bot API at {settings.telegram_api_url} rejected BOT_TOKEN "
            "(check the token from @BotFather)",
            file=sys.stderr,
        )
        return 1
    except SettingsError as error:  # e.g. WEBAPP_PORT already in use
        print(error, file=sys.stderr)
        return 2
    except (NetworkError, OSError) as error:
        print(
            redact(
                f"kcert-bot: cannot reach the Bot API at {settings.telegram_api_url} "
                f"({type(error).__name__}: {error}); check TELEGRAM_API_URL and the network"
            ).replace("\n", " "),
            file=sys.stderr,
        )
        return 1
    except TelegramError as error:
        print(
            redact(f"kcert-bot: start-up failed ({type(error).__name__}: {error})").replace(
                "\n", " "
            ),
            file=sys.stderr,
        )
        return 1
    return 0


DEFAULT_CHAT_USER_ID = 1001


def _default_name(language_code: str | None) -> str:
    """The chat user's first name when none is given, in the user's language."""
    return "고객" if (language_code or "ko").lower().startswith("ko") else "Customer"


def cmd_chat(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="kcert-bot chat",
        description="Chat with the real bot in this terminal through the local Bot API emulator. "
        "Type text, a button's number to press it, /file PATH to upload, /quit to leave.",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=None,
        help="SQLite file to keep (default: a fresh in-memory database each time)",
    )
    parser.add_argument(
        "--user-id",
        type=int,
        default=DEFAULT_CHAT_USER_ID,
        help=f"your Telegram user id in the chat (default {DEFAULT_CHAT_USER_ID}); to try the "
        "operator commands /unanswered and /reload_faq, start with "
        f"ADMIN_USER_IDS={DEFAULT_CHAT_USER_ID} make chat",
    )
    parser.add_argument(
        "--name", default=None, help="your first name in the chat (default: 고객, or Customer)"
    )
    parser.add_argument("--language-code", default="ko")
    args = parser.parse_args(argv)
    base = _settings()
    from bot.chat import run_chat

    return uvloop.run(
        run_chat(
            base,
            database=args.database,
            user_id=args.user_id,
            first_name=args.name or _default_name(args.language_code),
            language_code=args.language_code or None,
        )
    )


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    try:
        if command == "run":
            return cmd_run(rest)
        if command == "chat":
            return cmd_chat(rest)
        if command == "inspect":
            from bot.certs.cli import inspect_command

            return inspect_command(rest)
        if command == "make-test-cert":
            from bot.certs.cli import make_test_cert_command

            return make_test_cert_command(rest)
    except KeyboardInterrupt:
        return 130
    print(f"kcert-bot: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
