"""`kcert-bot chat`: a terminal front end on the emulator, one input line per user action.

Bot messages print as plain text with numbered buttons; a number presses, `/file PATH` uploads,
`/quit` leaves. Piped stdin works too (inputs are echoed), so a chat can be scripted.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from .models import BotMessage, ChatEvent
from .server import BotApiEmulator
from .user import ScriptedUser

PROMPT = "> "
_INDENT = "   "
_HELP = (
    "💬 kcert-bot 로컬 대화 (Telegram 없이 에뮬레이터로 실행 중)\n"
    "   번호 = 버튼 누르기 · /file 경로 = 파일 보내기 · /quit = 끝내기\n"
    "   number = press a button · /file PATH = send a file · /quit = leave\n"
    "   내 사용자 id / your user id: {user_id} (ADMIN_USER_IDS={user_id} → /unanswered, /reload_faq)"
)


class _LineReader:
    """Reads lines on a daemon thread and hands them to the loop.

    Not asyncio.to_thread: asyncio.run() waits for executor threads on exit, so a readline
    blocked on a terminal would make Ctrl-C hang until Enter; a daemon thread does not.
    """

    def __init__(self, stream: TextIO) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._stream = stream
        threading.Thread(target=self._run, name="kcert-chat-stdin", daemon=True).start()

    def _run(self) -> None:
        try:
            for line in iter(self._stream.readline, ""):
                self._deliver(line)
        except (OSError, ValueError):
            pass  # closed stream: treat as end of input
        finally:
            self._deliver(None)

    def _deliver(self, line: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is already closed: nobody listens
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line)

    async def readline(self) -> str | None:
        """The next line with its newline, or None at end of input."""
        return await self._queue.get()


class _Transcript:
    """Prints what changed in the chat since the last print, in the order it happened."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        user: ScriptedUser,
        out: TextIO,
        open_web_app: Callable[[str], str] | None = None,
    ) -> None:
        self._open = open_web_app or user.web_app_link
        self._emulator = emulator
        self._user = user
        self._out = out
        self._mark = 0  # from the very beginning: shows what the bot sent before we started
        self._shown: set[int] = set()
        self._texts: dict[int, str] = {}
        self._keyboard: list[list[str]] | None = None

    def pending(self) -> bool:
        return bool(self._user.changes_since(self._mark))

    def show(self) -> None:
        events = self._user.changes_since(self._mark)
        self._mark = self._emulator.mark()
        # Numbers always refer to the newest visible message with buttons (see pressable()).
        target = pressable(self._user)
        lines: list[str] = []
        for event in events:
            lines.extend(self._render(event, target))
        keyboard = self._user.reply_keyboard
        if keyboard != self._keyboard:
            self._keyboard = keyboard
            if keyboard:
                rows = " / ".join(" | ".join(row) for row in keyboard)
                lines.append(f"⌨  {rows}")
        if lines:
            self._out.write("\n".join(lines) + "\n")
        self._out.flush()

    def _render(self, event: ChatEvent, target: BotMessage | None) -> list[str]:
        if event.kind == "message" and event.message is not None:
            message = event.message
            numbered = target is not None and target.message_id == message.message_id
            edited = self._was_shown(event)
            unchanged_text = self._texts.get(message.message_id) == message.plain
            self._shown.add(message.message_id)
            self._texts[message.message_id] = message.plain
            if edited and unchanged_text:
                # Only the buttons changed (usually: closed after a press). Reprinting the
                # whole message would bury the conversation; show just the new buttons.
                return render_buttons(message, numbered=numbered, open_web_app=self._open)
            return render_message(
                message, numbered=numbered, edited=edited, open_web_app=self._open
            )
        if event.kind == "user_deleted":
            return [
                f"🗑 (봇이 메시지를 삭제했습니다 / the bot deleted your message #{event.message_id})"
            ]
        if event.kind == "bot_deleted":
            return [f"🗑 (봇 메시지 #{event.message_id} 삭제됨 / the bot deleted its message)"]
        if event.kind == "answer" and event.answer is not None and event.answer.text:
            alert = " [알림/alert]" if event.answer.show_alert else ""
            return [f"ⓘ{alert} {event.answer.text}"]
        return []

    def _was_shown(self, event: ChatEvent) -> bool:
        return event.message is not None and event.message.message_id in self._shown


def pressable(user: ScriptedUser) -> BotMessage | None:
    """The newest visible bot message with buttons: the one typed numbers press."""
    for message in reversed(user.visible):
        if message.buttons:
            return message
    return None


def render_message(
    message: BotMessage,
    *,
    numbered: bool,
    edited: bool = False,
    open_web_app: Callable[[str], str] | None = None,
) -> list[str]:
    """A bot message as terminal lines: text, attachment, then buttons."""
    marker = "(수정됨/edited) " if edited else ""
    body = message.plain.strip("\n").splitlines()
    if message.document is not None:
        doc = message.document
        body.append(f"📎 {doc.file_name or 'document'} ({doc.file_size:,} bytes)")
    body = body or [""]
    lines = [f"🤖 {marker}{body[0]}"] + [f"{_INDENT}{line}" for line in body[1:]]
    return lines + render_buttons(message, numbered=numbered, open_web_app=open_web_app)


