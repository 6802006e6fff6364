"""Ingest hooks that ride on the insert of statements (`IngestRider`, `InsertStep`): their
writes are made by the insert command itself, see exactly the rows it wrote, carry their own
documents, and fail the write with it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from lrs.services.statements import IngestRider
from lrs.storage.statements import InsertStep, NewStatement
from tests.factories import make_statement

URL = "/xAPI/statements"
POISON = "https://lrs.test/verbs/refused-by-a-rider"

_LOG_TABLE = text(
    "CREATE TABLE IF NOT EXISTS test_rider_log (rider text, seq bigint, id uuid, note text, "
    "tx bigint)"
)
# The rows written (`new`) with the note this rider's document carries for each id; a
# poisoned statement divides by zero, as a step refusing its rows would fail.
_LOG_STEP = """
    INSERT INTO test_rider_log (rider, seq, id, note, tx)
    SELECT '{name}', new.seq / CASE WHEN d.verb = '{poison}' THEN 0 ELSE 1 END, new.id,
           d.note, txid_current()
    FROM new JOIN jsonb_to_recordset(CAST($document AS jsonb)) AS d(id uuid, note text,
                                                                    verb text)
         ON d.id = new.id
    """
_COUNT_STEP = """
    INSERT INTO test_rider_log (rider, seq, id, note, tx)
    SELECT 'count', count(*), NULL, NULL, txid_current() FROM new
    """


class NotingRider(IngestRider):
    """Logs each written row with a note of its own (from this rider's document)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def insert_steps(self, rows: Sequence[NewStatement]) -> list[InsertStep]:
        document = [{"id": r.id, "note": f"{self.name}:{r.id}", "verb": r.verb_id} for r in rows]
        sql = _LOG_STEP.replace("{name}", self.name).replace("{poison}", POISON)
        return [InsertStep(sql, orjson.dumps(document).decode())]


class CountingRider(IngestRider):
    """A step without a document: how many rows the insert wrote."""

    def insert_steps(self, rows: Sequence[NewStatement]) -> list[InsertStep]:
        return [InsertStep(_COUNT_STEP)]


@contextlib.asynccontextmanager
async def riding(app: FastAPI) -> AsyncIterator[None]:
    context = app.state.lrs
    async with context.engine.begin() as conn:
        await conn.execute(_LOG_TABLE)
        await conn.execute(text("TRUNCATE test_rider_log"))
    original = context.ingest_hooks
    context.ingest_hooks = (*original, NotingRider("first"), CountingRider(), NotingRider("second"))
    try:
        yield
    finally:
        context.ingest_hooks = original


@pytest.fixture(autouse=True)
async def _drop_log(app: FastAPI) -> AsyncIterator[None]:
    """The log table is the test's own: the schema test compares the database with the
    table definitions."""
    yield
    async with app.state.lrs.engine.begin() as conn:
        await conn.execute(text("DROP TABLE IF EXISTS test_rider_log"))


async def _log(app: FastAPI) -> list[Any]:
    async with app.state.lrs.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT rider, seq, id::text, note, tx FROM test_rider_log ORDER BY rider, seq")
        )
        return list(rows)


async def _stored(app: FastAPI, ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """id -> (seq, the id of the transaction that inserted it)."""
    async with app.state.lrs.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT id::text, seq, xmin::text::bigint FROM statements "
                "WHERE id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": list(ids)},
        )
        return {row[0]: (row[1], row[2]) for row in rows}


async def test_riders_write_in_the_insert_with_their_own_documents(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    known = make_statement()
    assert (await client.post(URL, json=known)).status_code == 200
    batch = [make_statement() for _ in range(3)]
    async with riding(app):
        response = await client.post(URL, json=[known, *batch])
    assert response.status_code == 200, response.text
    stored = await _stored(app, [s["id"] for s in batch])
    log = await _log(app)
    for name in ("first", "second"):
        # Each rider saw exactly the rows this insert wrote (not the one already stored),
        # with the seq it got and its own document's note.
        mine = [row for row in log if row[0] == name]
        assert {(row[1], row[2]) for row in mine} == {(seq, i) for i, (seq, _) in stored.items()}
        assert {row[3] for row in mine} == {f"{name}:{s['id']}" for s in batch}
    assert [row[1] for row in log if row[0] == "count"] == [3]
    # ... in the transaction that inserted them.
    assert {row[4] % 2**32 for row in log} == {tx for _, tx in stored.values()}


async def test_a_step_failing_fails_its_whole_batch(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A batch is stored whole or not at all (ERR-009), whatever refuses it."""
    poison = make_statement(verb={"id": POISON, "display": {"en-US": "refused"}})
    batch = [make_statement(), poison, make_statement()]
    async with riding(app):
        response = await client.post(URL, json=batch)
    assert response.status_code == 500  # a step's fault is the server's, not the client's
    assert await _stored(app, [s["id"] for s in batch]) == {}
    assert await _log(app) == []


async def test_a_step_failing_fails_only_its_own_request_of_a_group(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Concurrent one-statement writes share an insert (group commit); when its steps fail,
    each request is written again on its own and only the refused one fails."""
    poison = make_statement(verb={"id": POISON, "display": {"en-US": "refused"}})
    bodies: list[dict[str, Any]] = [make_statement() for _ in range(12)]
    bodies.insert(5, poison)
    async with riding(app):
        answers = await asyncio.gather(*(client.post(URL, json=body) for body in bodies))
    codes = [a.status_code for a in answers]
    assert codes[5] == 500
    assert codes[:5] + codes[6:] == [200] * 12
    good = [b["id"] for i, b in enumerate(bodies) if i != 5]
    stored = await _stored(app, [b["id"] for b in bodies])
    assert sorted(stored) == sorted(good)
    noted = {row[2] for row in await _log(app) if row[0] == "first"}
    assert noted == set(good)
