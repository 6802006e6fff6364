"""Racing writers on the document resources: no lost update, exactly one creator wins.

Each race runs twice: many concurrent requests through the in-process ASGI transport, and
the same requests over real HTTP against a live uvicorn server (its own event loop in a
thread) on the test database (CONC-005..009, CONC-012, DOC-003, DOC-ST-006).
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import ADMIN_KEY, ADMIN_SECRET, basic
from tests.factories import make_agent

pytestmark = pytest.mark.usefixtures("clean_db")

STATE = "/xAPI/activities/state"
AGENT_PROFILE = "/xAPI/agents/profile"
JSON = {"Content-Type": "application/json"}
WRITERS = 20
HEADERS = {"Authorization": basic(ADMIN_KEY, ADMIN_SECRET), "X-Experience-API-Version": "2.0.0"}


@pytest.fixture(scope="module")
def live_url(live_base_url: str) -> str:
    return live_base_url


@pytest.fixture(params=["asgi", "live"])
async def racer(
    request: pytest.FixtureRequest, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    """The in-process client, or a real HTTP client of the live server."""
    if request.param == "asgi":
        yield client
        return
    base_url = request.getfixturevalue("live_url")
    limits = httpx.Limits(max_connections=WRITERS * 2)
    async with httpx.AsyncClient(
        base_url=base_url, headers=HEADERS, limits=limits, timeout=30
    ) as live:
        yield live


def _params(doc_id: str) -> dict[str, str]:
    return {"agent": json.dumps(make_agent(who="racer")), "profileId": doc_id}


def _state_params(doc_id: str) -> dict[str, str]:
    return {
        "activityId": "http://example.com/activities/race",
        "agent": json.dumps(make_agent(who="racer")),
        "stateId": doc_id,
    }


async def _add_key_with_retries(client: httpx.AsyncClient, doc_id: str, index: int) -> int:
    """Read the ETag, POST a merge under If-Match (If-None-Match: * when absent), retry on
    412 after a short random pause, as a real client backs off. Returns how many attempts
    lost a race."""
    lost = 0
    while True:
        current = await client.get(AGENT_PROFILE, params=_params(doc_id))
        if current.status_code == 404:
            condition = {"If-None-Match": "*"}
        else:
            assert current.status_code == 200, current.text
            condition = {"If-Match": current.headers["ETag"]}
        posted = await client.post(
            AGENT_PROFILE,
            params=_params(doc_id),
            content=json.dumps({f"writer-{index}": index}).encode(),
            headers={**JSON, **condition},
        )
        if posted.status_code == 204:
            return lost
        assert posted.status_code == 412, posted.text
        lost += 1
        await asyncio.sleep(random.uniform(0, 0.005 * WRITERS))


async def test_conditional_merges_lose_no_update(racer: httpx.AsyncClient) -> None:
    """CONC-005, CONC-007, CONC-008, CONC-012, DOC-003: every writer's key survives."""
    doc_id = f"race-{uuid.uuid4().hex}"
    lost = await asyncio.gather(*(_add_key_with_retries(racer, doc_id, i) for i in range(WRITERS)))
    assert sum(lost) > 0  # the writers did collide
    final = await racer.get(AGENT_PROFILE, params=_params(doc_id))
    assert final.json() == {f"writer-{i}": i for i in range(WRITERS)}


async def test_stale_if_match_writers_exactly_one_wins(racer: httpx.AsyncClient) -> None:
    """CONC-005: writers holding the same ETag race; one succeeds, the rest get 412."""
    doc_id = f"stale-{uuid.uuid4().hex}"
    await racer.put(AGENT_PROFILE, params=_params(doc_id), content=b"{}", headers=JSON)
    etag = (await racer.get(AGENT_PROFILE, params=_params(doc_id))).headers["ETag"]
    bodies = [json.dumps({"winner": i}).encode() for i in range(WRITERS)]
    responses = await asyncio.gather(
        *(
            racer.put(
                AGENT_PROFILE,
                params=_params(doc_id),
                content=body,
                headers={**JSON, "If-Match": etag},
            )
            for body in bodies
        )
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {204: 1, 412: WRITERS - 1}
    winner = next(b for b, r in zip(bodies, responses, strict=True) if r.status_code == 204)
    assert (await racer.get(AGENT_PROFILE, params=_params(doc_id))).content == winner


@pytest.mark.parametrize("creators", [2, WRITERS])
async def test_if_none_match_creators_exactly_one_wins(
    racer: httpx.AsyncClient, creators: int
) -> None:
    """CONC-006: simultaneous If-None-Match: * creators; one 204, the others 412, never 500."""
    doc_id = f"create-{uuid.uuid4().hex}"
    bodies = [json.dumps({"creator": i}).encode() for i in range(creators)]
    responses = await asyncio.gather(
        *(
            racer.put(
                AGENT_PROFILE,
                params=_params(doc_id),
                content=body,
                headers={**JSON, "If-None-Match": "*"},
            )
            for body in bodies
        )
    )
    assert Counter(r.status_code for r in responses) == {204: 1, 412: creators - 1}
    winner = next(b for b, r in zip(bodies, responses, strict=True) if r.status_code == 204)
    assert (await racer.get(AGENT_PROFILE, params=_params(doc_id))).content == winner


async def test_unconditional_profile_creators_one_wins_the_rest_409(
    racer: httpx.AsyncClient,
) -> None:
    """CONC-009, CONC-010: header-less PUTs racing to create; the losers see a document."""
    doc_id = f"bare-{uuid.uuid4().hex}"
    responses = await asyncio.gather(
        *(
            racer.put(AGENT_PROFILE, params=_params(doc_id), content=b"{}", headers=JSON)
            for _ in range(WRITERS)
        )
    )
    assert Counter(r.status_code for r in responses) == {204: 1, 409: WRITERS - 1}


async def test_unconditional_state_merges_lose_no_update(racer: httpx.AsyncClient) -> None:
    """DOC-ST-006, DOC-003: header-less State POSTs, racing to create and to merge, are
    serialised by the row lock, so every key survives."""
    doc_id = f"state-{uuid.uuid4().hex}"
    responses = await asyncio.gather(
        *(
            racer.post(
                STATE,
                params=_state_params(doc_id),
                content=json.dumps({f"k{i}": i}).encode(),
                headers=JSON,
            )
            for i in range(WRITERS)
        )
    )
    assert {r.status_code for r in responses} == {204}
    final = await racer.get(STATE, params=_state_params(doc_id))
    assert final.json() == {f"k{i}": i for i in range(WRITERS)}
