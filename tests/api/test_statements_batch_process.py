"""Large POST bodies are parsed, validated and stored by the batch process
(`lrs.services.batch_process`), with the same answers as in the server itself: ids in order
(STR-W-008), all or nothing (ERR-009), the same errors with the same paths (STR-W-006,
LIM-006, CT-003, ERR-001)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from lrs.app import create_app
from lrs.services.batch_process import APPLICATION_NAME, BATCH_BYTES, BATCHES_AT_ONCE
from lrs.settings import Settings
from tests.api.in_server import writes_in_the_server
from tests.api.large_batches import PADDING, all_running, batch_processes, large_batch
from tests.conftest import ADMIN_KEY
from tests.factories import make_attachment, make_statement
from tests.paging import statement_ids

URL = "/xAPI/statements"


async def test_a_large_batch_is_stored_by_the_batch_process(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    batches = batch_processes(app)
    assert batches.first.pid is not None
    assert batches.first.pid != os.getpid()
    registration = str(uuid.uuid4())
    batch = large_batch(registration=registration)
    del batch[3]["id"]  # the LRS assigns it (STR-W-008: the ids in order)
    assert len(json.dumps(batch)) > BATCH_BYTES
    handled = batches.handled
    response = await client.post(URL, json=batch)
    assert response.status_code == 200, response.text
    assert batches.handled == handled + 1
    ids = response.json()
    assert ids[:3] == [s["id"] for s in batch[:3]]
    assert ids[4:] == [s["id"] for s in batch[4:]]
    uuid.UUID(ids[3])
    assert "X-Experience-API-Consistent-Through" in response.headers
    assert set(await statement_ids(client, registration=registration)) == set(ids)
    stored = (await client.get(URL, params={"statementId": ids[0]})).json()
    assert stored["authority"]["account"]["name"] == ADMIN_KEY
    assert stored["result"]["response"] == PADDING


async def test_a_small_batch_stays_in_the_server(app: FastAPI, client: httpx.AsyncClient) -> None:
    batches = batch_processes(app)
    handled = batches.handled
    response = await client.post(URL, json=[make_statement(), make_statement()])
    assert response.status_code == 200, response.text
    assert batches.handled == handled


def _conflicting(stored: dict[str, Any]) -> list[dict[str, Any]]:
    batch = large_batch()
    batch[40] = {**stored, "verb": {"id": "http://example.com/verbs/other"}}
    return batch


def _invalid_at_57() -> list[dict[str, Any]]:
    batch = large_batch()
    batch[57]["verb"] = {"display": {"en-US": "no id"}}
    return batch


def _too_many() -> list[dict[str, Any]]:
    return [make_statement() for _ in range(1001)]  # LRS_MAX_BATCH_STATEMENTS: 1000


def _attachment_without_data() -> list[dict[str, Any]]:
    batch = large_batch()
    batch[5]["attachments"] = [make_attachment(b"not sent")]
    return batch


BAD_BODIES = {
    "invalid statement": (_invalid_at_57, 400),
    "more than LRS_MAX_BATCH_STATEMENTS": (_too_many, 413),
    "attachment without its data (CT-003)": (_attachment_without_data, 400),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
async def test_a_bad_large_batch_gets_the_answer_the_server_gives(
    app: FastAPI, client: httpx.AsyncClient, case: str
) -> None:
    """The same status and JSON body (message and path) from the batch process as from the
    server itself, and nothing of the batch stored."""
    make, status = BAD_BODIES[case]
    batch = make()
    batches = batch_processes(app)
    handled = batches.handled
    there = await client.post(URL, json=batch)
    assert batches.handled == handled + 1
    async with writes_in_the_server(app):
        here = await client.post(URL, json=batch)
    assert batches.handled == handled + 1
    assert there.status_code == here.status_code == status, there.text
    assert there.json() == here.json()
    assert "X-Experience-API-Consistent-Through" in there.headers
    for statement in batch[:3]:
        found = await client.get(URL, params={"statementId": statement["id"]})
        assert found.status_code == 404


async def test_a_large_batch_conflicting_with_a_stored_statement_is_409_and_stores_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """STR-W-006 and ERR-009 through the batch process."""
    stored = make_statement()
    assert (await client.post(URL, json=stored)).status_code == 200
    registration = str(uuid.uuid4())
    batch = _conflicting(stored)
    for statement in batch:
        statement.setdefault("context", {})["registration"] = registration
    handled = batch_processes(app).handled
    response = await client.post(URL, json=batch)
    assert batch_processes(app).handled == handled + 1
    assert response.status_code == 409, response.text
    assert "STR-W-006" in response.json()["error"]["message"]
    assert set(await statement_ids(client, registration=registration)) == set()


async def test_bad_json_and_content_type_in_a_large_body(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    body = json.dumps(large_batch()).encode()
    answers = []
    for content, ctype in ((body[:-1], "application/json"), (body, "text/plain")):
        there = await client.post(URL, content=content, headers={"Content-Type": ctype})
        async with writes_in_the_server(app):
            here = await client.post(URL, content=content, headers={"Content-Type": ctype})
        assert there.status_code == here.status_code == 400
        assert there.json() == here.json()
        answers.append(there.json()["error"])
    assert "CT-004" in answers[1]["message"]


async def test_a_large_multipart_batch_with_attachments(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """ATT-001..013 through the batch process: the payload stored and served back."""
    payload = os.urandom(70_000)
    batch = large_batch(10)
    batch[2]["attachments"] = [make_attachment(payload)]
    boundary = "b" + uuid.uuid4().hex
    attachment = batch[2]["attachments"][0]
    body = (
        (
            f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json.dumps(batch)}\r\n"
            f"--{boundary}\r\nContent-Type: {attachment['contentType']}\r\n"
            "Content-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {attachment['sha2']}\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    assert len(body) > BATCH_BYTES
    handled = batch_processes(app).handled
    response = await client.post(
        URL, content=body, headers={"Content-Type": f"multipart/mixed; boundary={boundary}"}
    )
    assert response.status_code == 200, response.text
    assert batch_processes(app).handled == handled + 1
    served = await client.get(URL, params={"statementId": batch[2]["id"], "attachments": "true"})
    assert served.status_code == 200
    assert payload in served.content


async def test_concurrent_large_batches_each_get_their_own_answer(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Twelve batches at once, every third one bad: each answered for itself."""
    batches = [_invalid_at_57() if i % 3 == 0 else large_batch(70) for i in range(12)]
    answers = await asyncio.gather(*(client.post(URL, json=b) for b in batches))
    for index, (batch, answer) in enumerate(zip(batches, answers, strict=True)):
        if index % 3 == 0:
            assert answer.status_code == 400, answer.text
        else:
            assert answer.status_code == 200, answer.text
            assert answer.json() == [s["id"] for s in batch]


