"""One Statement Resource, two rule sets (VER-001..005, HDR-001..008, ST-VAL-113/131)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.factories import make_agent, make_group, make_statement

URL = "/xAPI/statements"
VERSION = "X-Experience-API-Version"


def two_point_oh_statement() -> dict[str, Any]:
    context = {
        "registration": str(uuid.uuid4()),
        "contextAgents": [
            {
                "objectType": "contextAgent",
                "agent": make_agent(who="coach"),
                "relevantTypes": ["http://example.com/types/coach"],
            }
        ],
        "contextGroups": [{"objectType": "contextGroup", "group": make_group()}],
    }
    return make_statement(context=context)


async def test_1_0_3_client_gets_2_0_statement_unchanged(
    client: httpx.AsyncClient, client_103: httpx.AsyncClient
) -> None:
    """VER-002: statements are never rewritten into an older version's form; a 1.0.3
    reader sees the 2.0 properties and version exactly as stored, under a 1.0.3 header."""
    statement = two_point_oh_statement()
    assert (await client.post(URL, json=statement)).status_code == 200
    by_2 = (await client.get(URL, params={"statementId": statement["id"]})).json()
    response = await client_103.get(URL, params={"statementId": statement["id"]})
    assert response.status_code == 200
    assert response.headers[VERSION] == "1.0.3"
    by_1 = response.json()
    assert by_1 == by_2
    assert by_1["version"] == "2.0.0"
    assert by_1["context"]["contextAgents"] == statement["context"]["contextAgents"]
    listed = await client_103.get(
        URL, params={"registration": statement["context"]["registration"]}
    )
    assert listed.json()["statements"] == [by_2]


async def test_1_0_3_related_agents_sees_context_agents(
    client: httpx.AsyncClient, client_103: httpx.AsyncClient
) -> None:
    """VER-002, STR-Q-011: the filter terms are the statement's, whoever asks."""
    coach = make_agent(who=f"c{uuid.uuid4().hex[:8]}")
    context = {"contextAgents": [{"objectType": "contextAgent", "agent": coach}]}
    [sid] = (await client.post(URL, json=make_statement(context=context))).json()
    import json

    response = await client_103.get(
        URL, params={"agent": json.dumps(coach), "related_agents": "true"}
    )
    assert [s["id"] for s in response.json()["statements"]] == [sid]


@pytest.mark.parametrize(
    ("header", "answer"),
    [
        ("1.0.3", "1.0.3"),
        ("1.0.0", "1.0.3"),
        ("1.0", "1.0.3"),
        ("2.0.0", "2.0.0"),
        ("2.0", "2.0.0"),
    ],
)
async def test_answer_version_follows_request(
    client: httpx.AsyncClient, header: str, answer: str
) -> None:
    """HDR-002/003/004, VER-001: every statement response names the rule set used,
    errors included (HDR-001)."""
    ok = await client.get(URL, params={"limit": 1}, headers={VERSION: header})
    assert ok.status_code == 200
    assert ok.headers[VERSION] == answer
    bad = await client.get(URL, params={"limit": -1}, headers={VERSION: header})
    assert bad.status_code == 400
    assert bad.headers[VERSION] == answer


@pytest.mark.parametrize("header", ["0.95", "0.9", "1.1.0", "2.1.0", "3.0.0", "banana", ""])
async def test_unsupported_version_is_400(client: httpx.AsyncClient, header: str) -> None:
    """HDR-005..008: old, new, malformed or empty versions are refused with a reason."""
    response = await client.post(URL, json=make_statement(), headers={VERSION: header})
    assert response.status_code == 400
    assert "version" in response.json()["error"]["message"].lower()
    assert response.headers[VERSION] in ("1.0.3", "2.0.0")


async def test_missing_version_is_400(anon_client: httpx.AsyncClient) -> None:
    """HDR-006: no header, no statements (even before authentication)."""
    response = await anon_client.get(URL)
    assert response.status_code == 400
    assert VERSION in response.headers


async def test_1_0_statement_version_under_2_0(client: httpx.AsyncClient) -> None:
    """ST-VAL-131 [2.0]: a 2.0 request does not refuse a statement over `version`; it is
    kept as sent (ST-PROC-011)."""
    statement = make_statement(version="1.0.0")
    assert (await client.post(URL, json=statement)).status_code == 200
    got = await client.get(URL, params={"statementId": statement["id"]})
    assert got.json()["version"] == "1.0.0"


async def test_1_0_3_refuses_unknown_statement_version(client_103: httpx.AsyncClient) -> None:
    """ST-VAL-131/132: under 1.0.3 `version` must start with 1.0."""
    for version in ("0.95", "1.1.0", "not-a-version"):
        response = await client_103.post(URL, json=make_statement(version=version))
        assert response.status_code == 400, version
