"""The bot's HTTP client: a PTB `BaseRequest` on aiohttp, with JSON bodies and capped downloads.

Half of the bot's CPU under load went to httpx/httpcore (form encoding, a pool scan per
request); this class sends JSON (multipart only for uploads) over an aiohttp session.
Downloads (`File.download_*` → `retrieve`) stop reading at `max_download_bytes`, so a file
whose declared size is a lie cannot make the bot buffer 20 MB. `HTTP_CLIENT=httpx` keeps PTB's
own HTTPXRequest selectable (see `build_requests`).
With `raw_filter` set (the getUpdates request), each getUpdates batch goes through it as JSON
before PTB parses it: a flooding chat's excess is dropped there, unparsed (bot/processor.py).
Within `unparsed_result()` the next successful object result is handed over as JSON and PTB
gets True, so it skips building a Message nobody reads (~0.3 ms each; `flows.common.say`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

_POOL_TIMEOUT = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* "
    "sent to Telegram. Consider adjusting the connection pool size or the pool timeout."
)
_CHUNK = 64 * 1024
FULL_BATCH = 100  # getUpdates' default (and largest) limit: PTB's polling asks for it
RawFilter = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
_RAW_RESULT: ContextVar[list[dict[str, Any]] | None] = ContextVar("raw_result", default=None)


@contextlib.contextmanager
def unparsed_result() -> Iterator[list[dict[str, Any]]]:
    """Around one Bot API call whose result object is not needed as a PTB object.

    The call's successful object result (e.g. sendMessage's Message) lands in the yielded list
    as JSON, and PTB is given True instead, which it returns without parsing (Bot._send_message
    does so for `True`). Only AiohttpRequest does this; with HTTPXRequest the list stays empty
    and PTB returns its parsed object as usual. Errors are unaffected.
    """
    box: list[dict[str, Any]] = []
    token = _RAW_RESULT.set(box)
    try:
        yield box
    finally:
        _RAW_RESULT.reset(token)


class DownloadTooLarge(NetworkError):
    """A download sent more than the allowed number of bytes (the rest was not read).

    A TelegramError subclass, so PTB passes it through unchanged; flows treat it like any
    failed download.
    """

    def __init__(self, limit: int, received: int) -> None:
        super().__init__(f"Download exceeds the limit of {limit} bytes; stopped reading")
        self.limit = limit
        self.received = received  # bytes read before stopping (at most limit + one chunk)


class AiohttpRequest(BaseRequest):
    """PTB's request interface on one aiohttp session.

    Timeouts and the pool limit mean what they mean for PTB's HTTPXRequest: `pool_timeout` is
    the wait for a free connection (then `TimedOut`, nothing sent), `connect_timeout` the TCP
    connect, `read_timeout` the wait for each read. aiohttp has no write timeout: for uploads
    (`media_write_timeout`) and other requests (`write_timeout`) it bounds the whole request
    together with the read timeout.
    """

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        max_download_bytes: int | None = None,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self.max_download_bytes = max_download_bytes
        self._slots = asyncio.Semaphore(connection_pool_size)
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}
        self._session: aiohttp.ClientSession | None = None
        # getUpdates results (a list of JSON dicts) pass through this before PTB parses them.
        self.raw_filter: RawFilter | None = None
        # getUpdates only: after a batch that was not full (1 to 99 updates), wait this long
        # before the next call, so that under load more updates come per call (each call costs
        # the same CPU whatever it carries). A full batch means a backlog: no pause then.
        self.batch_pause: float = 0.0
        self._pause_next = 0.0

    @property
    def pool_size(self) -> int:
        """Requests in flight at once (connections to the Bot API)."""
        return self._pool_size

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                # No total timeout here: each request gets its own (see do_request).
                timeout=aiohttp.ClientTimeout(total=None),
                json_serialize=json.dumps,
            )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        """PTB's JSON parsing, then `raw_filter` on a successful list result, and an object
        result handed over raw inside `unparsed_result()`.

        PTB sends getUpdates alone through its getUpdates request, so only that request gets a
        `raw_filter` (build_requests/create_application); `post` itself is final in PTB.
        """
        data = BaseRequest.parse_json_payload(payload)
        if data.get("ok") is not True:
            return data
        result = data.get("result")
        raw_filter = self.raw_filter
        if isinstance(result, list) and self.batch_pause:
            self._pause_next = self.batch_pause if 0 < len(result) < FULL_BATCH else 0.0
        if raw_filter is not None and isinstance(result, list):
            data["result"] = raw_filter(result)
        elif isinstance(result, dict):
            box = _RAW_RESULT.get()
            if box is not None and not box:
                box.append(result)
                data["result"] = True
        return data

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        if self._pause_next:
            pause, self._pause_next = self._pause_next, 0.0
            await asyncio.sleep(pause)
        files = request_data is not None and request_data.contains_files
        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, self._media_write_timeout if files else self._write_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)

        kwargs: dict[str, Any] = {}
        if request_data is not None:
            if files:
                kwargs["data"] = _multipart(request_data)
            else:
                # Real JSON (ints, objects) rather than a form of JSON-encoded strings.
                kwargs["data"] = json.dumps(request_data.parameters).encode()
                kwargs["headers"] = {"Content-Type": "application/json"}
        total = None if read is None or write is None else read + write
        kwargs["timeout"] = self._timeout(total, connect, read)

        if self._slots.locked():  # only then can the wait take long enough to time out
            try:
                async with asyncio.timeout(pool):
                    await self._slots.acquire()
            except TimeoutError as err:
                raise TimedOut(_POOL_TIMEOUT) from err
        else:
            await self._slots.acquire()
        try:
            async with session.request(method, url, **kwargs) as response:
                if method == "GET":
                    body = await self._read_capped(response)
                else:
                    body = await response.read()
                return response.status, body
        except DownloadTooLarge:
            raise
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err
        finally:
            self._slots.release()

    def _timeout(
        self, total: float | None, connect: float | None, read: float | None
    ) -> aiohttp.ClientTimeout:
        """aiohttp's timeout object for these values, made once (a handful of combinations)."""
        key = (total, connect, read)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)
            if len(self._timeouts) < 64:  # callers may pass arbitrary per-call values
                self._timeouts[key] = timeout
        return timeout

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        """The body, but never more than `max_download_bytes` of it."""
        limit = self.max_download_bytes
        if limit is None:
            return await response.read()
        declared = response.content_length
        if declared is not None and declared > limit:
            raise DownloadTooLarge(limit, 0)
        chunks: list[bytes] = []
        received = 0
        async for chunk in response.content.iter_chunked(_CHUNK):
            received += len(chunk)
            if received > limit:
                raise DownloadTooLarge(limit, received)
            chunks.append(chunk)
        return b"".join(chunks)