async def _batch_process_backends(app: FastAPI) -> set[int]:
    """The PostgreSQL backends connected for the batch process."""
    async with app.state.lrs.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = :name"
            ),
            {"name": APPLICATION_NAME},
        )
        return {row.pid for row in rows}


async def test_the_batch_processes_keep_their_connections_open(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """As many connections as batches at once in each process, opened once: a new connection
    is a new PostgreSQL backend (its start, catalog caches and prepared statements cost the
    database about a quarter more CPU per statement when a pool's overflow opened and closed
    them)."""

    batches = batch_processes(app)

    async def many_at_once() -> None:
        handled = batches.handled
        answers = await asyncio.gather(*(client.post(URL, json=large_batch()) for _ in range(24)))
        assert [answer.status_code for answer in answers] == [200] * 24
        assert batches.handled == handled + 24

    await many_at_once()  # the first holds more than two: the others are started
    await all_running(batches)
    await many_at_once()
    backends = await _batch_process_backends(app)
    assert len(backends) == BATCHES_AT_ONCE * len(batches.processes)
    await many_at_once()
    assert await _batch_process_backends(app) == backends


async def test_a_dead_batch_process_is_replaced(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Killed, the batch process is started again for the next batch; a batch it held is
    answered 503 (never 500) and is stored whole or not at all."""
    batches = batch_processes(app).first
    old, started = batches.pid, batches.started
    assert old is not None
    registration = str(uuid.uuid4())
    held = asyncio.create_task(client.post(URL, json=large_batch(400, registration)))
    await asyncio.sleep(0.05)
    os.kill(old, signal.SIGKILL)
    answer = await held
    assert answer.status_code in (200, 503), answer.text
    assert len(set(await statement_ids(client, registration=registration))) in (0, 400)
    for _ in range(3):
        response = await client.post(URL, json=large_batch())
        if response.status_code == 200:
            break
        assert response.status_code == 503, response.text
        assert "send it again" in response.json()["error"]["message"]
    assert response.status_code == 200, response.text
    assert batches.started == started + 1
    assert batches.pid not in (None, old)


async def test_the_batch_processes_end_with_the_app(database_url: str) -> None:
    other = create_app(Settings(database_url=database_url))
    async with other.router.lifespan_context(other):
        batches = batch_processes(other)
        for process in batches.processes[1:]:
            await process.start()
        pids = [process.pid for process in batches.processes]
        for pid in pids:
            assert pid is not None
            os.kill(pid, 0)  # alive
    for pid in pids:
        assert pid is not None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
