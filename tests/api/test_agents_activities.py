"""GET/HEAD /xAPI/agents (AGT-*) and /xAPI/activities (ACT-*) over HTTP on PostgreSQL.

The rows are written straight into the ``agents`` and ``activities`` tables in the shape the
statement ingest gives them, so these tests do not depend on the statements resource.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert

from lrs.auth.scopes import Scope
from lrs.storage.tables import activities, agents
from lrs.xapi.ifi import ifi_key
from tests.conftest import ScopedClients
from tests.factories import make_agent, make_group

pytestmark = pytest.mark.usefixtures("clean_db")

AGENTS = "/xAPI/agents"
ACTIVITIES = "/xAPI/activities"


async def add_agent(app: FastAPI, agent: dict[str, Any], names: list[str]) -> None:
    ifi = {k: v for k, v in agent.items() if k in ("mbox", "mbox_sha1sum", "openid", "account")}
    async with app.state.lrs.engine.begin() as conn:
        await conn.execute(insert(agents).values(ifi_key=ifi_key(agent), ifi=ifi, names=names))


async def add_activity(app: FastAPI, activity_id: str, definition: dict[str, Any] | None) -> None:
    async with app.state.lrs.engine.begin() as conn:
        await conn.execute(
            insert(activities).values(activity_id=activity_id, definition=definition)
        )


async def test_person_of_a_known_agent(client: httpx.AsyncClient, app: FastAPI) -> None:
    """AGT-001, AGT-003, AGT-004, AGT-006: arrays of valid values, nothing else."""
    agent = make_agent(who="known")
    await add_agent(app, agent, ["Known One", "K. One"])
    response = await client.get(AGENTS, params={"agent": json.dumps(agent)})
    assert response.status_code == 200
    assert response.json() == {
        "objectType": "Person",
        "name": ["Known One", "K. One"],
        "mbox": ["mailto:known@example.com"],
    }


async def test_person_of_an_unknown_agent_holds_its_own_data(client: httpx.AsyncClient) -> None:
    """AGT-005."""
    agent = make_agent("account", who="stranger", name="Stranger")
    response = await client.get(AGENTS, params={"agent": json.dumps(agent)})
    assert response.status_code == 200
    assert response.json() == {
        "objectType": "Person",
        "name": ["Stranger"],
        "account": [{"homePage": "https://accounts.example.com", "name": "stranger"}],
    }


async def test_requested_name_comes_first_without_repeats(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """AGT-003, AGT-006."""
    agent = make_agent("openid", who="repeat")
    await add_agent(app, agent, ["Stored", "Asked"])
    asked = {**agent, "name": "Asked"}
    person = (await client.get(AGENTS, params={"agent": json.dumps(asked)})).json()
    assert person["name"] == ["Asked", "Stored"]
    assert person["openid"] == ["https://openid.example.com/repeat"]


async def test_head_agents(client: httpx.AsyncClient) -> None:
    """CT-007."""
    response = await client.head(AGENTS, params={"agent": json.dumps(make_agent())})
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ({}, "param:agent"),
        ({"agent": json.dumps(make_group(ifi="mbox"))}, "param:agent"),  # AGT-002
        ({"agent": json.dumps({"mbox": ["mailto:a@example.com"]})}, "param:agent"),
        ({"agent": json.dumps({"name": "no ifi"})}, "param:agent"),
        ({"agent": "not json"}, "param:agent"),
        ({"Agent": json.dumps(make_agent())}, "param:Agent"),
        ({"agent": json.dumps(make_agent()), "extra": "1"}, "param:extra"),
    ],
)
async def test_bad_agent_requests_are_400(
    client: httpx.AsyncClient, query: dict[str, str], path: str
) -> None:
    """AGT-002, ERR-005, ERR-006, ERR-008."""
    response = await client.get(AGENTS, params=query)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["path"] == path


async def test_canonical_activity(client: httpx.AsyncClient, app: FastAPI) -> None:
    """ACT-001, ACT-004, ACT-005: the stored definition with every language."""
    definition = {
        "name": {"en-US": "Lesson", "fr-FR": "Leçon"},
        "type": "http://adlnet.gov/expapi/activities/lesson",
    }
    await add_activity(app, "http://example.com/act/known", definition)
    response = await client.get(ACTIVITIES, params={"activityId": "http://example.com/act/known"})
    assert response.status_code == 200
    assert response.json() == {
        "objectType": "Activity",
        "id": "http://example.com/act/known",
        "definition": definition,
    }


@pytest.mark.parametrize("stored", [False, True])
async def test_activity_without_a_definition(
    client: httpx.AsyncClient, app: FastAPI, stored: bool
) -> None:
    """ACT-002: unknown, or known without a definition: still an Activity, not 404."""
    activity_id = "http://example.com/act/bare"
    if stored:
        await add_activity(app, activity_id, None)
    response = await client.get(ACTIVITIES, params={"activityId": activity_id})
    assert response.status_code == 200
    assert response.json() == {"objectType": "Activity", "id": activity_id}


async def test_head_activities(client_103: httpx.AsyncClient) -> None:
    """CT-007, VER-001."""
    response = await client_103.head(ACTIVITIES, params={"activityId": "urn:x:y"})
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ({}, "param:activityId"),
        ({"activityId": "no scheme"}, "param:activityId"),
        ({"activityID": "http://example.com/a"}, "param:activityID"),
        ({"activityId": "http://example.com/a", "since": "2024-01-01"}, "param:since"),
    ],
)
async def test_bad_activity_requests_are_400(
    client: httpx.AsyncClient, query: dict[str, str], path: str
) -> None:
    """ACT-003, ERR-005, ERR-006, ERR-008."""
    response = await client.get(ACTIVITIES, params=query)
    assert response.status_code == 400
    assert response.json()["error"]["path"] == path


async def test_scopes(scoped: ScopedClients) -> None:
    """AUTH-005: `define`, `profile` and `all/read` may read; `state` may not."""
    query = {"activityId": "http://example.com/a"}
    agent = {"agent": json.dumps(make_agent())}
    for scope, expected in ((Scope.DEFINE, 200), (Scope.ALL_READ, 200), (Scope.STATE, 403)):
        made = await scoped.client(scope)
        try:
            assert (await made.get(ACTIVITIES, params=query)).status_code == expected
            assert (await made.get(AGENTS, params=agent)).status_code == expected
        finally:
            await made.aclose()
