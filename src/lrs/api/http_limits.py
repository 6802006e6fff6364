"""A bound on the request line and headers, below the ASGI app (where no middleware can see
an oversized head: the HTTP parser has buffered it by then).

uvicorn's httptools protocol accumulates a request head without limit (a 52 MB header line
was answered 200, and 40 such connections took the server past 1.4 GiB). This protocol
counts the bytes a connection sends between the start of a request and the end of its
headers and answers 431 and closes once they pass ``LRS_MAX_HEADER_BYTES``, so a connection
holds at most that much (plus one read) however it is fed.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from lrs.api.http_writes import CoalescingTransport

STATUS = b"HTTP/1.1 431 Request Header Fields Too Large\r\n"


class _HeadTooLarge(Exception):
    """Stops the parser once the head is refused (uvicorn then skips its own 400)."""


class BoundedHeadProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a limit on the size of each request head."""

    def __init__(self, *args: Any, max_head_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_head_bytes = max_head_bytes
        self._head_bytes = 0
        self._in_head = True
        self._exact_head = 0
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Only the writes go through the wrapper: flow control keeps the socket's transport.
        self.transport = CoalescingTransport(transport, asyncio.get_running_loop())

    def data_received(self, data: bytes) -> None:
        # Counted before parsing, checked after: one read may carry a whole small request
        # (head and body), and only a head still incomplete past the limit is refused. So a
        # connection buffers at most the limit plus one read.
        if self._refused:
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > self._max_head_bytes:
            self._refuse()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        self._exact_head = 0

    def on_url(self, url: bytes) -> None:
        self._exact_head += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._exact_head += len(name) + len(value) + 4
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        if self._exact_head > self._max_head_bytes:
            # The whole head came in one read: still too large.
            self._refuse()
            raise _HeadTooLarge
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        if not self._refused:
            super().send_400_response(msg)

    def _refuse(self) -> None:
        self._in_head = False
        if self._refused or self.transport.is_closing():
            return
        self._refused = True
        body = orjson.dumps(
            {
                "error": {
                    "status": 431,
                    "message": f"request line and headers larger than the limit of "
                    f"{self._max_head_bytes} bytes (LRS_MAX_HEADER_BYTES)",
                }
            }
        )
        head = [
            STATUS,
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"x-request-id: " + uuid.uuid4().hex.encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()


def bounded_protocol(max_head_bytes: int) -> Any:
    """What `uvicorn.run(http=...)` takes: a protocol factory with the limit bound (a
    partial of a module-level class, so it also reaches `--workers` processes)."""
    return functools.partial(BoundedHeadProtocol, max_head_bytes=max_head_bytes)
