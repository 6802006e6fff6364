"""Bounds on what a connection may make the server hold while it reads a request, below the
ASGI app (where no middleware can see an oversized head or a stalled one: the HTTP parser
has buffered or awaited it by then).

Size: uvicorn's httptools protocol accumulates a request head without limit (a 52 MB header
line was answered 200, and 40 such connections took the server past 1.4 GiB). This protocol
counts the bytes a connection sends between the start of a request and the end of its
headers and answers 431 and closes once they pass ``LRS_MAX_HEADER_BYTES``, so a connection
holds at most that much (plus one read) however it is fed. A head may also hold at most
``LRS_MAX_HEADER_FIELDS`` header fields (Apache's `LimitRequestFields`): the parser calls
into Python once per field, and 10,000 tiny ones fit in 64 KiB.

Time: uvicorn waits for a request's head and body as long as the client keeps the connection
open (a connection that sends nothing, or a byte now and then, was held for good, and each
holds a file descriptor). Here a request head must be complete within
``LRS_HEADER_TIMEOUT_SECONDS`` of its first byte (of the connection, for the first request),
and a body must keep coming: it has ``LRS_BODY_TIMEOUT_SECONDS``, plus one second for every
`BODY_MIN_RATE` bytes it has delivered. Past that the client gets 408 (or, if nothing of a
request has come, the connection is closed as an idle keep-alive one is). Waits that are the
server's doing (reading paused while the app is busy, a `100 Continue` not yet sent) do not
count. A request that arrives in one read, as nearly all do, arms no timer.

Work: the parser calls back once per chunk of a chunked body, so a body sent in 1-byte
chunks cost the event loop a Python call per byte (one client held everyone else's answers
70 ms, four 350 ms). Chunks are gathered and handed on once per read, and a chunked body
may come in at most `SMALL_CHUNKS_ALLOWED` pieces plus one per `MIN_CHUNK_BYTES` of it: past
that it is answered 400 (no client needs to split a body that finely; the parser's work then
stays in proportion to the bytes, as for any other body).

A request refused here is answered, then the server's side of the connection is shut and
what the client still sends is read and dropped for up to `LINGER_SECONDS` (a lingering
close), so that a client refused in mid-upload reads the answer rather than a reset.
"""

from __future__ import annotations

import asyncio
import functools
import os
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from lrs.api.http_writes import CoalescingTransport
from lrs.api.middleware import ANSWERED_STATUS, REQUEST_ID
from lrs.logs import log_access, request_id_var

HEAD_TOO_LARGE = b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\n"
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\n"
MIN_CHUNK_BYTES = 64
SMALL_CHUNKS_ALLOWED = 1024
# How long a refused request's connection stays open for the client to stop sending and read
# the answer (Apache's lingering close): closed with its bytes unread, the kernel would reset
# it, and the client could lose the answer.
LINGER_SECONDS = 2.0
# Bytes a second a slow body must average to keep its connection past the body timeout
# (Apache's mod_reqtimeout default): a 1 MB body has 2,000 s more.
BODY_MIN_RATE = 500


class _Refused(Exception):
    """Stops the parser once the request is refused (uvicorn then skips its own 400)."""


class BoundedRequestProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a limit on the size of each request head and on the time a
    request's head and body may take to arrive."""

    def __init__(
        self,
        *args: Any,
        max_head_bytes: int,
        max_header_fields: int,
        header_timeout: float,
        body_timeout: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._max_head_bytes = max_head_bytes
        self._max_header_fields = max_header_fields
        self._header_fields = 0
        self._header_timeout = header_timeout
        self._body_timeout = body_timeout
        self._head_bytes = 0
        self._in_head = True
        self._in_message = False
        self._exact_head = 0
        self._body_bytes = 0
        self._chunks = 0
        self._chunked = False
        self._body_pieces: list[bytes] = []
        self._refused = False
        self._clock_started = 0.0
        # The last check found the server, not the client, holding the request up.
        self._server_was_waiting = False
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Only the writes go through the wrapper: flow control keeps the socket's transport.
        self.transport = CoalescingTransport(transport, asyncio.get_running_loop())
        # The first request's head is timed from the connection: one that sends nothing
        # is not held either.
        self._start_clock(self._header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_clock()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # Counted before parsing, checked after: one read may carry a whole small request
        # (head and body), and only a head still incomplete past the limit is refused. So a
        # connection buffers at most the limit plus one read.
        if self._refused:
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._body_pieces:
            self._hand_on_body()
        if self._in_head and self._head_bytes > self._max_head_bytes:
            self._refuse(self._too_large_message())
        elif self._in_message and self._deadline is None and not self.transport.is_closing():
            # A request left incomplete by this read: from now on it is timed.
            self._start_clock(self._header_timeout if self._in_head else self._body_timeout)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._server_was_waiting = False
        self._in_head = True
        self._in_message = True
        self._head_bytes = 0
        self._exact_head = 0
        self._header_fields = 0
        self._body_bytes = 0
        self._chunks = 0
        self._chunked = False

    def on_url(self, url: bytes) -> None:
        self._exact_head += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._exact_head += len(name) + len(value) + 4
        self._header_fields += 1
        if self._header_fields > self._max_header_fields:
            self._refuse(
                f"more than {self._max_header_fields} header fields (LRS_MAX_HEADER_FIELDS)"
            )
            raise _Refused
        if len(name) == 17 and name.lower() == b"transfer-encoding":
            self._chunked = True
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        # The head's clock stops; a body still to come gets its own once this read is done.
        self._stop_clock()
        if self._exact_head > self._max_head_bytes:
            # The whole head came in one read: still too large.
            self._refuse(self._too_large_message())
            raise _Refused
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        # Called once per chunk: kept to a count and an append, handed on once per read.
        self._body_bytes += len(body)
        self._chunks += 1
        self._body_pieces.append(body)
        if (
            self._chunked
            and self._chunks > SMALL_CHUNKS_ALLOWED
            and self._chunks > SMALL_CHUNKS_ALLOWED + self._body_bytes // MIN_CHUNK_BYTES
        ):
            self._body_pieces.clear()
            self._answer_for_app(
                BAD_REQUEST,
                400,
                f"chunked request body split into too many small chunks (more than "
                f"{SMALL_CHUNKS_ALLOWED} plus one per {MIN_CHUNK_BYTES} bytes)",
            )
            raise _Refused

    def _hand_on_body(self) -> None:
        pieces = self._body_pieces
        self._body_pieces = []
        super().on_body(pieces[0] if len(pieces) == 1 else b"".join(pieces))

    def on_message_complete(self) -> None:
        self._in_message = False
        self._stop_clock()
        if self._body_pieces:
            self._hand_on_body()
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        if not self._refused:
            super().send_400_response(msg)

    def _start_clock(self, seconds: float) -> None:
        self._clock_started = self.loop.time()
        self._deadline = self.loop.call_later(seconds, self._check_clock)

    def _stop_clock(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _allowed(self) -> float:
        """Seconds the request in progress may take from its clock's start."""
        if self._in_head or not self._in_message:
            return self._header_timeout
        return self._body_timeout + self._body_bytes / BODY_MIN_RATE

    def _check_clock(self) -> None:
        self._deadline = None
        if self._refused or self.transport.is_closing():
            return
        now = self.loop.time()
        cycle = self.cycle
        server_waiting = self.flow.read_paused or (
            not self._in_head and cycle is not None and cycle.waiting_for_100_continue
        )
        if server_waiting or self._server_was_waiting:
            # Waiting on the server, not on the client: the clock starts again. So it does
            # once more when the wait has ended since the last check (reading resumed, or
            # `100 Continue` sent only now): the client's time starts then, not at that check.
            self._server_was_waiting = server_waiting
            self._start_clock(self._allowed())
            return
        left = self._clock_started + self._allowed() - now
        if left > 0:
            self._deadline = self.loop.call_later(left, self._check_clock)
            return
        self._time_out(now - self._clock_started)

    def _time_out(self, waited: float) -> None:
        if not self._in_message:
            # Nothing of a request has come: closed as an idle keep-alive connection is.
            self.transport.close()
            return
        part, setting = (
            ("head", "LRS_HEADER_TIMEOUT_SECONDS")
            if self._in_head
            else ("body", "LRS_BODY_TIMEOUT_SECONDS")
        )
        message = f"request {part} not received in time (limit {setting})"
        if self._in_head:
            request_id = os.urandom(16).hex()
            _log_unrouted(408, request_id, waited)
            self._in_head = False
            self._in_message = False
            self._answer_and_close(REQUEST_TIMEOUT, 408, message, request_id)
        else:
            self._answer_for_app(REQUEST_TIMEOUT, 408, message)

    def _answer_for_app(self, status_line: bytes, status: int, message: str) -> None:
        """Refuse the request whose body is being read (the app has started on its head):
        the app then sees the client gone, and its access line gives `status` (not 499),
        with the request's own id, which the answer carries too. If the app has answered
        already, the connection is only closed."""
        self._in_message = False
        self._stop_clock()
        request_id = os.urandom(16).hex()
        if self.cycle is not None:
            scope: dict[str, Any] = self.cycle.scope  # type: ignore[assignment]
            scope[ANSWERED_STATUS] = status
            request_id = scope.get(REQUEST_ID, request_id)
            if self.cycle.response_started:
                self._refused = True
                self.transport.close()
                return
        self._answer_and_close(status_line, status, message, request_id)

    def _too_large_message(self) -> str:
        return (
            f"request line and headers larger than the limit of {self._max_head_bytes} "
            "bytes (LRS_MAX_HEADER_BYTES)"
        )

    def _refuse(self, message: str) -> None:
        """Answer 431 for a request head past a limit, and close."""
        self._in_head = False
        if self._refused or self.transport.is_closing():
            return
        self._stop_clock()
        request_id = os.urandom(16).hex()
        _log_unrouted(431, request_id, 0.0)
        self._answer_and_close(HEAD_TOO_LARGE, 431, message, request_id)

    def _answer_and_close(
        self, status_line: bytes, status: int, message: str, request_id: str
    ) -> None:
        self._refused = True
        body = orjson.dumps({"error": {"status": status, "message": message}})
        head = [
            status_line,
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"x-request-id: " + request_id.encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self._linger()

    def _linger(self) -> None:
        """Close the connection once the client has read the answer and stopped sending, or
        after `LINGER_SECONDS`: the answer goes out with the end of what the server sends,
        and whatever the client still sends is read and dropped meanwhile."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app, reading the body, sees the client gone
            cycle.message_event.set()
        self._stop_clock()
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self.flow.resume_reading()
        # The client's end (eof_received) closes the transport before this, as a rule.
        self._deadline = self.loop.call_later(LINGER_SECONDS, self.transport.close)


def _log_unrouted(status: int, request_id: str, seconds: float) -> None:
    """The access line of an answer given before a request reached the app (its method and
    path unknown or not trusted)."""
    token = request_id_var.set(request_id)
    try:
        log_access("-", "-", status, round(seconds * 1000, 2))
    finally:
        request_id_var.reset(token)


def bounded_protocol(
    max_head_bytes: int,
    *,
    max_header_fields: int,
    header_timeout: float,
    body_timeout: float,
) -> Any:
    """What `uvicorn.run(http=...)` takes: a protocol factory with the limits bound (a
    partial of a module-level class, so it also reaches `--workers` processes)."""
    return functools.partial(
        BoundedRequestProtocol,
        max_head_bytes=max_head_bytes,
        max_header_fields=max_header_fields,
        header_timeout=header_timeout,
        body_timeout=body_timeout,
    )
