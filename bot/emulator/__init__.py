"""A local Telegram Bot API (loopback HTTP) with scripted users and a terminal front end.

The real bot runs against `BotApiEmulator` unchanged; tests, benchmarks and `kcert-bot chat`
drive it through `ScriptedUser` (see docs/architecture.md, "Emulator, and how tests use it").
"""

from .echo import build_echo_application
from .errors import ApiError
from .markup import EntityParseError, html_to_text, parse_html
from .models import BotMessage, Button, CallbackAnswer, ChatEvent, DocumentInfo, UserMessage
from .ptb import builder_for, connect, polling
from .server import BotApiEmulator
from .terminal import run_terminal
from .user import ScriptedUser

__all__ = [
    "ApiError",
    "BotApiEmulator",
    "BotMessage",
    "Button",
    "CallbackAnswer",
    "ChatEvent",
    "DocumentInfo",
    "EntityParseError",
    "ScriptedUser",
    "UserMessage",
    "build_echo_application",
    "builder_for",
    "connect",
    "html_to_text",
    "parse_html",
    "polling",
    "run_terminal",
]
