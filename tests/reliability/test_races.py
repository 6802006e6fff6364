"""Requests racing on the same rows: one winner, consistent answers, no deadlock, no lost update.

Runs in-process against the session's app; its engine pool (10 + 10 overflow) lets the
requests truly overlap in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import make_activity, make_agent, make_statement
from tests.paging import pages

pytestmark = pytest.mark.usefixtures("clean_db")

RACERS = 16
STATE = "/xAPI/activities/state"


async def _count_statements(app: FastAPI, statement_id: str) -> int:
    async with app.state.lrs.engine.connect() as conn:
        result = await conn.exec_driver_sql(
            "SELECT count(*) FROM statements WHERE id = $1::uuid", (statement_id,)
        )
        return int(result.scalar_one())


async def _put_all(
    client: httpx.AsyncClient, statement_id: str, bodies: list[dict[str, Any]]
) -> list[httpx.Response]:
    return await asyncio.gather(
        *(
            client.put("/xAPI/statements", params={"statementId": statement_id}, json=body)
            for body in bodies
        )
    )


async def test_parallel_equivalent_puts_store_one_and_all_succeed(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """STR-W-004..006, ST-PROC-015: equivalent resubmissions all get 204; one row stored."""
    statement = make_statement()
    statement_id = statement.pop("id")
    variants = []
    for i in range(RACERS):
        body = copy.deepcopy(statement)
        if i % 2:  # key order and an upper-case id do not make a different statement
            body = dict(reversed(list(body.items())))
            body["id"] = statement_id.upper()
        variants.append(body)
    answers = await _put_all(client, statement_id, variants)
    assert [a.status_code for a in answers] == [204] * RACERS, [a.text for a in answers]
    assert await _count_statements(app, statement_id) == 1


async def test_parallel_different_puts_store_one_and_the_rest_conflict(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """STR-W-005/006, ERR-014: of four different bodies raced four times each, exactly one is
    stored; every request carrying that body gets 204, every other one 409."""
    statement_id = str(uuid.uuid4())
    kinds = [
        make_statement(id=statement_id, verb={"id": f"http://example.com/v/{k}"}) for k in range(4)
    ]
    bodies = [kinds[i % 4] for i in range(RACERS)]
    answers = await _put_all(client, statement_id, bodies)
    assert Counter(a.status_code for a in answers) <= Counter({204: RACERS, 409: RACERS})
    assert await _count_statements(app, statement_id) == 1

    stored = (await client.get("/xAPI/statements", params={"statementId": statement_id})).json()
    winner = stored["verb"]["id"]
    for body, answer in zip(bodies, answers, strict=True):
        expected = 204 if body["verb"]["id"] == winner else 409
        assert answer.status_code == expected, (body["verb"]["id"], winner, answer.text)
        if expected == 409:
            assert answer.json()["error"]["status"] == 409


AGENTS = [make_agent(who=f"shared{i}") for i in range(6)]
ACTIVITIES = [f"http://example.com/shared/{i}" for i in range(6)]


def _contending_batch(n: int) -> list[dict[str, Any]]:
    """The shared agents and activities in an order that flips between batches, each
    statement bringing a new agent name and a new definition language (both are writes)."""
    order = list(range(6)) if n % 2 else list(reversed(range(6)))
    return [
        make_statement(
            actor={**AGENTS[i], "name": f"Name {n}"},
            object=make_activity(ACTIVITIES[i], definition={"name": {f"x-v{n}": f"name {n}"}}),
        )
        for i in order
    ]


async def _race_batches(client: httpx.AsyncClient) -> None:
    batches = [_contending_batch(n) for n in range(RACERS)]
    answers = await asyncio.gather(*(client.post("/xAPI/statements", json=b) for b in batches))
    assert [a.status_code for a in answers] == [200] * RACERS, [a.text for a in answers]


async def test_concurrent_batches_sharing_agents_and_activities_never_deadlock(
    client: httpx.AsyncClient,
) -> None:
    """ERR-009, ERR-016: batches writing the same agent and activity rows in opposite
    orders all succeed (a deadlock would surface as a 500 or 503), and no agent name one
    of them brought is lost (AGT-001: the Person object lists every known name)."""
    await _race_batches(client)
    for agent in AGENTS:
        person = await client.get("/xAPI/agents", params={"agent": json.dumps(agent)})
        assert set(person.json()["name"]) == {f"Name {n}" for n in range(RACERS)}


async def test_concurrent_definition_updates_are_all_merged(client: httpx.AsyncClient) -> None:
    """ST-PROC-019, ACT-004/005: each batch adds one language to the shared activities'
    names; the canonical definition must end up with every language, as it does when the
    same batches arrive one after another."""
    await _race_batches(client)
    for activity_id in ACTIVITIES:
        got = await client.get("/xAPI/activities", params={"activityId": activity_id})
        names = got.json()["definition"]["name"]
        assert set(names) == {f"x-v{n}" for n in range(RACERS)}, "a definition update was lost"


async def test_sequential_definition_updates_are_all_merged(client: httpx.AsyncClient) -> None:
    """The reference for the test above: the same batches one at a time keep every language."""
    for n in range(RACERS):
        answer = await client.post("/xAPI/statements", json=_contending_batch(n))
        assert answer.status_code == 200, answer.text
    got = await client.get("/xAPI/activities", params={"activityId": ACTIVITIES[0]})
    assert set(got.json()["definition"]["name"]) == {f"x-v{n}" for n in range(RACERS)}


async def test_conditional_read_modify_write_loses_no_increment(
    client: httpx.AsyncClient,
) -> None:
    """CONC-001, CONC-005: writers increment one State counter with GET + PUT If-Match and
    retry on 412; the final count is the number of increments."""
    params = {
        "activityId": "http://example.com/race/counter",
        "agent": json.dumps(make_agent(who="counter")),
        "stateId": f"counter-{uuid.uuid4()}",
    }
    created = await client.put(STATE, params=params, json={"n": 0}, headers={"If-None-Match": "*"})
    assert created.status_code == 204, created.text
    writers, increments = 8, 4

    async def writer() -> int:
        conflicts = 0
        for _ in range(increments):
            while True:
                current = await client.get(STATE, params=params)
                assert current.status_code == 200, current.text
                put = await client.put(
                    STATE,
                    params=params,
                    json={"n": current.json()["n"] + 1},
                    headers={"If-Match": current.headers["ETag"]},
                )
                if put.status_code == 204:
                    break
                assert put.status_code == 412, put.text
                conflicts += 1
        return conflicts

    conflicts = await asyncio.gather(*(writer() for _ in range(writers)))
    final = await client.get(STATE, params=params)
    assert final.json() == {"n": writers * increments}
    assert sum(conflicts) > 0, "the writers never raced; the test proves nothing"


async def _write(
    client: httpx.AsyncClient, registration: str, posts: int, batch: int | None
) -> None:
    """`posts` POSTs of one statement (`batch` None: the grouped path) or of `batch`."""
    for _ in range(posts):
        statements = [
            make_statement(context={"registration": registration}) for _ in range(batch or 1)
        ]
        body = statements[0] if batch is None else statements
        answer = await client.post("/xAPI/statements", json=body)
        assert answer.status_code == 200, answer.text


async def _read_all(
    client: httpx.AsyncClient, registration: str
) -> tuple[datetime, dict[str, datetime]]:
    """The first page's Consistent-Through, and every statement's `stored` over all pages
    (later pages can only add statements)."""
    first = await client.get("/xAPI/statements", params={"registration": registration})
    assert first.status_code == 200, first.text
    through = datetime.fromisoformat(first.headers["X-Experience-API-Consistent-Through"])
    stored = {
        s["id"]: datetime.fromisoformat(s["stored"])
        async for body in pages(client, first)
        for s in body["statements"]
    }
    return through, stored


async def _observe(
    client: httpx.AsyncClient, registration: str, writing: asyncio.Future[Any]
) -> list[tuple[datetime, set[str]]]:
    """(Consistent-Through, ids returned) for each read while the writers run."""
    seen = []
    while not writing.done():
        through, stored = await _read_all(client, registration)
        seen.append((through, set(stored)))
    return seen


async def test_consistent_through_is_never_ahead_of_a_racing_write(
    client: httpx.AsyncClient,
) -> None:
    """ORD-008, STR-R-008/009: while single-statement writers (grouped into shared commits)
    and batch writers race, every read's Consistent-Through is behind every statement it
    did not return; and it keeps up with the writes (recent, not stuck at the start)."""
    registration = str(uuid.uuid4())
    writers = [_write(client, registration, 40, None) for _ in range(6)]
    writers += [_write(client, registration, 8, 5) for _ in range(2)]
    writing = asyncio.ensure_future(asyncio.gather(*writers))
    observations = await asyncio.gather(
        *(_observe(client, registration, writing) for _ in range(3))
    )
    await writing
    _, stored = await _read_all(client, registration)
    assert len(stored) == 6 * 40 + 2 * 8 * 5
    reads = [read for reader in observations for read in reader]
    assert len(reads) >= 10
    for through, returned in reads:
        missed = [sid for sid, at in stored.items() if at < through and sid not in returned]
        assert not missed, f"stored before {through} but not returned: {missed}"
    # Recent: the last reads' Consistent-Through covers most of what was written.
    latest = max(through for through, _ in reads)
    assert sum(at < latest for at in stored.values()) >= len(stored) // 2
