"""Scopes are enforced per route (AUTH-005, ERR-010): 403 when no scope grants the request."""

from __future__ import annotations

import httpx
import pytest

from lrs.auth.scopes import Scope
from tests.conftest import ScopedClients
from tests.factories import make_statement

READERS = {Scope.STATEMENTS_READ, Scope.STATEMENTS_READ_MINE, Scope.ALL_READ, Scope.ALL}
WRITERS = {Scope.STATEMENTS_WRITE, Scope.ALL}


@pytest.mark.parametrize("scope", list(Scope))
async def test_statement_reads_need_a_read_scope(scoped: ScopedClients, scope: Scope) -> None:
    async with await scoped.client(scope) as client:
        response = await client.get("/xAPI/statements")
    expected = 200 if scope in READERS else 403
    assert response.status_code == expected, response.text
    if expected == 403:
        assert "scope" in response.json()["error"]["message"]


@pytest.mark.parametrize("scope", list(Scope))
async def test_statement_writes_need_a_write_scope(
    scoped: ScopedClients, scope: Scope, clean_db: None
) -> None:
    async with await scoped.client(scope) as client:
        response = await client.post("/xAPI/statements", json=make_statement())
    assert response.status_code == (200 if scope in WRITERS else 403), response.text


async def test_read_mine_sees_only_its_own_statements(
    scoped: ScopedClients, client: httpx.AsyncClient, clean_db: None
) -> None:
    """statements/read/mine narrows results to the credential's own authority (AUTH-007)."""
    async with await scoped.client(Scope.STATEMENTS_WRITE, Scope.STATEMENTS_READ_MINE) as mine:
        [own_id] = (await mine.post("/xAPI/statements", json=make_statement())).json()
        [other_id] = (await client.post("/xAPI/statements", json=make_statement())).json()
        listed = (await mine.get("/xAPI/statements")).json()["statements"]
        assert [s["id"] for s in listed] == [own_id]
        assert (
            await mine.get("/xAPI/statements", params={"statementId": own_id})
        ).status_code == 200
        hidden = await mine.get("/xAPI/statements", params={"statementId": other_id})
        assert hidden.status_code == 404
    everything = (await client.get("/xAPI/statements")).json()["statements"]
    assert {s["id"] for s in everything} == {own_id, other_id}


async def test_revoked_credential_stops_at_once(scoped: ScopedClients) -> None:
    from lrs.services.credentials import create_credential, revoke_credential

    engine = scoped.app.state.lrs.engine
    issued = await create_credential(engine, name="short-lived", scopes=[Scope.ALL])
    transport = httpx.ASGITransport(app=scoped.app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://lrs.test",
        auth=(issued.key, issued.secret),
        headers={"X-Experience-API-Version": "2.0.0"},
    ) as client:
        assert (await client.get("/xAPI/statements")).status_code == 200
        await revoke_credential(engine, issued.key)
        assert (await client.get("/xAPI/statements")).status_code == 401
