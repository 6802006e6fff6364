"""Explicit, statement and roster tags and their precedence, over HTTP."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.api.ext_support import (
    EXT,
    assignment,
    ext_db,
    roster,
    seed_registry,
    statement,
    store,
    tag_of,
)

pytestmark = pytest.mark.usefixtures("ext_db")
__all__ = ["ext_db"]


async def test_statement_extensions_tag_at_ingest(client: httpx.AsyncClient) -> None:
    await seed_registry(client)
    [sid] = await store(client, statement(door="PAR", role="advisor"))
    tag = await tag_of(client, sid)
    assert (tag["door"], tag["role"], tag["tag_source"]) == ("PAR", "advisor", "statement")
    assert set(tag["sources"]) == {"statement"}


async def test_unknown_ids_in_extensions_do_not_refuse_the_statement(
    client: httpx.AsyncClient,
) -> None:
    """ST-VAL-171: an extension value never fails a statement; an unregistered door id is
    simply not a tag."""
    await seed_registry(client)
    [sid] = await store(client, statement(door="NOPE", role="advisor"))
    tag = await tag_of(client, sid)
    assert (tag["door"], tag["role"]) == (None, "advisor")


async def test_precedence_explicit_over_statement_over_roster(client: httpx.AsyncClient) -> None:
    await seed_registry(client)
    await roster(client, assignment("alice", "LON", "cashier", "2024-01-01T00:00:00Z"))
    [carried, plain] = await store(
        client,
        statement(door="PAR"),  # role comes from the roster
        statement(),
    )
    tag = await tag_of(client, carried)
    assert (tag["door"], tag["role"], tag["tag_source"]) == ("PAR", "cashier", "statement+roster")
    tag = await tag_of(client, plain)
    assert (tag["door"], tag["role"], tag["tag_source"]) == ("LON", "cashier", "roster")

    response = await client.put(f"{EXT}/tags/{carried}", json={"door": "NYC", "role": "manager"})
    assert response.status_code == 204, response.text
    tag = await tag_of(client, carried)
    assert (tag["door"], tag["role"], tag["tag_source"]) == ("NYC", "manager", "explicit")
    assert set(tag["sources"]) == {"explicit", "statement", "roster"}

    # Clearing the explicit tag lets the statement and roster apply again.
    assert (await client.put(f"{EXT}/tags/{carried}", json={})).status_code == 204
    tag = await tag_of(client, carried)
    assert (tag["door"], tag["role"]) == ("PAR", "cashier")


async def test_explicit_tag_on_one_field(client: httpx.AsyncClient) -> None:
    await seed_registry(client)
    [sid] = await store(client, statement(door="PAR", role="advisor"))
    assert (await client.put(f"{EXT}/tags/{sid}", json={"role": "manager"})).status_code == 204
    tag = await tag_of(client, sid)
    assert (tag["door"], tag["role"], tag["tag_source"]) == ("PAR", "manager", "statement+explicit")


async def test_bulk_explicit_tags_json_and_csv(client: httpx.AsyncClient) -> None:
    await seed_registry(client)
    ids = await store(client, statement(), statement(), statement())
    response = await client.post(
        f"{EXT}/tags",
        json=[
            {"statement_id": ids[0], "door": "PAR", "role": "advisor"},
            {"statement_id": ids[1].upper(), "door": "NYC"},
        ],
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"tagged": 2}
    csv_body = f"statement_id,door,role\n{ids[2]},LON,cashier\n"
    response = await client.post(
        f"{EXT}/tags", content=csv_body, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert (await tag_of(client, ids[1]))["door"] == "NYC"
    assert (await tag_of(client, ids[2]))["role"] == "cashier"


async def test_unknown_door_or_role_is_refused(client: httpx.AsyncClient) -> None:
    await seed_registry(client)
    [sid] = await store(client, statement())
    response = await client.put(f"{EXT}/tags/{sid}", json={"door": "MARS"})
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "$.door"
    response = await client.post(
        f"{EXT}/tags",
        json=[{"statement_id": sid, "door": "PAR"}, {"statement_id": sid.upper(), "role": "x"}],
    )
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "$[1].statement_id"  # named twice
    response = await client.post(
        f"{EXT}/tags", json=[{"statement_id": sid, "door": "PAR", "role": "astronaut"}]
    )
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "$[0].role"
    csv_body = f"statement_id,door\n{sid},PAR\n{uuid.uuid4()},PAR\n"
    response = await client.post(
        f"{EXT}/tags", content=csv_body, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["path"] == "$[1].statement_id"
    assert "CSV line 3" in error["message"]
    # Nothing of a refused batch is kept.
    assert (await tag_of(client, sid))["sources"] == {}


async def test_unknown_statement(client: httpx.AsyncClient) -> None:
    await seed_registry(client)
    response = await client.put(f"{EXT}/tags/{uuid.uuid4()}", json={"door": "PAR"})
    assert response.status_code == 404
    assert (await client.get(f"{EXT}/tags/{uuid.uuid4()}")).status_code == 404
    response = await client.put(f"{EXT}/tags/not-a-uuid", json={"door": "PAR"})
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "param:statementId"
    response = await client.put(f"{EXT}/tags/{uuid.uuid4()}", json={"shop": "PAR"})
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "$.shop"
