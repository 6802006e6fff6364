"""The roster: assignments over time, tagging at ingest and re-tagging on change."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from lrs.storage.statements import INGEST_LOCK_KEY
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

CSV = {"Content-Type": "text/csv"}


async def _doors_roles(client: httpx.AsyncClient, *ids: str) -> list[tuple[Any, Any, Any]]:
    out = []
    for sid in ids:
        tag = await tag_of(client, sid)
        out.append((tag["door"], tag["role"], tag["tag_source"]))
    return out


async def test_statement_takes_assignment_in_force_at_its_timestamp(
    client: httpx.AsyncClient,
) -> None:
    await seed_registry(client)
    await roster(
        client,
        assignment("alice", "PAR", "advisor", "2024-01-01T00:00:00Z", "2024-03-01T00:00:00Z"),
        assignment("alice", "LON", "manager", "2024-03-01T00:00:00Z"),
    )
    ids = await store(
        client,
        statement(timestamp="2023-12-31T23:59:59Z"),  # before any assignment
        statement(timestamp="2024-02-29T23:59:59Z"),
        statement(timestamp="2024-03-01T00:00:00Z"),  # valid_to is exclusive
        statement(who="bob", timestamp="2024-02-01T00:00:00Z"),  # not on the roster
    )
    assert await _doors_roles(client, *ids) == [
        (None, None, None),
        ("PAR", "advisor", "roster"),
        ("LON", "manager", "roster"),
        (None, None, None),
    ]


async def test_roster_change_retags_roster_sourced_only_and_is_idempotent(
    client: httpx.AsyncClient,
) -> None:
    await seed_registry(client)
    await roster(client, assignment("alice", "PAR", "advisor", "2024-01-01T00:00:00Z"))
    ids = await store(client, statement(), statement(), statement(door="NYC", role="cashier"))
    assert (await client.put(f"{EXT}/tags/{ids[1]}", json={"door": "LON"})).status_code == 204

    # Alice moved to London as manager from April: the May statements follow.
    changed = await roster(
        client,
        assignment("alice", "PAR", "advisor", "2024-01-01T00:00:00Z", "2024-04-01T00:00:00Z"),
        assignment("alice", "LON", "manager", "2024-04-01T00:00:00Z"),
    )
    assert changed == {"assignments": 2, "retagged": 3}
    assert await _doors_roles(client, *ids) == [
        ("LON", "manager", "roster"),
        ("LON", "manager", "explicit+roster"),  # the explicit door stays
        ("NYC", "cashier", "statement"),  # carried tags win over the roster
    ]
    # The same upload again changes nothing.
    again = await roster(
        client,
        assignment("alice", "PAR", "advisor", "2024-01-01T00:00:00Z", "2024-04-01T00:00:00Z"),
        assignment("alice", "LON", "manager", "2024-04-01T00:00:00Z"),
    )
    assert again == {"assignments": 2, "retagged": 0}

    # Closing the assignment before the statements removes their roster tag.
    closed = await roster(
        client,
        assignment("alice", "LON", "manager", "2024-04-01T00:00:00Z", "2024-04-15T00:00:00Z"),
    )
    assert closed["retagged"] == 3
    assert (await tag_of(client, ids[0]))["door"] is None
    assert (await tag_of(client, ids[1]))["role"] is None


async def test_dates_are_midnight_at_the_door(client: httpx.AsyncClient) -> None:
    """A calendar date means midnight in the door's timezone (Paris is UTC+2 in May)."""
    await seed_registry(client)
    await roster(client, assignment("alice", "PAR", "advisor", "2024-05-01"))
    ids = await store(
        client,
        statement(timestamp="2024-04-30T21:59:59Z"),
        statement(timestamp="2024-04-30T22:00:00Z"),
    )
    assert [t[0] for t in await _doors_roles(client, *ids)] == [None, "PAR"]
    response = await client.get(
        f"{EXT}/roster",
        params={"agent": orjson.dumps({"mbox": "mailto:alice@example.com"}).decode()},
    )
    assert response.status_code == 200, response.text
    assert response.json()["assignments"] == [
        {
            "agent": {"mbox": "mailto:alice@example.com"},
            "door": "PAR",
            "role": "advisor",
            "valid_from": "2024-04-30T22:00:00Z",
            "valid_to": None,
        }
    ]


