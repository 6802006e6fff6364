"""The pieces of `lrs.services.group_write` the one command is built from: the payload
without what the database writes, and the memory of activity definitions and versions."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from fastapi import FastAPI
from sqlalchemy import text

from lrs.auth.principal import authority_for
from lrs.services.group_write import _PLACEHOLDER, ActivityVersions, _group_row
from lrs.services.statements import build_row
from lrs.storage.database import autocommit, transaction
from lrs.storage.statements import upsert_activities
from lrs.xapi.prepare import prepare_statement
from lrs.xapi.relations import statement_index_terms
from lrs.xapi.versions import XapiVersion
from tests.factories import make_statement


def _row_of(statement: dict[str, Any]) -> dict[str, Any]:
    prepared = prepare_statement(
        statement,
        version=XapiVersion.V2_0_0,
        authority=authority_for("unit", "unit"),
        stored=_PLACEHOLDER,
    )
    row = build_row(prepared, statement_index_terms(prepared), _PLACEHOLDER)
    group_row = _group_row(prepared, row, isinstance(statement.get("timestamp"), str))
    payload: dict[str, Any] = orjson.loads(group_row.payload_json)
    return {"timestamp": group_row.timestamp, "payload": payload}


def test_the_payload_leaves_stored_to_the_database() -> None:
    """ST-PROC-002/004: the database writes `stored`, and `timestamp` only when the
    statement had none; a client's own timestamp is kept, moved to UTC (ST-VAL-125)."""
    own = _row_of(make_statement(timestamp="2026-01-01T05:00:00+05:00", stored="1999-01-01"))
    assert "stored" not in own["payload"]
    assert own["payload"]["timestamp"] == "2026-01-01T00:00:00Z"
    assert own["timestamp"] is not None
    assert own["timestamp"].isoformat() == "2026-01-01T00:00:00+00:00"

    statement = make_statement()
    del statement["timestamp"]
    none = _row_of(statement)
    assert "stored" not in none["payload"]
    assert "timestamp" not in none["payload"]
    assert none["timestamp"] is None


async def test_activity_versions_are_read_once_bounded_and_forgotten(app: FastAPI) -> None:
    engine = app.state.lrs.engine
    ids = [f"http://example.com/unit/{uuid.uuid4().hex}" for _ in range(3)]
    async with transaction(engine) as conn:
        await upsert_activities(conn, {i: {"name": {"en-US": "before"}} for i in ids})
    memory = ActivityVersions(limit=2)
    async with autocommit(engine) as conn:
        # One at a time: the reading order is what the bound drops first.
        first = {**await memory.read(conn, ids[:1]), **await memory.read(conn, ids[1:2])}
        assert {i: d for i, (d, _) in first.items()} == {
            i: {"name": {"en-US": "before"}} for i in ids[:2]
        }
        await conn.execute(
            text(
                'UPDATE activities SET definition = \'{"name": {"en-US": "after"}}\' '
                "WHERE activity_id = ANY(:ids)"
            ),
            {"ids": ids},
        )
        # Known: not read again (the one command's version check catches the change).
        assert await memory.read(conn, ids[1:2]) == {ids[1]: first[ids[1]]}
        await memory.read(conn, ids[2:])  # a third: the oldest read is dropped
        definition, version = (await memory.read(conn, ids[:1]))[ids[0]]
        assert definition == {"name": {"en-US": "after"}}
        assert version != first[ids[0]][1]
        memory.forget(ids[1:2])
        assert (await memory.read(conn, ids[1:2]))[ids[1]][0] == {"name": {"en-US": "after"}}
        assert await memory.read(conn, ["http://example.com/unit/absent"]) == {}


def _normalized(sql: str) -> str:
    return " ".join(sql.replace("(", " ( ").replace(")", " ) ").split())


async def test_the_function_makes_the_riders_writes_as_they_make_them(app: FastAPI) -> None:
    """`lrs_write_group` (migration 0015) carries a copy of the standard riders' SQL: a
    change to one of them needs a migration that redefines the function."""
    from lrs.ext.storage.tags import _CARRIED_TAGS, _ROSTER_TAGS
    from lrs.storage.forwarding import ENQUEUE_WRITTEN

    async with autocommit(app.state.lrs.engine) as conn:
        source = await conn.scalar(
            text("SELECT prosrc FROM pg_proc WHERE proname = 'lrs_write_group'")
        )
    body = _normalized(str(source))
    for sql in (_ROSTER_TAGS.sql, _CARRIED_TAGS, ENQUEUE_WRITTEN.sql):
        assert _normalized(sql.replace("$document", "tags_json")) in body
