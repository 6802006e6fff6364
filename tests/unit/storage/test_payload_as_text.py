"""Migration 0016: payloads stored as JSON text. Statements stored as jsonb before it come
out the same, the views that read inside payloads answer the same rows (and keep their
grants to BI roles), and the downgrade brings jsonb back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.errors import BadRequest
from lrs.storage.database import make_engine
from lrs.storage.migrate import downgrade, upgrade
from lrs.storage.statements import payload_text
from tests.conftest import create_database, drop_database
from tests.factories import make_statement

_BEFORE = "0015"

_STATEMENT: dict[str, Any] = {
    "id": "6a2d5a48-0d1c-4be5-9a5c-5f3e8a1d2b01",
    "actor": {"objectType": "Agent", "mbox": "mailto:advisor@example.com"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "done"}},
    "object": {
        "objectType": "Activity",
        "id": "http://example.com/lesson/1",
        "definition": {"type": "http://adlnet.gov/expapi/activities/lesson"},
    },
    "result": {
        "success": True,
        "completion": True,
        "score": {"scaled": 0.5, "raw": 5},
        "duration": "PT20M",
    },
    "attachments": [
        {
            "usageType": "http://example.com/usage",
            "display": {"en-US": "a file"},
            "contentType": "text/plain",
            "length": 3,
            "sha2": "a" * 64,
        }
    ],
    "stored": "2026-11-27T10:00:00.000Z",
    "timestamp": "2026-11-27T09:00:00.000Z",
}

_INSERT = text(
    """
    INSERT INTO statements (id, stored, timestamp, verb_id, actor_key, object_activity_id,
                            is_voiding, authority_key, version, payload)
    VALUES (CAST(:id AS uuid), '2026-11-27T10:00:00Z', '2026-11-27T09:00:00Z', :verb,
            'mbox:mailto:advisor@example.com', :object, false, 'authority', '2.0.0',
            CAST(:payload AS jsonb))
    """
)


async def _views(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    async with engine.connect() as conn:
        return {
            view: [tuple(row) for row in await conn.execute(text(f"SELECT * FROM {view}"))]
            for view in ("ext_bi_statements", "statement_attachments", "ext_door_week_actors")
        }


async def _payload(engine: AsyncEngine) -> tuple[str, dict[str, Any]]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT format_type(a.atttypid, a.atttypmod), "
                    "(SELECT CAST(payload AS text) FROM statements) "
                    "FROM pg_attribute a WHERE a.attrelid = CAST('statements' AS regclass) "
                    "AND a.attname = 'payload'"
                )
            )
        ).one()
    return row[0], orjson.loads(row[1])


@pytest.fixture
async def old_database(server_url: str) -> AsyncIterator[tuple[AsyncEngine, str]]:
    """A database at the revision before 0016 holding one statement stored as jsonb, and a
    BI role granted one of the views."""
    url = await create_database(server_url, "lrs_payload_text")
    engine = make_engine(url)
    role = f"bi_reader_{uuid.uuid4().hex[:8]}"
    try:
        await upgrade(engine, _BEFORE)
        async with engine.begin() as conn:
            await conn.execute(
                _INSERT,
                {
                    "id": _STATEMENT["id"],
                    "verb": _STATEMENT["verb"]["id"],
                    "object": _STATEMENT["object"]["id"],
                    "payload": orjson.dumps(_STATEMENT).decode(),
                },
            )
            await conn.execute(text(f"CREATE ROLE {role} NOLOGIN"))
            await conn.execute(text(f"GRANT SELECT ON ext_bi_statements TO {role}"))
        yield engine, role
    finally:
        await engine.dispose()
        await drop_database(server_url, url)
        admin = make_engine(server_url)
        async with admin.begin() as conn:
            await conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        await admin.dispose()


async def test_stored_statements_and_views_survive_the_migration_both_ways(
    old_database: tuple[AsyncEngine, str],
) -> None:
    old_engine, role = old_database
    before = await _views(old_engine)
    assert len(before["ext_bi_statements"]) == 1
    assert [row[2] for row in before["statement_attachments"]] == ["a" * 64]

    await upgrade(old_engine)
    column_type, payload = await _payload(old_engine)
    assert column_type == "text"
    assert payload == _STATEMENT
    assert await _views(old_engine) == before
    async with old_engine.connect() as conn:
        granted = await conn.scalar(
            text("SELECT has_table_privilege(:role, 'ext_bi_statements', 'SELECT')"),
            {"role": role},
        )
    assert granted is True

    await downgrade(old_engine, _BEFORE)
    column_type, payload = await _payload(old_engine)
    assert column_type == "jsonb"
    assert payload == _STATEMENT
    assert await _views(old_engine) == before


@pytest.mark.parametrize(
    "payload",
    [
        {"result": {"response": "a\u0000b"}},
        {"extensions": {"http://e.com/\u0000": 1}},
        {"k": "\\\u0000"},
    ],
)
def test_a_payload_holding_u0000_is_refused(payload: dict[str, Any]) -> None:
    """The views cast payloads to jsonb, which cannot hold U+0000 (a key's included)."""
    with pytest.raises(BadRequest, match="U\\+0000"):
        payload_text(payload)


def test_the_text_backslash_u0000_is_a_payload_like_any_other() -> None:
    payload = {"result": {"response": "\\u0000 and \\\\u0000"}}
    assert orjson.loads(payload_text(payload)) == payload


async def test_a_statement_is_served_as_its_stored_text(client: httpx.AsyncClient) -> None:
    """The text "\\u0000" (a backslash, not U+0000) is stored and served back as sent."""
    statement = make_statement(result={"response": "typed \\u0000 literally"})
    response = await client.post("/xAPI/statements", json=statement)
    assert response.status_code == 200, response.text
    served = await client.get("/xAPI/statements", params={"statementId": statement["id"]})
    assert served.status_code == 200
    assert served.json()["result"]["response"] == "typed \\u0000 literally"