def _given(value: Any, default: float | None) -> float | None:
    """A per-call timeout, or this object's default when the caller passed none."""
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, field in request_data.multipart_data.items():
        if isinstance(field, tuple):
            file_name, content, mime_type = field
            form.add_field(name, content, filename=file_name, content_type=mime_type)
        else:
            form.add_field(name, field)
    return form


# Connections beyond one per update slot: replies sent outside a slot (the flood notice, the
# Mini App's messages to the chat) must not wait for a busy slot's connection.
SPARE_CONNECTIONS = 8


def build_requests(
    client: str, *, max_download_bytes: int, pool_size: int
) -> tuple[BaseRequest, BaseRequest]:
    """(request for bot methods, request for getUpdates) for HTTP_CLIENT `client`; on aiohttp
    `pool_size` connections, one per update handled at once (MAX_CONCURRENT_UPDATES), plus
    SPARE_CONNECTIONS. httpx keeps a pool of 8 (its pool is scanned on every request).

    getUpdates gets its own single connection, as in PTB; the Bot adds the long-poll timeout
    to its read timeout on each call.
    """
    if client == "httpx":
        # PTB's defaults, except the modest pool: httpcore scans its whole pool per request.
        return HTTPXRequest(connection_pool_size=8), HTTPXRequest(connection_pool_size=1)
    return (
        AiohttpRequest(
            connection_pool_size=pool_size + SPARE_CONNECTIONS,
            max_download_bytes=max_download_bytes,
        ),
        AiohttpRequest(connection_pool_size=1),
    )
