"""SQL injection strings in every parameter are data, never SQL: no 500, no table dropped,
no row touched that the request did not address, and a document stored under such an id
comes back under exactly that id (ERR-004, ERR-007, ERR-016)."""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from lrs.ext.rules.filters import EXPORT_PARAMS, QUERY_PARAMS, SUMMARY_PARAMS
from tests.factories import make_agent, make_statement
from tests.security.endpoints import ACTIVITY, AGENT, ENDPOINTS, Endpoint

pytestmark = pytest.mark.usefixtures("clean_db")

PAYLOADS = [
    "'; DROP TABLE statements; --",
    "x' OR '1'='1",
    '"; DELETE FROM credentials; --',
    "1) OR 1=1; SELECT pg_sleep(10); --",
    "$1::text",
    "\\'; TRUNCATE documents; --",
    "\x00'; DROP TABLE agents; --",
]
STATEMENT_PARAMS = (
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "since",
    "until",
    "limit",
    "format",
    "ascending",
    "related_agents",
    "related_activities",
    "attachments",
)
EXTRA = {
    ("GET", "/xAPI/statements"): STATEMENT_PARAMS,
    ("GET", "/xAPI/extensions/statements"): QUERY_PARAMS,
    ("GET", "/xAPI/extensions/export"): EXPORT_PARAMS,
    ("GET", "/xAPI/extensions/summary"): SUMMARY_PARAMS,
    ("GET", "/xAPI/activities/state"): ("since",),
}
TARGETS = [e for e in ENDPOINTS if e.needs]


async def _snapshot(app: FastAPI) -> tuple[list[str], dict[str, int]]:
    async with app.state.lrs.engine.connect() as conn:
        tables = [
            row[0]
            for row in await conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        counts = {
            name: int((await conn.exec_driver_sql(f'SELECT count(*) FROM "{name}"')).scalar_one())
            for name in ("credentials", "statements", "agents", "activities")
        }
    return tables, counts


def _param_names(endpoint: Endpoint) -> list[str]:
    return sorted({*endpoint.params(), *EXTRA.get((endpoint.method, endpoint.route), ())})


@pytest.mark.parametrize("endpoint", TARGETS, ids=lambda e: e.id)
async def test_injection_strings_in_every_parameter_are_harmless(
    client: httpx.AsyncClient, app: FastAPI, endpoint: Endpoint
) -> None:
    seeded = make_statement(actor=make_agent(who="seed"))
    assert (await client.post("/xAPI/statements", json=seeded)).status_code == 200
    before = await _snapshot(app)
    writes = endpoint.method in ("PUT", "POST") and endpoint.route == "/xAPI/statements"
    failures: list[str] = []
    for name in _param_names(endpoint) or [""]:
        for payload in PAYLOADS:
            request = endpoint.request()
            if name:
                request["params"] = {**request["params"], name: payload}
            if "{" in endpoint.route:  # the path parameter too
                request["url"] = request["url"].rsplit("/", 1)[0] + "/" + quote(payload, safe="")
            response = await client.request(**request)
            if response.status_code >= 500:
                failures.append(f"{name}={payload!r}: {response.status_code} {response.text}")
    assert not failures
    after = await _snapshot(app)
    assert after[0] == before[0], "a table disappeared"
    if not writes:
        assert after[1]["credentials"] == before[1]["credentials"]
        assert after[1]["statements"] == before[1]["statements"]
    got = await client.get("/xAPI/statements", params={"statementId": seeded["id"]})
    assert got.status_code == 200


@pytest.mark.parametrize(
    ("route", "keys", "id_name"),
    [
        ("/xAPI/activities/state", {"activityId": ACTIVITY, "agent": AGENT}, "stateId"),
        ("/xAPI/activities/profile", {"activityId": ACTIVITY}, "profileId"),
        ("/xAPI/agents/profile", {"agent": AGENT}, "profileId"),
    ],
)
async def test_injection_strings_are_stored_and_found_as_plain_ids(
    client: httpx.AsyncClient, route: str, keys: dict[str, str], id_name: str
) -> None:
    """DOC-001: any string is a document id; these come back byte for byte, one each."""
    stored: dict[str, str] = {}
    for payload in PAYLOADS[:-1]:  # NUL cannot be a PostgreSQL text value
        marker = str(uuid.uuid4())
        put = await client.put(route, params={**keys, id_name: payload}, json={"m": marker})
        assert put.status_code == 204, put.text
        stored[payload] = marker
    for payload, marker in stored.items():
        got = await client.get(route, params={**keys, id_name: payload})
        assert got.status_code == 200
        assert got.json() == {"m": marker}
    listed = await client.get(route, params=keys)
    assert sorted(listed.json()) == sorted(stored)


async def test_injection_in_an_agent_filter_reads_nothing_extra(client: httpx.AsyncClient) -> None:
    """ERR-007: an agent parameter whose IFI carries SQL matches no statement."""
    assert (await client.post("/xAPI/statements", json=make_statement())).status_code == 200
    for payload in PAYLOADS[:-1]:
        agent = {"account": {"homePage": "https://example.com", "name": payload}}
        got = await client.get("/xAPI/statements", params={"agent": json.dumps(agent)})
        assert got.status_code == 200, got.text
        assert got.json()["statements"] == []
