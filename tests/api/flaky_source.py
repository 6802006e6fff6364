"""A deliberately bad LRS for `lrs pull` tests: an ASGI proxy in front of a real lrs that,
request by request as its plan says, answers 503 or 429, stalls, drops the connection in
the middle of a body, breaks a statement, or dies for good. Served by uvicorn in a thread."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import httpx

from tests.conftest import threaded_server

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Plan = Callable[[int], str]

ACTIONS = ("ok", "503", "429", "slow", "drop", "corrupt", "dead")


class FlakySource:
    """Forwards every GET to `upstream`; request n (from 0) gets `plan(n)`, one of ACTIONS."""

    def __init__(self, upstream: str, plan: Plan) -> None:
        self.upstream = upstream
        self.plan = plan
        self.requests = 0
        self.seen: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        action = self.plan(self.requests)
        assert action in ACTIONS, action
        self.requests += 1
        self.seen.append(action)
        if action in ("503", "dead"):
            await _answer(send, 503 if action == "503" else 500, b'{"error": "down"}')
            return
        if action == "429":
            await _answer(send, 429, b"{}", [(b"retry-after", b"0")])
            return
        if action == "slow":
            await asyncio.sleep(0.3)
        status, headers, body = await self._forward(scope)
        if action == "corrupt":
            body = _without_a_verb(body)
        if action == "drop":
            # Headers promise the whole body, half of it is sent, then the connection closes.
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
            raise ConnectionAbortedError("dropped on purpose")
        headers = [(k, v) for k, v in headers if k != b"content-length"]
        await _answer(send, status, body, headers)

    async def _forward(self, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        query = scope.get("query_string", b"").decode()
        url = self.upstream + scope["path"] + (f"?{query}" if query else "")
        wanted = {b"authorization", b"x-experience-api-version"}
        headers = {k.decode(): v.decode() for k, v in scope["headers"] if k in wanted}
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.get(url, headers=headers)
        kept = [
            (k.lower().encode(), v.encode())
            for k, v in response.headers.items()
            if k.lower() in ("content-type", "x-experience-api-consistent-through")
        ]
        return response.status_code, kept, response.content


def _without_a_verb(body: bytes) -> bytes:
    """The page with its first statement's verb renamed (same length: a multipart body's
    framing stays intact)."""
    assert b'"verb":' in body
    return body.replace(b'"verb":', b'"vxrb":', 1)


async def _answer(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [*(headers or []), (b"content-length", str(len(body)).encode())]
    if not any(k == b"content-type" for k, _ in headers):
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@contextmanager
def serve(app: Callable[..., Awaitable[None]]) -> Iterator[str]:
    """Run an ASGI app on a free loopback port in a thread; yields its base URL."""
    with threaded_server(app, lifespan="off", log_level="critical") as url:
        yield url
