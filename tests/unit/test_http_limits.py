"""The read deadlines of `lrs serve`'s HTTP protocol (`lrs.api.http_limits`): a request head
must arrive within the header timeout, a body within the body timeout plus a second per 500
bytes delivered; the server's own waits do not count, and a connection idle between requests
is left to the keep-alive timeout."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from lrs.api.http_limits import (
    BODY_MIN_RATE,
    LINGER_SECONDS,
    MIN_CHUNK_BYTES,
    SMALL_CHUNKS_ALLOWED,
    bounded_protocol,
)
from lrs.api.middleware import ANSWERED_STATUS
from tests.conftest import threaded_server

TIMEOUT = 0.6  # seconds, for both the head and the body
MAX_FIELDS = 20
SEEN: list[dict[str, Any]] = []  # what the app saw of each request


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Echoes the size of the body it read; waits first when asked (`/slow`)."""
    if scope["path"] == "/slow":
        await asyncio.sleep(2 * TIMEOUT)
    elif scope["path"] == "/nearly-slow":  # reads just before the clock's second check
        await asyncio.sleep(2 * TIMEOUT - TIMEOUT / 6)
    body, event = b"", {"more_body": True}
    while event.get("more_body"):
        event = await receive()
        if event["type"] == "http.disconnect":
            SEEN.append({"path": scope["path"], "disconnected": True, "scope": scope})
            return
        body += event.get("body", b"")
    SEEN.append({"path": scope["path"], "disconnected": False, "scope": scope})
    answer = orjson.dumps({"read": len(body)})
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(answer)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    protocol = bounded_protocol(
        65536, max_header_fields=MAX_FIELDS, header_timeout=TIMEOUT, body_timeout=TIMEOUT
    )
    with threaded_server(_app, lifespan="off", http=protocol) as url:
        yield int(url.rsplit(":", 1)[1])


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _read_all(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and when it closed."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass  # closed with our bytes unread: what came before is still the answer
    return data, time.monotonic()


def _response(port: int, request: bytes) -> bytes:
    with _connect(port) as sock:
        sock.sendall(request)  # its last request asks to close
        return _read_all(sock)[0]


def _post(path: str, body: bytes, extra: bytes = b"") -> tuple[bytes, bytes]:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n".encode()
        + extra
        + b"\r\n"
    )
    return head, body


def _error(reply: bytes) -> dict[str, Any]:
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), reply[:300]
    assert b"connection: close" in head.lower()
    assert b"x-request-id: " in head.lower()
    error: dict[str, Any] = orjson.loads(body)["error"]
    assert error["status"] == 408
    return error


def _assert_the_app_saw_the_client_gone(answered: int) -> None:
    """The app, reading the body, was told the client left, and its scope says the status
    the protocol answered with (what its access line reports)."""
    deadline = time.monotonic() + 5
    while not SEEN and time.monotonic() < deadline:
        time.sleep(0.02)
    assert SEEN
    assert SEEN[0]["disconnected"]
    assert SEEN[0]["scope"].get(ANSWERED_STATUS) == answered


def test_a_connection_that_sends_nothing_is_closed(port: int) -> None:
    with _connect(port) as sock:
        opened = time.monotonic()
        reply, closed = _read_all(sock)
    assert reply == b""  # nothing of a request came: no answer, as for an idle keep-alive
    assert TIMEOUT * 0.9 <= closed - opened < TIMEOUT + 2


def test_a_stalled_head_is_answered_408_and_logged(
    port: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="lrs.access")
    with _connect(port) as sock:
        sock.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        reply, _ = _read_all(sock)
    assert "LRS_HEADER_TIMEOUT_SECONDS" in _error(reply)["message"]
    lines = [r for r in caplog.records if r.name == "lrs.access"]
    assert [r.getMessage() for r in lines] == ["- - 408"]
    assert lines[0].__dict__["duration_ms"] >= TIMEOUT * 900


def test_a_head_sent_a_byte_at_a_time_gets_no_more_time(port: int) -> None:
    """The head's limit is for all of it, not between reads."""
    head = b"GET /x HTTP/1.1\r\nHost: x\r\nX-Drip: " + b"a" * 200
    with _connect(port) as sock:
        started = time.monotonic()
        sent = 0
        try:
            for byte in head:
                sock.sendall(bytes([byte]))
                sent += 1
                time.sleep(TIMEOUT / 10)
        except OSError:
            pass  # closed on us: what the test wants
        reply, closed = _read_all(sock)
    assert sent < len(head)
    # Answered at the timeout, then closed once the client stopped sending (it did not).
    assert closed - started < TIMEOUT + LINGER_SECONDS + 1
    assert "LRS_HEADER_TIMEOUT_SECONDS" in _error(reply)["message"]


