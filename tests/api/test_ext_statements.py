"""GET /xAPI/extensions/statements: the tagged query, paged like /statements."""

from __future__ import annotations

import httpx
import pytest

from lrs.auth.scopes import Scope
from tests.api.ext_support import EXT, ext_db, seed_registry, statement, store
from tests.conftest import ScopedClients
from tests.paging import pages

pytestmark = pytest.mark.usefixtures("ext_db")
__all__ = ["ext_db"]


async def test_pages_by_door_and_role(client: httpx.AsyncClient) -> None:
    """STR-M-001..005 applied to the tagged query: `more` pages through, newest first."""
    await seed_registry(client)
    paris = [await store(client, statement(door="PAR", role="advisor")) for _ in range(5)]
    await store(client, statement(door="NYC", role="advisor"), statement(door="PAR"))
    seen: list[str] = []
    response = await client.get(
        f"{EXT}/statements", params={"door": "PAR", "role": "advisor", "limit": "2"}
    )
    count = 0
    async for body in pages(client, response):
        count += 1
        for item in body["statements"]:
            seen.append(item["id"])
            assert body["tags"][item["id"]] == {
                "door": "PAR",
                "role": "advisor",
                "tag_source": "statement",
            }
        assert body["more"] == "" or body["more"].startswith(f"{EXT}/statements?more=")
    assert count == 3
    assert seen == [ids[0] for ids in reversed(paris)]


async def test_verb_activity_and_since(client: httpx.AsyncClient) -> None:
    await seed_registry(client)
    [first] = await store(client, statement(door="PAR", activity="http://example.com/a/1"))
    [second] = await store(client, statement(door="PAR", activity="http://example.com/a/2"))
    response = await client.get(
        f"{EXT}/statements", params={"door": "PAR", "activity": "http://example.com/a/2"}
    )
    assert [s["id"] for s in response.json()["statements"]] == [second]
    stored = response.json()["statements"][0]["stored"]
    response = await client.get(f"{EXT}/statements", params={"until": stored, "door": "PAR"})
    assert [s["id"] for s in response.json()["statements"]] == [second, first]


async def test_needs_a_statements_read_scope(
    scoped: ScopedClients, client: httpx.AsyncClient
) -> None:
    """It returns actors' IFIs, so ext/bi/read alone is not enough (AUTH-005)."""
    await seed_registry(client)
    await store(client, statement(door="PAR"))
    async with await scoped.client(Scope.EXT_BI_READ) as reader:
        assert (await reader.get(f"{EXT}/statements")).status_code == 403
    async with await scoped.client(Scope.EXT_BI_READ, Scope.STATEMENTS_READ) as reader:
        response = await reader.get(f"{EXT}/statements")
        assert response.status_code == 200
        assert len(response.json()["statements"]) == 1


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"more": "garbage"}, "param:more"),
        ({"more": "x", "door": "PAR"}, "param:more"),
        ({"limit": "-1"}, "param:limit"),
        ({"door": "MARS"}, "param:door"),
        ({"agent": "{}"}, "param:agent"),
    ],
)
async def test_bad_parameters(client: httpx.AsyncClient, params: dict[str, str], path: str) -> None:
    await seed_registry(client)
    response = await client.get(f"{EXT}/statements", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["path"] == path
