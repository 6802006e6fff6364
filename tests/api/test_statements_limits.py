"""Size limits (LIM-001/006, ERR-011) and the cost shape of a write (a fixed number of SQL
round trips per POST, whatever the batch size)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from lrs.app import create_app
from lrs.settings import Settings
from lrs.storage.database import transaction
from lrs.storage.statements import upsert_agents
from tests.api.in_server import writes_in_the_server
from tests.conftest import ADMIN_KEY, ADMIN_SECRET, basic
from tests.factories import make_activity, make_agent, make_attachment, make_statement

URL = "/xAPI/statements"
MAX_BATCH = 3
MAX_BODY = 8 * 1024


@asynccontextmanager
async def client_of_app_with(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of a second app, started with `settings`."""
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        headers = {
            "Authorization": basic(ADMIN_KEY, ADMIN_SECRET),
            "X-Experience-API-Version": "2.0.0",
        }
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=other), base_url="http://lrs.test", headers=headers
        ) as client:
            yield client


@pytest.fixture(scope="module")
async def small_client(app: FastAPI, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A second app on the same database with tiny limits."""
    settings = Settings(
        database_url=database_url, max_batch_statements=MAX_BATCH, max_body_bytes=MAX_BODY
    )
    async with client_of_app_with(settings) as client:
        yield client


async def test_batch_over_limit_is_413(small_client: httpx.AsyncClient) -> None:
    """LIM-006, ERR-011: LRS_MAX_BATCH_STATEMENTS; at the limit is fine."""
    reg = str(uuid.uuid4())
    at_limit = [make_statement(context={"registration": reg}) for _ in range(MAX_BATCH)]
    assert (await small_client.post(URL, json=at_limit)).status_code == 200
    over = [make_statement(context={"registration": reg}) for _ in range(MAX_BATCH + 1)]
    response = await small_client.post(URL, json=over)
    assert response.status_code == 413
    assert "LRS_MAX_BATCH_STATEMENTS" in response.json()["error"]["message"]
    listed = await small_client.get(URL, params={"registration": reg})
    assert len(listed.json()["statements"]) == MAX_BATCH


async def test_body_over_limit_is_413(small_client: httpx.AsyncClient) -> None:
    """LIM-001, ERR-011: LRS_MAX_BODY_BYTES, announced by Content-Length or streamed."""
    statement = make_statement(result={"response": "x" * MAX_BODY})
    response = await small_client.post(URL, json=statement)
    assert response.status_code == 413
    assert response.headers["X-Experience-API-Version"] == "2.0.0"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b" " * (MAX_BODY // 2)

    streamed = await small_client.post(
        URL, content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


async def test_alternate_body_over_limit_is_413(small_client: httpx.AsyncClient) -> None:
    """ERR-011 applies to alternate-syntax forms too."""
    response = await small_client.post(
        URL + "?method=POST",
        content=b"content=" + b"x" * MAX_BODY,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Experience-API-Version": "1.0.3",
        },
    )
    assert response.status_code == 413


async def test_large_property_is_accepted(client: httpx.AsyncClient) -> None:
    """ST-VAL-016, LIM-007: a long response is no reason to refuse (within the body limit)."""
    statement = make_statement(result={"response": "y" * 100_000})
    assert (await client.post(URL, json=statement)).status_code == 200


@contextmanager
def counting(app: FastAPI) -> Iterator[list[str]]:
    """The first word of every SQL command the app sends while the block runs: statements
    run through SQLAlchemy (its cursor events) and those sent on the driver connection,
    BEGIN and COMMIT included (asyncpg's query logger)."""
    seen: list[str] = []
    engine = app.state.lrs.engine.sync_engine
    attached: list[Any] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]).split()[0])

    def logged(query: Any) -> None:
        seen.append(query.query.split()[0].rstrip(";"))

    def attach(dbapi_connection: Any, *_: Any) -> None:
        driver = dbapi_connection.driver_connection
        driver.add_query_logger(logged)
        attached.append(driver)

    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine.pool, "checkout", attach)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine.pool, "checkout", attach)
        for driver in attached:
            driver.remove_query_logger(logged)


def rich_batch(size: int) -> list[dict[str, Any]]:
    """New statements with new agents, activities, context, and a StatementRef."""
    out = []
    for _ in range(size):
        tag = uuid.uuid4().hex[:10]
        out.append(
            make_statement(
                actor=make_agent(who=f"a{tag}", name=f"Agent {tag}"),
                object=make_activity(f"http://example.com/activities/{tag}"),
                context={
                    "registration": str(uuid.uuid4()),
                    "instructor": make_agent(who=f"i{tag}"),
                    "contextActivities": {"parent": make_activity(f"http://e.com/p/{tag}")},
                },
                attachments=[make_attachment(b"x", fileUrl="https://files.example.com/x")],
            )
        )
    return out