def test_a_stalled_body_is_answered_408_and_the_app_sees_the_client_gone(port: int) -> None:
    SEEN.clear()
    head, body = _post("/stall", b"x" * 1000)
    with _connect(port) as sock:
        sock.sendall(head + body[:100])
        reply, _ = _read_all(sock)
    assert "LRS_BODY_TIMEOUT_SECONDS" in _error(reply)["message"]
    _assert_the_app_saw_the_client_gone(answered=408)


def test_a_slow_body_that_keeps_coming_is_read(port: int) -> None:
    """Past the body timeout a body may go on at BODY_MIN_RATE bytes a second or faster."""
    chunk = BODY_MIN_RATE // 2
    payload = b"y" * (chunk * 8)  # 2 s at twice the minimum rate: past the timeout
    head, body = _post("/slow-body", payload, b"Connection: close\r\n")
    with _connect(port) as sock:
        sock.sendall(head)
        for start in range(0, len(body), chunk):
            sock.sendall(body[start : start + chunk])
            time.sleep(chunk / (2 * BODY_MIN_RATE))
        reply, _ = _read_all(sock)
    assert reply.startswith(b"HTTP/1.1 200"), reply[:300]
    assert orjson.loads(reply.partition(b"\r\n\r\n")[2]) == {"read": len(payload)}


def test_a_body_slower_than_the_minimum_rate_is_answered_408(port: int) -> None:
    chunk = BODY_MIN_RATE // 10
    head, body = _post("/drip", b"d" * (chunk * 100))  # a third of the minimum rate
    with _connect(port) as sock:
        sock.sendall(head)
        started = time.monotonic()
        try:
            for start in range(0, len(body), chunk):
                sock.sendall(body[start : start + chunk])
                time.sleep(chunk / (BODY_MIN_RATE / 3))
        except OSError:
            pass  # closed on us
        reply, closed = _read_all(sock)
    assert closed - started < 3 * TIMEOUT + 2
    assert "LRS_BODY_TIMEOUT_SECONDS" in _error(reply)["message"]


def test_idle_time_between_requests_is_not_a_slow_head(port: int) -> None:
    """After a request the keep-alive timeout (5 s) governs, not the head's."""
    request = b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n"
    with _connect(port) as sock:
        sock.sendall(request)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        time.sleep(2 * TIMEOUT)
        sock.sendall(request)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        # A head started then stalled on the same connection is timed from its first byte.
        sock.sendall(b"GET /x HTTP/1.1\r\n")
        started = time.monotonic()
        reply, closed = _read_all(sock)
    assert closed - started < TIMEOUT + 2
    assert "LRS_HEADER_TIMEOUT_SECONDS" in _error(reply)["message"]


def test_the_servers_own_wait_for_100_continue_does_not_count(port: int) -> None:
    """The app waits past the body timeout before reading; the client, asked to wait for
    `100 Continue`, sends its body only then, and is answered."""
    head, body = _post("/slow", b"z" * 300, b"Expect: 100-continue\r\n")
    with _connect(port) as sock:
        sock.sendall(head)
        interim = sock.recv(65536)
        assert interim.startswith(b"HTTP/1.1 100"), interim
        sock.sendall(body)
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 200"), reply[:300]


def test_the_body_clock_starts_when_100_continue_is_sent(port: int) -> None:
    """`100 Continue` sent just before a check of the clock: the client, which sends its body
    half a timeout later, is within its time (the clock starts again at that check rather
    than running on from the one before, which would leave it a sixth of a timeout)."""
    head, body = _post("/nearly-slow", b"z" * 300, b"Expect: 100-continue\r\n")
    with _connect(port) as sock:
        sock.sendall(head)
        interim = sock.recv(65536)
        assert interim.startswith(b"HTTP/1.1 100"), interim
        time.sleep(TIMEOUT / 2)
        sock.sendall(body)
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 200"), reply[:300]


def test_a_whole_request_in_one_read_and_pipelined_ones_are_answered(port: int) -> None:
    one = b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n"
    head, body = _post("/y", b"{}", b"Connection: close\r\n")
    reply = _response(port, one + one + head + body)
    assert reply.count(b"HTTP/1.1 200") == 3, reply