def render_buttons(
    message: BotMessage, *, numbered: bool, open_web_app: Callable[[str], str] | None = None
) -> list[str]:
    """The message's inline keyboard: numbered when typing a number presses it. A web_app
    button is a line of its own with the page's URL (`open_web_app` adds the signed initData
    Telegram would pass): a terminal cannot open the page, a browser can."""
    lines: list[str] = []
    pages: list[str] = []
    number = 0
    for row in message.buttons:
        cells = []
        for button in row:
            number += 1
            label = f"{button.text} ↗ {button.url}" if button.url else button.text
            if button.web_app_url:
                url = open_web_app(button.web_app_url) if open_web_app else button.web_app_url
                pages.append(f"{_INDENT}🌐 {button.text}: {url}")
            cells.append(f"[{number}] {label}" if numbered else f"[{label}]")
        lines.append(_INDENT + "  ".join(cells))
    return lines + pages


async def _settle(emulator: BotApiEmulator, out: TextIO, quiet: float, timeout: float) -> None:
    try:
        await emulator.settle(quiet=quiet, timeout=timeout)
    except TimeoutError:
        out.write(
            f"⚠ 봇이 {timeout:g}초 안에 응답하지 않았습니다 (no reply within {timeout:g} s)\n"
        )


async def _act(
    line: str, user: ScriptedUser, out: TextIO, open_web_app: Callable[[str], str]
) -> bool:
    """Perform one input line; False when nothing was sent (a local error was printed)."""
    if line == "/file" or line.startswith("/file "):
        raw = line.removeprefix("/file").strip().strip("'\"")
        if not raw:
            out.write("⚠ 사용법 / usage: /file PATH\n")
            return False
        path = Path(raw).expanduser()
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            out.write(f"⚠ 파일을 읽을 수 없습니다 / cannot read {raw}: {reason}\n")
            return False
        await user.send_document(data, path.name, mimetypes.guess_type(path.name)[0])
        return True
    if line.isdecimal():
        target = pressable(user)
        buttons = target.flat_buttons if target else []
        index = int(line) - 1
        if target is not None and 0 <= index < len(buttons):
            button = buttons[index]
            if button.web_app_url:  # the page opens in a browser, nothing is sent to the bot
                out.write(f"🌐 {open_web_app(button.web_app_url)}\n")
                return False
            if button.callback_data is None:
                out.write(f"🔗 {button.url}\n")  # a URL button opens a link, nothing to send
                return False
            await user.press_data(button.callback_data, message_id=target.message_id)
            return True
        # A number that matches no button is ordinary text (e.g. an answer to a question).
    await user.send_text(line)
    return True


async def run_terminal(
    emulator: BotApiEmulator,
    user: ScriptedUser,
    *,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    interactive: bool | None = None,
    quiet: float = 0.15,
    timeout: float = 30.0,
    open_web_app: Callable[[str], str] | None = None,
    banner: str = "",
) -> int:
    """Chat with the bot as `user` until /quit or end of input; returns the exit status 0.

    `quiet`/`timeout` are passed to `emulator.settle` after each action; quiet is a little
    longer than settle's default because a person reads the output, and a reply split by a
    slow step (e.g. unlocking a key) should appear in one piece.
    """
    if interactive is None:
        interactive = stdin.isatty()
    reader = _LineReader(stdin)
    opener = open_web_app or user.web_app_link
    transcript = _Transcript(emulator, user, stdout, opener)
    if interactive:
        stdout.write(_HELP.format(user_id=user.user_id) + "\n")
    if banner:
        stdout.write(banner + "\n")
    await _settle(emulator, stdout, quiet, timeout)
    transcript.show()
    while True:
        if interactive:
            stdout.write(PROMPT)
            stdout.flush()
            line = await _read_interactive(reader, emulator, transcript, stdout, quiet, timeout)
        else:
            line = await reader.readline()
        if line is None:
            if interactive:
                stdout.write("\n")
            await _settle(emulator, stdout, quiet, timeout)
            transcript.show()
            return 0
        text = line.rstrip("\r\n")
        if not interactive:
            stdout.write(f"{PROMPT}{text}\n")
        action = text.strip()
        if not action:
            continue
        if action == "/quit":
            return 0
        if await _act(action, user, stdout, opener):
            await _settle(emulator, stdout, quiet, timeout)
        transcript.show()


async def _read_interactive(
    reader: _LineReader,
    emulator: BotApiEmulator,
    transcript: _Transcript,
    out: TextIO,
    quiet: float,
    timeout: float,
) -> str | None:
    """Wait for a line, printing bot messages that arrive meanwhile (e.g. a timeout notice)."""
    read = asyncio.ensure_future(reader.readline())
    while True:
        done, _ = await asyncio.wait({read}, timeout=0.5)
        if done:
            return read.result()
        if transcript.pending():
            out.write("\r")
            await _settle(emulator, out, quiet, timeout)
            transcript.show()
            out.write(PROMPT)
            out.flush()
