"""Header-less document PUTs and document reads, which run as one statement outside a
transaction: State upserts, a profile is only created (CONC-009..011), and concurrent
writers still serialise (DOC-002, DOC-ST-006, CONC-001..003, CONC-009)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, select

from lrs.storage.tables import documents
from tests.factories import make_agent

pytestmark = pytest.mark.usefixtures("clean_db")

STATE = "/xAPI/activities/state"
ACTIVITY_PROFILE = "/xAPI/activities/profile"
AGENT_PROFILE = "/xAPI/agents/profile"
ACTIVITY = "http://example.com/activities/fast-paths"
AGENT = make_agent(who="fast")
JSON = {"Content-Type": "application/json"}


def state_params(state_id: str) -> dict[str, str]:
    return {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": state_id}


PROFILES = {
    ACTIVITY_PROFILE: lambda doc_id: {"activityId": ACTIVITY, "profileId": doc_id},
    AGENT_PROFILE: lambda doc_id: {"agent": json.dumps(AGENT), "profileId": doc_id},
}


def quoted_sha1(content: bytes) -> str:
    return '"' + hashlib.sha1(content).hexdigest() + '"'


async def stored_updated(app: FastAPI, doc_id: str) -> datetime:
    """The full-precision change time (Last-Modified only carries whole seconds)."""
    async with app.state.lrs.engine.connect() as conn:
        query = select(documents.c.updated).where(documents.c.doc_id == doc_id)
        updated: datetime = (await conn.execute(query)).scalar_one()
    return updated


@contextmanager
def document_statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements run on the documents table while the block runs."""
    seen: list[str] = []
    engine = app.state.lrs.engine.sync_engine

    def record(*args: Any) -> None:
        statement = str(args[2])
        if "documents" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_unconditional_state_put_creates_then_replaces(
    client_103: httpx.AsyncClient, app: FastAPI
) -> None:
    """DOC-002, DOC-ST-006 (1.0.x; REF-008), CONC-003: a second header-less PUT wholly
    replaces the first; bytes, type, ETag and change time all follow."""
    doc_id = f"s-{uuid.uuid4().hex}"
    first = b'{"page": 1,  "spaced": true}'
    created = await client_103.put(STATE, params=state_params(doc_id), content=first, headers=JSON)
    assert created.status_code == 204, created.text
    got_first = await client_103.get(STATE, params=state_params(doc_id))
    assert got_first.content == first
    assert got_first.headers["ETag"] == quoted_sha1(first)
    updated_first = await stored_updated(app, doc_id)

    second = bytes(range(256))
    replaced = await client_103.put(
        STATE,
        params=state_params(doc_id),
        content=second,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert replaced.status_code == 204, replaced.text
    got_second = await client_103.get(STATE, params=state_params(doc_id))
    assert got_second.status_code == 200
    assert got_second.content == second  # byte for byte
    assert got_second.headers["Content-Type"] == "application/octet-stream"
    assert got_second.headers["ETag"] == quoted_sha1(second)
    assert got_second.headers["ETag"] != got_first.headers["ETag"]
    assert await stored_updated(app, doc_id) > updated_first
    assert parsedate_to_datetime(got_second.headers["Last-Modified"]) >= parsedate_to_datetime(
        got_first.headers["Last-Modified"]
    )


async def test_unconditional_state_put_is_one_statement(
    client_103: httpx.AsyncClient, app: FastAPI
) -> None:
    """1.0.x State: no read before the write: creating and replacing are each a single upsert, and a
    GET is a single SELECT."""
    doc_id = f"one-{uuid.uuid4().hex}"
    for body in (b'{"v": 1}', b'{"v": 2}'):
        with document_statements(app) as seen:
            put = await client_103.put(
                STATE, params=state_params(doc_id), content=body, headers=JSON
            )
        assert put.status_code == 204, put.text
        assert len(seen) == 1, seen
        assert "ON CONFLICT" in seen[0]
    with document_statements(app) as seen:
        got = await client_103.get(STATE, params=state_params(doc_id))
    assert got.content == b'{"v": 2}'
    assert len(seen) == 1, seen


@pytest.mark.parametrize("url", list(PROFILES))
async def test_unconditional_profile_put_over_existing_is_409_and_writes_nothing(
    client: httpx.AsyncClient, app: FastAPI, url: str
) -> None:
    """CONC-009, CONC-010: the stored document, ETag and change time stay as they were."""
    doc_id = f"p-{uuid.uuid4().hex}"
    params = PROFILES[url](doc_id)
    original = b'{"kept": true}'
    created = await client.put(url, params=params, content=original, headers=JSON)
    assert created.status_code == 204, created.text
    before = await client.get(url, params=params)
    updated_before = await stored_updated(app, doc_id)

    refused = await client.put(url, params=params, content=b'{"kept": false}', headers=JSON)
    assert refused.status_code == 409, refused.text
    assert "If-Match" in refused.text

    after = await client.get(url, params=params)
    assert after.content == original
    assert after.headers["ETag"] == before.headers["ETag"] == quoted_sha1(original)
    assert after.headers["Last-Modified"] == before.headers["Last-Modified"]
    assert await stored_updated(app, doc_id) == updated_before


@pytest.mark.parametrize("url", list(PROFILES))
async def test_unconditional_profile_put_creates_when_absent(
    client: httpx.AsyncClient, url: str
) -> None:
    """CONC-009 is about existing documents: a first header-less PUT creates it."""
    params = PROFILES[url](f"new-{uuid.uuid4().hex}")
    body = b"<plain/>"
    put = await client.put(url, params=params, content=body, headers={"Content-Type": "text/xml"})
    assert put.status_code == 204, put.text
    got = await client.get(url, params=params)
    assert got.content == body
    assert got.headers["Content-Type"] == "text/xml"
    assert got.headers["ETag"] == quoted_sha1(body)


async def test_concurrent_unconditional_state_puts_last_one_wins(
    client_103: httpx.AsyncClient,
) -> None:
    """DOC-ST-006 (1.0.x): racing header-less State PUTs all succeed; the stored document is one
    of them, whole, with its own ETag."""
    doc_id = f"race-{uuid.uuid4().hex}"
    bodies = [json.dumps({"writer": i, "pad": "x" * i}).encode() for i in range(10)]
    responses = await asyncio.gather(
        *(
            client_103.put(STATE, params=state_params(doc_id), content=body, headers=JSON)
            for body in bodies
        )
    )
    assert [r.status_code for r in responses] == [204] * len(bodies)
    final = await client_103.get(STATE, params=state_params(doc_id))
    assert final.content in bodies
    assert final.headers["ETag"] == quoted_sha1(final.content)


async def test_header_less_put_keeps_input_checks(client: httpx.AsyncClient) -> None:
    """CT-004: a body declared as JSON must parse, and nothing is stored when it does not."""
    doc_id = f"bad-{uuid.uuid4().hex}"
    bad = await client.put(STATE, params=state_params(doc_id), content=b"{nope", headers=JSON)
    assert bad.status_code == 400, bad.text
    assert (await client.get(STATE, params=state_params(doc_id))).status_code == 404
