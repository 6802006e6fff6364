"""The Statement Resource checks the credential and its scope before it reads anything of the
request (AUTH-003, AUTH-005): a request that is both unauthenticated (or under-scoped) and
malformed gets the 401 (or 403), never the 400 of its body or parameters."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lrs.auth.scopes import Scope
from tests.conftest import ADMIN_KEY, ScopedClients, basic

V2 = {"X-Experience-API-Version": "2.0.0"}
JSON = {**V2, "Content-Type": "application/json"}

# Each request is malformed: a 400 once its credential passes.
MALFORMED: list[tuple[str, dict[str, Any]]] = [
    ("POST", {"content": b"{not json", "headers": JSON}),
    ("POST", {"content": b'{"actor": 1}', "headers": JSON, "params": {"unknown": "x"}}),
    ("PUT", {"content": b"{not json", "headers": JSON}),  # and no statementId
    ("GET", {"params": {"agent": "{not json"}, "headers": V2}),
    ("GET", {"params": {"statementId": "not-a-uuid"}, "headers": V2}),
]
IDS = ["post-body", "post-param", "put", "get-agent", "get-id"]


@pytest.mark.parametrize(("method", "request_args"), MALFORMED, ids=IDS)
async def test_without_a_valid_credential_it_is_401(
    anon_client: httpx.AsyncClient, method: str, request_args: dict[str, Any]
) -> None:
    for authorization in (None, basic(ADMIN_KEY, "wrong-secret")):
        headers = dict(request_args["headers"])
        if authorization is not None:
            headers["Authorization"] = authorization
        response = await anon_client.request(
            method, "/xAPI/statements", **{**request_args, "headers": headers}
        )
        assert response.status_code == 401, (authorization, response.text)
        assert response.headers["WWW-Authenticate"].startswith("Basic")
        assert "X-Experience-API-Consistent-Through" in response.headers


@pytest.mark.parametrize(("method", "request_args"), MALFORMED, ids=IDS)
async def test_without_the_scope_it_is_403_and_with_it_400(
    scoped: ScopedClients, method: str, request_args: dict[str, Any]
) -> None:
    needed = Scope.STATEMENTS_READ if method == "GET" else Scope.STATEMENTS_WRITE
    other = Scope.STATEMENTS_WRITE if method == "GET" else Scope.STATEMENTS_READ
    async with await scoped.client(other) as client:
        refused = await client.request(method, "/xAPI/statements", **request_args)
    assert refused.status_code == 403, refused.text
    async with await scoped.client(needed) as client:
        malformed = await client.request(method, "/xAPI/statements", **request_args)
    assert malformed.status_code == 400, malformed.text
    assert malformed.json()["error"]["status"] == 400
