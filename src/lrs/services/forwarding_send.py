"""Sending one batch to one target over HTTP, and what came of it.

xAPI targets get `POST {url}/statements` (the statements with their ids; multipart/mixed with
the attachments' payloads when any is stored here), the target's Basic credentials and its
X-Experience-API-Version. A 409 for the batch is resolved per statement: `PUT` each one, and
a 409 there counts as delivered when the target holds an equivalent statement (ST-PROC-015).
Webhooks get the JSON array, signed (see `forwarding_rules.signature`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from lrs.services.forwarding_rules import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Verdict,
    classify,
    retry_after,
    signature,
)
from lrs.xapi.equivalence import statements_equivalent
from lrs.xapi.multipart import build_multipart_response
from lrs.xapi.versions import VERSION_HEADER

_RETRY_AFTER_CAP = 3600.0


@dataclass(frozen=True)
class Outcome:
    """`delivered`: all of it; `retry`: nothing certain, try the batch again (after
    `wait` seconds when the target said so); `permanent`: the batch, or only `refused`
    (statement ids) when the others were delivered, goes to dead letters."""

    verdict: Verdict
    error: str | None = None
    wait: float | None = None
    refused: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Destination:
    type: str
    url: str
    username: str | None
    secret: str
    xapi_version: str | None


def _failure(response: httpx.Response) -> Outcome:
    verdict = classify(response.status_code)
    text = response.text[:300].replace("\n", " ")
    wait = None
    if response.status_code == 429:
        wait = retry_after(response.headers.get("retry-after"), datetime.now(UTC), _RETRY_AFTER_CAP)
    return Outcome(verdict, f"HTTP {response.status_code}: {text}", wait)


async def send(
    client: httpx.AsyncClient,
    target: Destination,
    statements: Sequence[dict[str, Any]],
    attachments: Sequence[tuple[str, str, bytes]],
) -> Outcome:
    """Deliver one batch; network errors and timeouts are retried like 5xx."""
    delivery = _Delivery(client, target)
    try:
        if target.type == "webhook":
            return await delivery.webhook(statements)
        return await delivery.xapi(statements, attachments)
    except httpx.TimeoutException:
        return Outcome("retry", "timeout")
    except httpx.HTTPError as error:
        return Outcome("retry", f"network error: {type(error).__name__}")


@dataclass(frozen=True)
class _Delivery:
    """The requests of one delivery: one client, one target."""

    client: httpx.AsyncClient
    target: Destination

    @property
    def auth(self) -> httpx.BasicAuth:
        return httpx.BasicAuth(self.target.username or "", self.target.secret)

    async def webhook(self, statements: Sequence[dict[str, Any]]) -> Outcome:
        body = orjson.dumps(list(statements))
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: signature(self.target.secret, stamp, body),
        }
        response = await self.client.post(self.target.url, content=body, headers=headers)
        if 200 <= response.status_code < 300 or response.status_code == 409:
            return Outcome("delivered")  # 409: the receiver says it already has them
        return _failure(response)

    async def xapi(
        self, statements: Sequence[dict[str, Any]], attachments: Sequence[tuple[str, str, bytes]]
    ) -> Outcome:
        body = orjson.dumps(list(statements))
        headers = {VERSION_HEADER: self.target.xapi_version or "1.0.3"}
        if attachments:
            body, headers["Content-Type"] = build_multipart_response(body, attachments)
        else:
            headers["Content-Type"] = "application/json"
        response = await self.client.post(
            f"{self.target.url}/statements", content=body, headers=headers, auth=self.auth
        )
        if response.status_code == 409:
            return await self.one_by_one(statements, attachments)
        if 200 <= response.status_code < 300:
            return Outcome("delivered")
        return _failure(response)

    async def one_by_one(
        self, statements: Sequence[dict[str, Any]], attachments: Sequence[tuple[str, str, bytes]]
    ) -> Outcome:
        """After a 409 for the batch: each statement alone, so that the ones the target
        already holds (equivalent) count as delivered and only a real conflict is refused."""
        refused: list[str] = []
        error: str | None = None
        for statement in statements:
            outcome = await self.put_one(statement, _attachments_of(statement, attachments))
            if outcome.verdict == "retry":
                return outcome
            if outcome.verdict == "permanent":
                refused.append(str(statement["id"]))
                error = outcome.error
        if refused:
            return Outcome("permanent", error, refused=refused)
        return Outcome("delivered")

    async def put_one(
        self, statement: dict[str, Any], attachments: Sequence[tuple[str, str, bytes]]
    ) -> Outcome:
        body = orjson.dumps(statement)
        version = self.target.xapi_version or "1.0.3"
        headers = {VERSION_HEADER: version, "Content-Type": "application/json"}
        if attachments:
            body, headers["Content-Type"] = build_multipart_response(body, attachments)
        url = f"{self.target.url}/statements"
        params = {"statementId": str(statement["id"])}
        response = await self.client.put(
            url, params=params, content=body, headers=headers, auth=self.auth
        )
        if 200 <= response.status_code < 300:
            return Outcome("delivered")
        if response.status_code != 409:
            return _failure(response)
        held = await self.client.get(
            url, params=params, headers={VERSION_HEADER: version}, auth=self.auth
        )
        if held.status_code == 200 and statements_equivalent(held.json(), statement):
            return Outcome("delivered")
        return Outcome(
            "permanent",
            f"HTTP 409: the target holds statement {params['statementId']} with other content",
        )


def _attachments_of(
    statement: dict[str, Any], attachments: Sequence[tuple[str, str, bytes]]
) -> list[tuple[str, str, bytes]]:
    wanted = {a.get("sha2") for a in statement.get("attachments") or () if isinstance(a, dict)}
    return [a for a in attachments if a[0] in wanted]