async def test_roster_csv(client: httpx.AsyncClient) -> None:
    await seed_registry(client)
    body = (
        "\ufeffmbox;account_homepage;account_name;door;role;valid_from;valid_to\n"
        "alice@example.com;;;PAR;advisor;2024-01-01;\n"
        ";https://hr.example.com;E042;NYC;cashier;2024-01-01T00:00:00-05:00;2025-01-01\n"
    )
    response = await client.post(f"{EXT}/roster", content=body.encode(), headers=CSV)
    assert response.status_code == 200, response.text
    assert response.json()["assignments"] == 2
    worker = {"account": {"homePage": "https://hr.example.com", "name": "E042"}}
    response = await client.get(f"{EXT}/roster", params={"agent": orjson.dumps(worker).decode()})
    [row] = response.json()["assignments"]
    assert (row["door"], row["valid_from"], row["valid_to"]) == (
        "NYC",
        "2024-01-01T05:00:00Z",
        "2025-01-01T05:00:00Z",
    )


@pytest.mark.parametrize(
    ("body", "path", "line"),
    [
        ("mbox,door,role,valid_from\na@example.com,PAR,advisor,2024-13-01\n", "$[0].valid_from", 2),
        (
            "mbox,door,role,valid_from\na@example.com,PAR,advisor,2024-01-01\n"
            "b@example.com,MARS,advisor,2024-01-01\n",
            "$[1].door",
            3,
        ),
        ("mbox,door,role,valid_from\na@example.com,PAR,astronaut,2024-01-01\n", "$[0].role", 2),
        ("mbox,door,role,valid_from\na@example.com,PAR,advisor\n", "$[0]", 2),
        (
            "mbox,door,role,valid_from,valid_to\na@example.com,PAR,advisor,2024-02-01,2024-01-01\n",
            "$[0].valid_to",
            2,
        ),
        ("door,role,valid_from\nPAR,advisor,2024-01-01\n", "$[0].agent", 2),
        ("mbox,door,role,valid_from\na@example.com,PAR,advisor,yesterday\n", "$[0].valid_from", 2),
    ],
)
async def test_bad_csv_rows_name_line_and_field(
    client: httpx.AsyncClient, body: str, path: str, line: int
) -> None:
    await seed_registry(client)
    response = await client.post(f"{EXT}/roster", content=body, headers=CSV)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["path"] == path
    assert f"CSV line {line}:" in error["message"]


async def test_overlapping_assignments_are_refused(client: httpx.AsyncClient) -> None:
    await seed_registry(client)
    await roster(client, assignment("alice", "PAR", "advisor", "2024-01-01T00:00:00Z"))
    response = await client.post(
        f"{EXT}/roster", json=[assignment("alice", "LON", "advisor", "2024-06-01T00:00:00Z")]
    )
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "$[0].valid_from"
    assert "overlap" in response.json()["error"]["message"]
    response = await client.post(
        f"{EXT}/roster",
        json=[assignment("alice", "LON", "advisor", "2024-06-01T00:00:00Z", "2024-01-01")],
    )
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "$[0].valid_to"


async def test_roster_json_errors(client: httpx.AsyncClient) -> None:
    await seed_registry(client)
    response = await client.post(
        f"{EXT}/roster", json=[{**assignment("a", "PAR", "advisor", "2024-01-01"), "agent": {}}]
    )
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "$[0].agent"
    response = await client.post(f"{EXT}/roster", json={"not": "an array"})
    assert response.status_code == 400
    response = await client.post(
        f"{EXT}/roster", content=b"<xml/>", headers={"Content-Type": "application/xml"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "header:Content-Type"
    response = await client.get(f"{EXT}/roster")
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "param:agent"


async def test_roster_change_waits_for_statement_writes_in_flight_and_holds_new_ones(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """A roster change and a statement write exclude each other through the ingest lock:
    every write holds it shared from its first command, a roster change takes it exclusively.
    So a statement either sees the new roster at ingest or is re-tagged by the change."""
    await seed_registry(client)
    engine = app.state.lrs.engine
    async with engine.connect() as write_in_flight:
        await write_in_flight.execute(
            text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": INGEST_LOCK_KEY}
        )
        change = asyncio.create_task(
            roster(client, assignment("alice", "PAR", "advisor", "2024-01-01T00:00:00Z"))
        )
        await asyncio.sleep(0.5)
        assert not change.done(), "the roster change did not wait for the write in flight"
        await write_in_flight.commit()
        await asyncio.wait_for(change, 10)

    async with engine.connect() as roster_change:
        await roster_change.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY}
        )
        write = asyncio.create_task(store(client, statement(timestamp="2024-02-01T00:00:00Z")))
        await asyncio.sleep(0.5)
        assert not write.done(), "the statement write did not wait for the roster change"
        await roster_change.commit()
        [stored_id] = await asyncio.wait_for(write, 10)
    assert await _doors_roles(client, stored_id) == [("PAR", "advisor", "roster")]