async def test_round_trips_do_not_grow_with_batch_size(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A POST of 100 statements costs exactly the SQL round trips of a POST of 2 (a POST
    of one statement is a group of one-statement writes: `lrs.services.group_write`).
    Counted in the server: the batch process, which stores the larger body, runs the same
    code on a pool of its own."""
    await client.post(URL, json=rich_batch(2))  # warm the credential cache
    counts = []
    async with writes_in_the_server(app):
        for size in (2, 100):
            with counting(app) as seen:
                response = await client.post(URL, json=rich_batch(size))
            assert response.status_code == 200, response.text
            counts.append(list(seen))
    assert counts[0] == counts[1]


async def test_a_repeat_batch_costs_four_commands(app: FastAPI, client: httpx.AsyncClient) -> None:
    """The common batch (a credential already seen, agents and activities already known,
    nothing voided or referenced) is: BEGIN, the first read (`stored`, the ids already
    stored or referenced, the credential confirmed, the write's plan settings), one insert of
    statements, terms, door/role tags and the forwarding outbox row (which also reads the
    definitions it compares), COMMIT. No credential lookup of its own."""
    template = rich_batch(1)[0]
    assert (await client.post(URL, json=template)).status_code == 200
    again = [{**template, "id": str(uuid.uuid4())} for _ in range(2)]
    with counting(app) as seen:
        response = await client.post(URL, json=again)
        await asyncio.sleep(0)  # the query logger reports from the event loop
    assert response.status_code == 200, response.text
    expected = ["BEGIN", "SELECT", "WITH", "COMMIT"]
    assert sorted(seen) == sorted(expected), seen


async def test_a_repeat_statement_costs_one_command(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The common one-statement POST (its agents and activities known, as this process last
    read them) is one command, `lrs_write_group`: no BEGIN, no COMMIT, no read of its own."""
    template = rich_batch(1)[0]
    assert (await client.post(URL, json=template)).status_code == 200
    # The activities as stored are read once by the next write, then known.
    assert (await client.post(URL, json={**template, "id": str(uuid.uuid4())})).status_code == 200
    # The writer keeps its connection between groups: given back, the next group checks one
    # out, where the counting starts.
    await app.state.lrs.statement_writer.close()
    with counting(app) as seen:
        response = await client.post(URL, json={**template, "id": str(uuid.uuid4())})
        await asyncio.sleep(0)
    assert response.status_code == 200, response.text
    assert seen == ["SELECT"]


async def test_a_known_nameless_agent_upserted_again_keeps_an_empty_name_list(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Two batches that both find a nameless agent new both upsert it; the second one's
    conflict update must leave `names` an empty list, not NULL (a NOT NULL violation)."""
    key = f"mbox:mailto:race{uuid.uuid4().hex[:8]}@example.com"
    ifi = {"mbox": key.removeprefix("mbox:")}
    async with transaction(app.state.lrs.engine) as conn:
        await upsert_agents(conn, {key: (ifi, [])})
        await upsert_agents(conn, {key: (ifi, [])})
    person = await client.get("/xAPI/agents", params={"agent": json.dumps(ifi)})
    assert person.status_code == 200, person.text
    assert person.json()["mbox"] == [ifi["mbox"]]
    assert "name" not in person.json() or person.json()["name"] == []


async def test_large_batches_at_once_within_a_small_body_budget_are_all_stored(
    database_url: str,
) -> None:
    """LRS_BODY_MEMORY_BYTES at its minimum (1 MiB): five batches of about 1.5 MB at once
    are processed one after the other, and every one is stored."""
    settings = Settings(database_url=database_url, body_memory_bytes=1024 * 1024)
    filler = "f" * 15_000
    batches = [
        [
            make_statement(context={"extensions": {"http://example.com/filler": filler}})
            for _ in range(100)
        ]
        for _ in range(5)
    ]
    async with client_of_app_with(settings) as client:
        bodies = [json.dumps(batch).encode() for batch in batches]
        assert all(len(body) > 1024 * 1024 for body in bodies)
        answers = await asyncio.wait_for(
            asyncio.gather(*(client.post(URL, content=body) for body in bodies)), 60
        )
        assert [answer.status_code for answer in answers] == [200] * 5
        for batch, answer in zip(batches, answers, strict=True):
            assert answer.json() == [statement["id"] for statement in batch]
        some = batches[4][99]["id"]
        assert (await client.get(URL, params={"statementId": some})).status_code == 200
