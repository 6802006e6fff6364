"""Shared setup of the service-proof API tests: doors with business hours, the example
rule, and service-case statements."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.ext_support import DOOR_IRI, EXT, ROLE_IRI, ext_db
from tests.factories import make_agent, make_statement

SP = f"{EXT}/service-proof"
V = "https://w3id.org/xapi/retail/verbs/"
SERVICE_CASE = "https://w3id.org/xapi/retail/activities/service-case"
PRIORITY = "https://w3id.org/xapi/retail/extensions/priority"
CASES = "https://boutique.example.com/cases/delivery-delay/"
EXAMPLES = Path(__file__).parents[2] / "examples" / "rules"

__all__ = ["ext_db", "sp_db"]


@pytest.fixture
async def sp_db(app: FastAPI, ext_db: None) -> None:
    async with app.state.lrs.engine.begin() as conn:
        await conn.exec_driver_sql("TRUNCATE service_proof_rules, service_proof_events")


def example(name: str = "delivery-delay.json") -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return body


async def seed(client: httpx.AsyncClient, *, rule: bool = True) -> None:
    """Doors PAR (Paris, Mon-Fri 9-18, French holidays), NYC (New York, Mon-Sat 10-19),
    OPEN (UTC, no hours: calendar time); roles advisor and manager; the example rule."""
    doors = [
        {
            "id": "PAR",
            "name": "Paris",
            "timezone": "Europe/Paris",
            "opening_hours": "mon-fri 09:00-18:00",
            "holidays_country": "FR",
        },
        {
            "id": "NYC",
            "name": "New York",
            "timezone": "America/New_York",
            "opening_hours": "mon-sat 10:00-19:00",
            "holidays_country": "US",
            "holidays_region": "NY",
        },
        {"id": "OPEN", "name": "Always open"},
    ]
    roles = [{"id": "advisor", "name": "Advisor"}, {"id": "manager", "name": "Manager"}]
    assert (await client.post(f"{EXT}/doors", json=doors)).status_code == 200
    assert (await client.post(f"{EXT}/roles", json=roles)).status_code == 200
    if rule:
        response = await client.put(f"{SP}/rules/delivery-delay", json=example())
        assert response.status_code == 200, response.text


def event(
    verb: str,
    timestamp: str,
    case: str,
    *,
    priority: str | None = None,
    door: str | None = "PAR",
    role: str | None = "advisor",
    who: str = "alice",
) -> dict[str, Any]:
    """A service-case statement of `case` (its registration)."""
    extensions: dict[str, Any] = {}
    if priority is not None:
        extensions[PRIORITY] = priority
    if door is not None:
        extensions[DOOR_IRI] = door
    if role is not None:
        extensions[ROLE_IRI] = role
    return make_statement(
        actor=make_agent(who=who),
        timestamp=timestamp,
        verb={"id": V + verb, "display": {"en-US": verb}},
        object={
            "objectType": "Activity",
            "id": CASES + case[:8],
            "definition": {"type": SERVICE_CASE},
        },
        context={"registration": case, "extensions": extensions},
    )


def new_case() -> str:
    return str(uuid.uuid4())


async def cases(client: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    query = {"since": "2026-01-01T00:00:00Z", "until": "2027-01-01T00:00:00Z", **params}
    response = await client.get(f"{SP}/cases", params=query)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["cases"]
    return found


async def one_case(client: httpx.AsyncClient, case: str) -> dict[str, Any]:
    (found,) = [c for c in await cases(client) if c["case"] == case]
    return found


def statuses(case: dict[str, Any]) -> dict[str, str]:
    return {f"{o['obligation']}#{o['occurrence']}": o["status"] for o in case["obligations"]}


def dues(case: dict[str, Any]) -> dict[str, str]:
    return {f"{o['obligation']}#{o['occurrence']}": o["due"] for o in case["obligations"]}
