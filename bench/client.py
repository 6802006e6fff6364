"""The HTTP side: one asyncio process, a lean keep-alive HTTP/1.1 client, a timed request helper.

The load generator shares the machine with the server it measures, so its own CPU per request
is part of every figure. httpx spent 1.0 ms of CPU per one-statement POST here (as much as
the server under test); this client writes each request with one `write` and parses the
response with httptools (llhttp, the parser uvicorn serves with): 0.2 ms. It
speaks just what the modes need: requests with a body of known length, responses with a
Content-Length or chunked body, on up to `concurrency` persistent connections.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit

import httptools
import orjson

from bench.report import Recorder

TIMEOUT_S = 60.0
_READ_SIZE = 256 * 1024


@dataclass(frozen=True)
class Target:
    """An xAPI endpoint (the URL ending in ``/xAPI/``... or the server root) and credentials."""

    url: str
    key: str
    secret: str
    version: str = "2.0.0"

    @property
    def base(self) -> str:
        root = self.url.rstrip("/")
        return root[: -len("/xAPI")] if root.endswith("/xAPI") else root


class TransportError(Exception):
    """The connection failed, closed mid-response, timed out, or spoke no HTTP."""


@dataclass
class Response:
    status_code: int
    headers: dict[str, str]
    content: bytes

    def json(self) -> Any:
        return orjson.loads(self.content)


@dataclass
class _Parsed:
    """httptools' callbacks for one response (its protocol object)."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    headers_done: bool = False
    complete: bool = False
    keep_alive: bool = False
    parser: Any = None  # the httptools parser calling back; asked at the message's end

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.complete = True
        # Asked here: once the message is done the parser no longer knows.
        self.keep_alive = self.parser.should_keep_alive()


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.close()


class LeanClient:
    """Requests on up to `connections` persistent connections to one host (see the module)."""

    def __init__(self, base: str, headers: Mapping[str, str], connections: int) -> None:
        self.base = base
        self.headers = dict(headers)
        parts = urlsplit(base)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"only http:// URLs are supported by the load generator: {base}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        host_header = self.host if parts.port is None else f"{self.host}:{parts.port}"
        self._fixed = "".join(
            f"{name}: {value}\r\n" for name, value in {"Host": host_header, **headers}.items()
        )
        self._slots = asyncio.Semaphore(connections)
        self._idle: list[_Connection] = []

    async def __aenter__(self) -> LeanClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()

    def _head(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        length: int,
    ) -> bytes:
        if "://" in url:  # a link the server gave in full
            parts = urlsplit(url)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        else:
            target = self.prefix + url
        if params:
            target += ("&" if "?" in target else "?") + urlencode(params)
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        return (
            f"{method} {target} HTTP/1.1\r\n{self._fixed}{extra}Content-Length: {length}\r\n\r\n"
        ).encode("latin-1")

    async def _connection(self) -> _Connection:
        if self._idle:
            return self._idle.pop()
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as error:
            raise TransportError(str(error)) from error
        return _Connection(reader, writer)

    @asynccontextmanager
    async def _exchange(
        self,
        method: str,
        url: str,
        content: bytes | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> AsyncIterator[tuple[_Parsed, AsyncIterator[bytes]]]:
        """Send one request; yields the parsed head and an iterator of the body's pieces."""
        body = content or b""
        async with self._slots:
            connection = await self._connection()
            reusable = False
            try:
                connection.writer.write(self._head(method, url, params, headers, len(body)) + body)
                parsed = _Parsed()
                parser = parsed.parser = httptools.HttpResponseParser(parsed)
                while not parsed.headers_done:
                    await self._feed(connection, parser)
                parsed.status = parser.get_status_code()

                async def pieces() -> AsyncIterator[bytes]:
                    while True:
                        arrived, parsed.chunks = parsed.chunks, []
                        for chunk in arrived:
                            yield chunk
                        if parsed.complete:
                            return
                        await self._feed(connection, parser)

                yield parsed, pieces()
                reusable = parsed.complete and parsed.keep_alive
            finally:
                if reusable:
                    self._idle.append(connection)
                else:
                    connection.close()

    @staticmethod
    async def _feed(connection: _Connection, parser: httptools.HttpResponseParser) -> None:
        try:
            data = await asyncio.wait_for(connection.reader.read(_READ_SIZE), TIMEOUT_S)
        except (OSError, TimeoutError) as error:
            raise TransportError(str(error) or type(error).__name__) from error
        if not data:
            raise TransportError("the server closed the connection")
        try:
            parser.feed_data(data)
        except httptools.HttpParserError as error:
            raise TransportError(f"not an HTTP response: {error}") from error

    async def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        async with self._exchange(method, url, content, params, headers) as (parsed, pieces):
            body = b"".join([piece async for piece in pieces])
        return Response(parsed.status, parsed.headers, body)

    async def get(self, url: str, *, params: Mapping[str, str] | None = None) -> Response:
        return await self.request("GET", url, params=params)

    async def post(self, url: str, *, json: Any) -> Response:
        return await self.request("POST", url, content=orjson.dumps(json), headers=JSON)

    @asynccontextmanager
    async def stream_lines(
        self, method: str, url: str, *, params: Mapping[str, str] | None = None
    ) -> AsyncIterator[tuple[int, AsyncIterator[bytes]]]:
        """The status and the body's lines as they arrive (a long export, never held whole)."""
        async with self._exchange(method, url, None, params, None) as (parsed, pieces):

            async def lines() -> AsyncIterator[bytes]:
                pending = b""
                async for piece in pieces:
                    *done, pending = (pending + piece).split(b"\n")
                    for line in done:
                        yield line
                if pending:
                    yield pending

            yield parsed.status, lines()


def basic_authorization(target: Target) -> str:
    """The Authorization header's value for the target's credentials."""
    token = base64.b64encode(f"{target.key}:{target.secret}".encode()).decode()
    return f"Basic {token}"


def make_client(target: Target, concurrency: int) -> LeanClient:
    return LeanClient(
        target.base,
        {"Authorization": basic_authorization(target), "X-Experience-API-Version": target.version},
        concurrency,
    )


async def timed(
    client: LeanClient,
    recorder: Recorder,
    method: str,
    url: str,
    *,
    items: int = 1,
    content: bytes | None = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response | None:
    """Send one request and record its latency and status; a transport error counts as 0."""
    started = time.perf_counter()
    try:
        response = await client.request(
            method, url, content=content, params=params, headers=headers
        )
    except TransportError:
        recorder.record(0, time.perf_counter() - started, items)
        return None
    recorder.record(response.status_code, time.perf_counter() - started, items)
    return response


JSON = {"Content-Type": "application/json"}


def body_of(value: Any) -> bytes:
    return orjson.dumps(value)
