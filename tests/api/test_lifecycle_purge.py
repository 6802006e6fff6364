"""POST /xAPI/extensions/purge and the retention task: everything stored before a bound, and
what only those statements used, in chunks while ingest goes on."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from lrs.app import create_app
from lrs.services import purge as service
from lrs.services.lifecycle_input import PurgeRequest
from lrs.settings import Settings
from tests.api.ext_support import ext_db, seed_registry, statement, store
from tests.api.lifecycle_support import EXT, admin, audit_entries, scalar
from tests.api.test_statements_attachments import part, post_multipart
from tests.factories import make_agent, make_attachment, make_statement

__all__ = ["admin", "ext_db"]


async def _now(app: FastAPI) -> datetime:
    value: datetime = await scalar(app, "SELECT clock_timestamp()")
    return value


async def _purge(admin: httpx.AsyncClient, before: datetime, **body: Any) -> dict[str, Any]:
    response = await admin.post(f"{EXT}/purge", json={"before": before.isoformat(), **body})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_purge_is_complete(
    app: FastAPI, client: httpx.AsyncClient, admin: httpx.AsyncClient, ext_db: None
) -> None:
    await seed_registry(client)
    olga = make_agent(who="olga", name="Olga Old")
    own, shared = b"old only", b"old and new"
    attachments = [make_attachment(own), make_attachment(shared)]
    old_att = make_statement(actor=olga, attachments=attachments)
    response = await post_multipart(client, [old_att], part(own), part(shared))
    assert response.status_code == 200, response.text
    stored = await store(client, statement("oscar", door="PAR"), statement("olga"))
    old_ids = [old_att["id"], *stored]
    state = {"activityId": "http://example.com/a", "agent": json.dumps(olga), "stateId": "s"}
    assert (await client.put("/xAPI/activities/state", params=state, json={})).status_code == 204
    before = await _now(app)
    new_att = make_statement(actor=make_agent(who="nina"), attachments=[make_attachment(shared)])
    response = await post_multipart(client, [new_att], part(shared))
    assert response.status_code == 200, response.text
    new_ids = [new_att["id"], *await store(client, statement("oscar"))]

    expected = {"statements": 3, "attachments": 1, "tags": 1, "agents": 1}
    dry = await _purge(admin, before, dry_run=True)
    assert dry["counts"] == expected
    real = await _purge(admin, before)
    assert real["counts"] == expected
    assert real["chunks"] == 1

    for statement_id in old_ids:
        got = await client.get("/xAPI/statements", params={"statementId": statement_id})
        assert got.status_code == 404
    for statement_id in new_ids:
        got = await client.get("/xAPI/statements", params={"statementId": statement_id})
        assert got.status_code == 200
    own_sha, shared_sha = (hashlib.sha256(p).hexdigest() for p in (own, shared))
    assert await scalar(app, "SELECT count(*) FROM attachments WHERE sha2 = :s", s=own_sha) == 0
    assert await scalar(app, "SELECT count(*) FROM attachments WHERE sha2 = :s", s=shared_sha) == 1
    assert await scalar(app, "SELECT count(*) FROM agents WHERE ifi_key LIKE '%olga%'") == 0
    # Documents are keyed state, not history: kept.
    assert (await client.get("/xAPI/activities/state", params=state)).status_code == 200
    entries = await audit_entries(admin, action="purge", since=before.isoformat())
    assert entries[-1]["details"] == {**expected, "chunks": 1}
    assert entries[-1]["subject"] == before.isoformat()
    # Idempotent.
    assert set((await _purge(admin, before))["counts"].values()) == {0}


async def test_purge_in_chunks_while_ingest_runs(
    app: FastAPI, client: httpx.AsyncClient, ext_db: None
) -> None:
    for _ in range(6):
        await store(client, *(statement(f"old{i}") for i in range(100)))
    before = await _now(app)
    posted: list[str] = []
    during_purge = 0

    async def writer(n: int) -> None:
        nonlocal during_purge
        for _ in range(10):
            posted.extend(await store(client, *(statement(f"new{n}-{i}") for i in range(10))))
            during_purge += not purging.done()

    request = PurgeRequest(before, dry_run=False)
    purging = asyncio.create_task(
        service.purge(app.state.lrs.engine, request, actor="test", chunk=50)
    )
    await asyncio.wait_for(asyncio.gather(*(writer(n) for n in range(4))), timeout=120)
    result = await asyncio.wait_for(purging, timeout=120)
    assert during_purge > 0  # batches were acknowledged while the purge ran, between chunks
    assert result["counts"]["statements"] == 600
    assert result["chunks"] == 12
    assert len(posted) == 400
    query = "SELECT count(*) FROM statements WHERE id = ANY(CAST(:ids AS uuid[]))"
    assert await scalar(app, query, ids=posted) == 400
    assert await scalar(app, "SELECT count(*) FROM statements WHERE stored < :b", b=before) == 0


@pytest.mark.parametrize(
    "body",
    [{}, {"before": "yesterday"}, {"before": 5}, {"before": "2024-01-01T00:00:00Z", "x": 1}],
)
async def test_bad_purge_bodies_are_400(admin: httpx.AsyncClient, body: Any) -> None:
    assert (await admin.post(f"{EXT}/purge", json=body)).status_code == 400


async def test_retention_runs_once_a_day_in_one_process(app: FastAPI, settings: Settings) -> None:
    engine = app.state.lrs.engine
    assert await service.audit_last_retention(engine) is None
    runs = await asyncio.gather(*(service.retention_once(engine, 3650) for _ in range(3)))
    assert sum(runs) == 1  # three processes checked at once: exactly one purged
    assert await service.audit_last_retention(engine) is not None
    assert await service.retention_once(engine, 3650) is False  # done today already
    # The lifespan starts the task and stops it cleanly.
    with_retention = settings.model_copy(update={"retention_days": 3650})
    other = create_app(with_retention)
    async with other.router.lifespan_context(other):
        await asyncio.sleep(0.2)