def test_a_head_too_large_is_answered_431_and_logged(
    port: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="lrs.access")
    request = b"GET /x HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 70_000 + b"\r\n\r\n"
    with _connect(port) as sock:
        with contextlib.suppress(OSError):  # closed on us
            sock.sendall(request)
        reply, _ = _read_all(sock)
    assert reply.startswith(b"HTTP/1.1 431 "), reply[:200]
    lines = [r for r in caplog.records if r.name == "lrs.access"]
    assert [r.getMessage() for r in lines] == ["- - 431"]


def _with_fields(count: int) -> bytes:
    """A request with `count` header fields, Host included; it asks to close after."""
    fields = b"".join(b"X-F%d: v\r\n" % n for n in range(count - 2))
    return b"GET /x HTTP/1.1\r\nHost: x\r\n" + fields + b"Connection: close\r\n\r\n"


def test_a_head_at_the_header_field_limit_is_answered(port: int) -> None:
    reply = _response(port, _with_fields(MAX_FIELDS))
    assert reply.startswith(b"HTTP/1.1 200"), reply[:300]


@pytest.mark.parametrize("count", [MAX_FIELDS + 1, 3_000])
def test_more_header_fields_than_allowed_are_answered_431_and_logged(
    port: int, count: int, caplog: pytest.LogCaptureFixture
) -> None:
    """3,000 fields fit in 64 KiB; each costs the parser a call into Python."""
    caplog.set_level(logging.INFO, logger="lrs.access")
    with _connect(port) as sock:
        with contextlib.suppress(OSError):  # closed on us
            sock.sendall(_with_fields(count))
        reply, _ = _read_all(sock)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 "), reply[:300]
    error = orjson.loads(body)["error"]
    assert error == {
        "status": 431,
        "message": f"more than {MAX_FIELDS} header fields (LRS_MAX_HEADER_FIELDS)",
    }
    lines = [r for r in caplog.records if r.name == "lrs.access"]
    assert [r.getMessage() for r in lines] == ["- - 431"]


def _chunked(sizes: list[int]) -> bytes:
    """A chunked POST whose body is chunks of these sizes; it asks to close after."""
    head = b"POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    body = b"".join(b"%x\r\n" % size + b"c" * size + b"\r\n" for size in sizes)
    return head + b"Connection: close\r\n\r\n" + body + b"0\r\n\r\n"


def test_a_body_in_tiny_chunks_is_answered_400_and_the_app_sees_why(port: int) -> None:
    SEEN.clear()
    with _connect(port) as sock:
        with contextlib.suppress(OSError):  # closed on us
            sock.sendall(_chunked([1] * 100_000))
        reply, _ = _read_all(sock)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), reply[:300]
    error = orjson.loads(body)["error"]
    assert error["status"] == 400
    assert f"one per {MIN_CHUNK_BYTES} bytes" in error["message"]
    _assert_the_app_saw_the_client_gone(answered=400)


def test_a_refused_client_still_sending_gets_the_answer_not_a_reset(port: int) -> None:
    """Refused early, the client goes on sending 600 KB: the server reads and drops it
    (lingering close), so the client's sending succeeds and it reads the answer whole."""
    with _connect(port) as sock:
        sock.sendall(_chunked([1] * 100_000))  # raises if the connection was reset
        reply = b""
        while chunk := sock.recv(65536):  # raises if the connection was reset
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), reply[:300]
    assert orjson.loads(body)["error"]["status"] == 400


@pytest.mark.parametrize(
    "sizes",
    [
        [1] * SMALL_CHUNKS_ALLOWED,  # tiny, but few enough
        [MIN_CHUNK_BYTES] * (4 * SMALL_CHUNKS_ALLOWED),  # many, but large enough
        [1] * SMALL_CHUNKS_ALLOWED + [MIN_CHUNK_BYTES * 2] * SMALL_CHUNKS_ALLOWED,
        [70_000, 3, 70_000],
    ],
    ids=["few-tiny", "many-at-the-minimum", "tiny-then-large", "large"],
)
def test_chunked_bodies_clients_send_are_read_whole(port: int, sizes: list[int]) -> None:
    reply = _response(port, _chunked(sizes))
    assert reply.startswith(b"HTTP/1.1 200"), reply[:300]
    assert orjson.loads(reply.partition(b"\r\n\r\n")[2]) == {"read": sum(sizes)}
