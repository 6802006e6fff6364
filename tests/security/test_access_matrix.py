"""Every endpoint x every scope, no credentials and a wrong secret: allowed, 401 or 403
exactly as the scope table says (AUTH-003, AUTH-005, ERR-010, C 4.2); read/mine narrowing
(AUTH-007)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from fastapi.routing import APIRoute

from lrs.api.routes import resource_routers
from lrs.auth.scopes import GRANTS, Scope
from tests.conftest import ADMIN_KEY, ScopedClients, basic
from tests.factories import make_agent, make_statement, make_voiding
from tests.paging import statement_ids
from tests.security.console_endpoints import CONSOLE_ROUTES
from tests.security.endpoints import ENDPOINTS, EXPECTED_GRANTS, Endpoint

V2 = {"X-Experience-API-Version": "2.0.0"}


def _mounted_routes() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()

    def walk(routes: list[object]) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.update((method, route.path) for method in route.methods or ())
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes)
            elif hasattr(route, "routes"):
                walk(route.routes)

    for router in resource_routers():
        walk(list(router.routes))
    return found


def test_the_scope_table_is_the_documented_one() -> None:
    """C 4.2: what each scope grants, as README and docs/bi.md state it."""
    assert GRANTS == EXPECTED_GRANTS


def test_the_matrix_names_every_mounted_route() -> None:
    """A new route must be added to the matrix (with its scope) before this passes; console
    routes are listed in their own matrix (`console_endpoints`)."""
    listed = {(e.method, e.route) for e in ENDPOINTS}
    listed |= {(r.method, r.route) for r in CONSOLE_ROUTES}
    assert _mounted_routes() == listed


def _verdict(endpoint: Endpoint, response: httpx.Response, allowed: bool) -> str | None:
    """None when the answer fits the rule, else a line saying what went wrong."""
    status = response.status_code
    if status >= 500:
        return f"{status} {response.text[:200]}"
    if allowed:
        return None if status not in (401, 403) else f"refused with {status}: {response.text}"
    if status != 403:
        return f"expected 403, got {status}"
    if endpoint.method != "HEAD":
        assert response.json()["error"]["status"] == 403
    return None


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
async def test_every_scope_is_allowed_or_403_as_the_table_says(
    scoped: ScopedClients, endpoint: Endpoint, clean_db: None
) -> None:
    wrong: dict[str, str] = {}
    for scope in Scope:
        async with await scoped.client(scope) as client:
            response = await client.request(**endpoint.request())
        allowed = endpoint.allowed_for(frozenset({scope}))
        problem = _verdict(endpoint, response, allowed)
        if problem is not None:
            wrong[scope.value] = problem
    assert not wrong


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
async def test_no_credentials_or_a_wrong_secret_is_401(
    anon_client: httpx.AsyncClient, endpoint: Endpoint
) -> None:
    """AUTH-003, AUTH-004: 401 with a Basic challenge; public endpoints answer anyway."""
    for authorization in (None, basic(ADMIN_KEY, "wrong-secret")):
        response = await _send(anon_client, endpoint, authorization)
        if not endpoint.needs:
            assert response.status_code not in (401, 403)
            continue
        assert response.status_code == 401, (authorization, response.text)
        assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "authorization",
    [
        basic("no-such-key", "x"),
        basic(ADMIN_KEY, ""),
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Basic !!not-base64!!",
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Bearer " + ADMIN_KEY,
        "Basic",
        "",
    ],
)
async def test_unknown_key_and_malformed_credentials_are_401(
    anon_client: httpx.AsyncClient, authorization: str
) -> None:
    """AUTH-003: every malformed or unknown credential is a 401, never a 400 or 500."""
    [endpoint] = [e for e in ENDPOINTS if e.id == "GET /xAPI/statements"]
    response = await _send(anon_client, endpoint, authorization)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["status"] == 401


async def _send(
    client: httpx.AsyncClient, endpoint: Endpoint, authorization: str | None
) -> httpx.Response:
    request = endpoint.request()
    headers = {**V2, **request["headers"]}
    if authorization is not None:
        headers["Authorization"] = authorization
    return await client.request(**{**request, "headers": headers})


async def test_read_mine_sees_only_its_own_authoritys_statements(
    scoped: ScopedClients, client: httpx.AsyncClient, clean_db: None
) -> None:
    """AUTH-007: statements/read/mine narrows every read form (list, filters, paging,
    statementId, voidedStatementId, HEAD) to statements stored under its own authority."""
    async with await scoped.client(Scope.STATEMENTS_WRITE, Scope.STATEMENTS_READ_MINE) as mine:
        actor = make_agent(who="shared-actor")
        own = [make_statement(actor=actor) for _ in range(3)]
        others = [make_statement(actor=actor) for _ in range(3)]
        assert (await mine.post("/xAPI/statements", json=own)).status_code == 200
        assert (await client.post("/xAPI/statements", json=others)).status_code == 200
        voided_other = others[0]["id"]
        voiding = make_voiding(voided_other)
        assert (await client.post("/xAPI/statements", json=voiding)).status_code == 200

        own_ids = {s["id"] for s in own}
        seen = set(await statement_ids(mine, limit=1))
        assert seen == own_ids
        assert set(await statement_ids(mine, agent=json.dumps(actor))) == own_ids
        for other in others:
            single = await mine.get("/xAPI/statements", params={"statementId": other["id"]})
            assert single.status_code == 404
            head = await mine.head("/xAPI/statements", params={"statementId": other["id"]})
            assert head.status_code == 404
        hidden = await mine.get("/xAPI/statements", params={"voidedStatementId": voided_other})
        assert hidden.status_code == 404
        for statement_id in own_ids:
            single = await mine.get("/xAPI/statements", params={"statementId": statement_id})
            assert single.status_code == 200
    everything = set(await statement_ids(client))
    assert everything >= own_ids | {s["id"] for s in others[1:]} | {voiding["id"]}


def test_scope_names_on_the_wire() -> None:
    """The matrix runs every scope a credential can hold, under its C 4.2 name."""
    assert {s.value for s in Scope} == {
        "statements/write",
        "statements/read",
        "statements/read/mine",
        "state",
        "define",
        "profile",
        "all/read",
        "all",
        "ext/tags/write",
        "ext/bi/read",
        "ext/bi/identities",
        "admin",
    }
