"""The response writes of `lrs serve`: one socket write for a small answer's head and body
(`lrs.api.http_writes.CoalescingTransport`), with every byte of every answer, large or
streamed, pipelined or closing, still sent in order."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from lrs.api.http_limits import bounded_protocol
from lrs.api.http_writes import FLUSH_BYTES, CoalescingTransport
from tests.conftest import threaded_server


class RecordingTransport(asyncio.Transport):
    """The socket's side: what was written, in which calls."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.pieces: list[list[bytes]] = []  # each write's pieces, as handed over
        self.closed = False
        self.aborted = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))
        self.pieces.append([bytes(data)])

    def writelines(self, list_of_data: Any) -> None:
        """One write of several pieces (uvloop's writev)."""
        pieces = list(list_of_data)
        self.writes.append(b"".join(pieces))
        self.pieces.append(pieces)

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def get_write_buffer_size(self) -> int:
        return 0


async def test_the_writes_of_one_loop_step_leave_as_one() -> None:
    socket_side = RecordingTransport()
    transport = CoalescingTransport(socket_side, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"")  # an empty body message writes nothing
    transport.write(b"{}")
    assert socket_side.writes == []
    assert transport.get_write_buffer_size() == 40
    await asyncio.sleep(0)
    assert socket_side.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    assert transport.get_write_buffer_size() == 0
    transport.write(b"next")
    await asyncio.sleep(0)
    assert socket_side.writes[1:] == [b"next"]


async def test_a_large_write_is_not_held() -> None:
    socket_side = RecordingTransport()
    transport = CoalescingTransport(socket_side, asyncio.get_running_loop())
    transport.write(b"head")
    transport.write(b"x" * FLUSH_BYTES)
    assert socket_side.writes == [b"head" + b"x" * FLUSH_BYTES]
    await asyncio.sleep(0)  # the scheduled flush finds nothing left
    assert len(socket_side.writes) == 1


async def test_a_large_body_is_handed_over_without_a_copy() -> None:
    """A page of statements is hundreds of KB: the head and the body go out in one write of
    two pieces, the body the very object the response built."""
    socket_side = RecordingTransport()
    transport = CoalescingTransport(socket_side, asyncio.get_running_loop())
    body = b"x" * (4 * FLUSH_BYTES)
    transport.write(b"head")
    transport.write(body)
    assert len(socket_side.pieces) == 1
    head, sent = socket_side.pieces[0]
    assert head == b"head"
    assert sent is body


async def test_close_writes_what_is_held_first_and_abort_drops_it() -> None:
    socket_side = RecordingTransport()
    transport = CoalescingTransport(socket_side, asyncio.get_running_loop())
    transport.write(b"last answer")
    transport.close()
    assert socket_side.writes == [b"last answer"]
    assert socket_side.closed
    assert transport.is_closing()

    dropped = RecordingTransport()
    transport = CoalescingTransport(dropped, asyncio.get_running_loop())
    transport.write(b"never sent")
    transport.abort()
    await asyncio.sleep(0)
    assert dropped.writes == []
    assert dropped.aborted


async def test_what_is_held_for_a_client_gone_is_dropped() -> None:
    socket_side = RecordingTransport()
    transport = CoalescingTransport(socket_side, asyncio.get_running_loop())
    transport.write(b"an answer")
    socket_side.aborted = True  # the connection is lost before the loop step ends
    await asyncio.sleep(0)
    assert socket_side.writes == []


BIG = bytes(range(256)) * 4096  # 1 MiB, streamed in 16 KiB chunks without a pause


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/big":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for start in range(0, len(BIG), 16384):
            chunk = BIG[start : start + 16384]
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    body = scope["path"].encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def served() -> Iterator[int]:
    """The test app on uvicorn with the protocol `lrs serve` uses."""
    with threaded_server(
        _app,
        lifespan="off",
        http=bounded_protocol(65536, max_header_fields=100, header_timeout=20, body_timeout=20),
    ) as url:
        yield int(url.rsplit(":", 1)[1])


def _read_all(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(1 << 16):
        received += chunk
    return received


def test_pipelined_answers_come_whole_and_in_order(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served), timeout=10) as sock:
        requests = [f"GET /r{n} HTTP/1.1\r\nhost: x\r\n\r\n".encode() for n in range(5)]
        sock.sendall(
            b"".join(requests) + b"HEAD /r5 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
        )
        received = _read_all(sock)
    answers = received.split(b"HTTP/1.1 200 OK\r\n")[1:]
    assert [a.split(b"\r\n\r\n", 1)[1] for a in answers] == [
        *(f"/r{n}".encode() for n in range(5)),
        b"",  # HEAD: the head alone, then the connection closes
    ]


def test_a_large_streamed_answer_arrives_whole(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served), timeout=10) as sock:
        sock.sendall(b"GET /big HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        received = _read_all(sock)
    head, _, chunked = received.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head
    body = b""
    while True:
        size_line, _, chunked = chunked.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        body += chunked[:size]
        chunked = chunked[size + 2 :]
    assert body == BIG
