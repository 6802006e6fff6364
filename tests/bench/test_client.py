"""The load generator's HTTP client against a real socket server that answers as told: what it
sends, how it reads each kind of response, when it reuses a connection, and what counts as a
transport error (recorded as status 0, never raised into a mode)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from bench.client import LeanClient, Target, TransportError, make_client, timed
from bench.report import Recorder

Answer = Callable[[bytes], bytes | None]  # the request's head and body -> raw response, or close


@dataclass
class Server:
    """Answers each request on a connection with `answer`; counts connections, keeps requests."""

    answer: Answer
    hang_up_after: bool = False  # close each connection after its first answer
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                response = self.answer(request)
                if response is None:
                    break
                writer.write(response)
                await writer.drain()
                if self.hang_up_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


Serve = Callable[..., Awaitable[Server]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Starts servers on free ports; closes them after the test."""
    listeners: list[asyncio.Server] = []

    async def start(answer: Answer, *, hang_up_after: bool = False) -> Server:
        server = Server(answer, hang_up_after)
        listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        server.port = listener.sockets[0].getsockname()[1]
        listeners.append(listener)
        return server

    yield start
    for listener in listeners:
        listener.close()
        await listener.wait_closed()


def _ok(body: bytes, *extra: str) -> bytes:
    head = "".join(f"{line}\r\n" for line in extra)
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body


def _chunked(*pieces: bytes) -> bytes:
    body = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body


async def test_sends_credentials_version_body_and_params(serve: Serve) -> None:
    server = await serve(lambda request: _ok(b'{"ok": true}'))
    target = Target(f"http://127.0.0.1:{server.port}/xAPI/", "key", "secret", "1.0.3")
    async with make_client(target, 2) as client:
        response = await client.request(
            "POST",
            "/xAPI/statements",
            content=b'{"a": 1}',
            params={"agent": '{"mbox": "mailto:a@b.c"}', "limit": "5"},
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    [request] = server.requests
    head, body = request.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    assert lines[0] == (
        "POST /xAPI/statements?agent=%7B%22mbox%22%3A+%22mailto%3Aa%40b.c%22%7D&limit=5 HTTP/1.1"
    )
    token = base64.b64encode(b"key:secret").decode()
    assert f"Authorization: Basic {token}" in lines
    assert "X-Experience-API-Version: 1.0.3" in lines
    assert f"Host: 127.0.0.1:{server.port}" in lines
    assert "Content-Length: 8" in lines
    assert body == b'{"a": 1}'


async def test_keeps_connections_alive_up_to_the_bound(serve: Serve) -> None:
    server = await serve(lambda request: _ok(b"x" * 300_000))
    async with LeanClient(f"http://127.0.0.1:{server.port}", {}, 3) as client:
        responses = await asyncio.gather(*(client.get("/about") for _ in range(30)))
    assert all(r.status_code == 200 and len(r.content) == 300_000 for r in responses)
    assert len(server.requests) == 30
    assert 1 <= server.connections <= 3


async def test_reads_chunked_bodies_and_streams_lines(serve: Serve) -> None:
    server = await serve(lambda request: _chunked(b"id,verb\n1,", b"a\n2,b", b"\n3,c"))
    async with LeanClient(f"http://127.0.0.1:{server.port}", {}, 1) as client:
        whole = await client.get("/export")
        async with client.stream_lines("GET", "/export") as (status, lines):
            got = [line async for line in lines]
    assert whole.content == b"id,verb\n1,a\n2,b\n3,c"
    assert status == 200
    assert got == [b"id,verb", b"1,a", b"2,b", b"3,c"]
    assert server.connections == 1  # the chunked response ended cleanly: reused


async def test_a_closing_server_gets_a_new_connection(serve: Serve) -> None:
    server = await serve(lambda request: _ok(b"bye", "Connection: close"))
    async with LeanClient(f"http://127.0.0.1:{server.port}", {}, 1) as client:
        for _ in range(3):
            assert (await client.get("/")).content == b"bye"
    assert server.connections == 3


async def test_links_in_full_and_a_base_path(serve: Serve) -> None:
    server = await serve(lambda request: _ok(b"{}"))
    async with LeanClient(f"http://127.0.0.1:{server.port}/lrs", {}, 1) as client:
        await client.get("/xAPI/about")
        await client.get(f"http://127.0.0.1:{server.port}/lrs/xAPI/statements?more=abc")
    first, second = (request.split(b"\r\n", 1)[0] for request in server.requests)
    assert first == b"GET /lrs/xAPI/about HTTP/1.1"
    assert second == b"GET /lrs/xAPI/statements?more=abc HTTP/1.1"


async def test_transport_errors_are_recorded_as_status_0(serve: Serve) -> None:
    hang_up = await serve(lambda request: None)
    cut_short = await serve(
        lambda request: b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this",
        hang_up_after=True,
    )
    garbage = await serve(lambda request: b"SSH-2.0-OpenSSH\r\n\r\n")
    recorder = Recorder()
    for server in (hang_up, cut_short, garbage):
        async with LeanClient(f"http://127.0.0.1:{server.port}", {}, 1) as client:
            with pytest.raises(TransportError):
                await client.get("/")
            assert await timed(client, recorder, "GET", "/") is None
    refused = LeanClient("http://127.0.0.1:1", {}, 1)  # nothing listens on port 1
    assert await timed(refused, recorder, "GET", "/") is None
    summary = recorder.summary()
    assert summary["requests"] == 4
    assert summary["errors"] == {"0": 4}


def test_only_plain_http() -> None:
    with pytest.raises(ValueError, match="only http://"):
        LeanClient("https://lrs.example.com", {}, 1)
