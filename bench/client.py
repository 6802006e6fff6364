"""The HTTP side: one asyncio process, one httpx client, a timed request helper."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from bench.report import Recorder


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


def make_client(target: Target, concurrency: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=target.base,
        auth=(target.key, target.secret),
        headers={"X-Experience-API-Version": target.version},
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        timeout=httpx.Timeout(60.0),
    )


async def timed(
    client: httpx.AsyncClient,
    recorder: Recorder,
    method: str,
    url: str,
    *,
    items: int = 1,
    content: bytes | None = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response | None:
    """Send one request and record its latency and status; a transport error counts as 0."""
    started = time.perf_counter()
    try:
        response = await client.request(
            method, url, content=content, params=params, headers=headers
        )
    except httpx.HTTPError:
        recorder.record(0, time.perf_counter() - started, items)
        return None
    recorder.record(response.status_code, time.perf_counter() - started, items)
    return response


JSON = {"Content-Type": "application/json"}


def body_of(value: Any) -> bytes:
    return orjson.dumps(value)
