"""The emulator's HTTP side: tornado handlers for /bot<token>/<method> and file downloads.

Runs on the caller's asyncio loop; everything it learns it hands to `BotApiEmulator`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import tornado.httpserver
import tornado.httputil
import tornado.netutil
import tornado.web

from .errors import MAX_UPLOAD_SIZE, ApiError
from .params import Params

if TYPE_CHECKING:
    from .server import BotApiEmulator

_LOGGER = logging.getLogger("bot.emulator.server")


@dataclass
class Request:
    """What a method handler needs beyond its parameters."""

    files: dict[str, list[tornado.httputil.HTTPFile]]
    closed: asyncio.Future[None]  # resolved when the client drops the connection


def serve(
    emulator: BotApiEmulator, host: str, port: int
) -> tuple[tornado.httpserver.HTTPServer, int]:
    """Bind `host:port` (0 = any free port) and serve; returns the server and the bound port."""
    app = tornado.web.Application(
        [
            (r"/bot([^/]+)/([^/]+)", _ApiHandler, {"emulator": emulator}),
            (r"/file/bot([^/]+)/(.+)", _FileHandler, {"emulator": emulator}),
        ],
        log_function=_log_request,
    )
    sockets = tornado.netutil.bind_sockets(port, host)
    server = tornado.httpserver.HTTPServer(app, max_body_size=MAX_UPLOAD_SIZE + 1024 * 1024)
    server.add_sockets(sockets)
    return server, int(sockets[0].getsockname()[1])


def _log_request(handler: tornado.web.RequestHandler) -> None:
    # Tornado's access log would print the token (it is in the path); log only the method.
    method = handler.path_args[-1] if handler.path_args else handler.request.path
    _LOGGER.debug("%s %s -> %s", handler.request.method, method, handler.get_status())


class _ApiHandler(tornado.web.RequestHandler):
    """POST/GET /bot<token>/<method>."""

    def initialize(self, emulator: BotApiEmulator) -> None:
        self.emulator = emulator
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_connection_close(self) -> None:
        # A long poll whose client went away must not keep the getUpdates slot.
        if not self.closed.done():
            self.closed.set_result(None)

    def compute_etag(self) -> None:
        return None

    def _params(self) -> Params:
        params: Params = {}
        for name, values in self.request.query_arguments.items():
            params[name] = values[-1].decode("utf-8", "replace")
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json") and self.request.body:
            try:
                body: Any = json.loads(self.request.body)
            except ValueError:
                body = None
            if isinstance(body, dict):
                params.update(body)
        else:
            for name, values in self.request.body_arguments.items():
                params[name] = values[-1].decode("utf-8", "replace")
        return params

    async def post(self, token: str, method: str) -> None:
        request = Request(self.request.files, self.closed)
        try:
            status, body = await self.emulator.handle_call(token, method, self._params(), request)
        except ApiError as error:  # raised by parameter normalisation
            status, body = error.error_code, error.envelope()
        if self.closed.done():
            return
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False))

    async def get(self, token: str, method: str) -> None:
        await self.post(token, method)


class _FileHandler(tornado.web.RequestHandler):
    """GET /file/bot<token>/<file_path>: the bytes behind getFile's file_path."""

    def initialize(self, emulator: BotApiEmulator) -> None:
        self.emulator = emulator

    def compute_etag(self) -> None:
        return None

    def get(self, token: str, path: str) -> None:
        data = self.emulator.file_bytes(token, path)
        if data is None:
            self.set_status(404)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}))
            return
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(data)
