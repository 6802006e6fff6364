"""Shared setup of the door and role extension's API tests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import make_activity, make_agent, make_statement

EXT = "/xAPI/extensions"
DOOR_IRI = "https://w3id.org/xapi/retail/extensions/door"
ROLE_IRI = "https://w3id.org/xapi/retail/extensions/role"
PRACTICED = "http://example.com/verbs/practiced"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"


@pytest.fixture
async def ext_db(app: FastAPI, clean_db: None) -> None:
    """clean_db plus the extension's tables (the pseudonym key stays, as in production)."""
    async with app.state.lrs.engine.begin() as conn:
        await conn.exec_driver_sql("TRUNCATE ext_tags, ext_roster, ext_doors, ext_roles CASCADE")


async def seed_registry(client: httpx.AsyncClient) -> None:
    """Doors PAR (Paris), NYC (New York), LON; roles advisor, cashier, manager."""
    doors = [
        {
            "id": "PAR",
            "name": "Paris Flagship",
            "region": "EU",
            "format": "flagship",
            "timezone": "Europe/Paris",
        },
        {
            "id": "NYC",
            "name": "New York 5th",
            "region": "US",
            "format": "boutique",
            "timezone": "America/New_York",
        },
        {"id": "LON", "name": "London", "region": "EU", "timezone": "Europe/London"},
    ]
    roles = [
        {"id": "advisor", "name": "Sales advisor"},
        {"id": "cashier", "name": "Cashier"},
        {"id": "manager", "name": "Store manager"},
    ]
    assert (await client.post(f"{EXT}/doors", json=doors)).status_code == 200
    assert (await client.post(f"{EXT}/roles", json=roles)).status_code == 200


def statement(
    who: str = "alice",
    timestamp: str = "2024-05-01T12:30:00.000Z",
    *,
    door: str | None = None,
    role: str | None = None,
    verb: str = PRACTICED,
    activity: str = "http://example.com/activities/pitch",
    **overrides: Any,
) -> dict[str, Any]:
    """A statement by `who`, carrying door and role context extensions when given."""
    extensions = {k: v for k, v in ((DOOR_IRI, door), (ROLE_IRI, role)) if v is not None}
    extra: dict[str, Any] = {"context": {"extensions": extensions}} if extensions else {}
    return make_statement(
        actor=make_agent(who=who),
        timestamp=timestamp,
        verb={"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        object=make_activity(activity),
        **{**extra, **overrides},
    )


async def store(client: httpx.AsyncClient, *statements: dict[str, Any]) -> list[str]:
    response = await client.post("/xAPI/statements", json=list(statements))
    assert response.status_code == 200, response.text
    ids: list[str] = response.json()
    return ids


async def tag_of(client: httpx.AsyncClient, statement_id: str) -> dict[str, Any]:
    response = await client.get(f"{EXT}/tags/{statement_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def roster(client: httpx.AsyncClient, *rows: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"{EXT}/roster", json=list(rows))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assignment(
    who: str, door: str, role: str, valid_from: str, valid_to: str | None = None
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "agent": {"mbox": f"mailto:{who}@example.com"},
        "door": door,
        "role": role,
        "valid_from": valid_from,
    }
    if valid_to is not None:
        row["valid_to"] = valid_to
    return row
