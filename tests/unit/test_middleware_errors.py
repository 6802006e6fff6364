"""A failure nothing else handled is answered inside the request context; a client that goes
away is not an error."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from lrs.api.metrics import Metrics
from lrs.api.middleware import RequestContextMiddleware, XapiVersionMiddleware
from lrs.xapi.versions import XapiVersion


async def _failing(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("a bug")


async def _reads_body(scope: Scope, receive: Receive, send: Send) -> None:
    await Request(scope, receive).body()


def _client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://lrs.test")


async def test_an_unhandled_500_carries_request_id_and_version(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = Metrics()
    app = RequestContextMiddleware(
        XapiVersionMiddleware(_failing, primary=XapiVersion.V2_0_0), metrics=metrics
    )
    async with _client(app) as client:
        with caplog.at_level(logging.ERROR, logger="lrs.api"):
            response = await client.get(
                "/xAPI/statements",
                headers={"X-Request-ID": "req-1", "X-Experience-API-Version": "2.0.0"},
            )
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-1"
    assert response.headers["x-experience-api-version"] == "2.0.0"
    assert response.json()["error"]["status"] == 500
    assert [r.message for r in caplog.records if r.name == "lrs.api"] == ["unexpected error"]


async def test_a_client_gone_mid_upload_is_499_not_500() -> None:
    metrics = Metrics()
    app = RequestContextMiddleware(_reads_body, metrics=metrics)
    messages = iter([{"type": "http.request", "body": b"[", "more_body": True}])
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return next(messages, {"type": "http.disconnect"})

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/xAPI/statements", "headers": []}
    await app(scope, receive, send)  # type: ignore[arg-type]
    assert sent == []
    rendered = metrics.render(None).decode()
    assert 'status="500"' not in rendered
    assert 'status="499"' in rendered
