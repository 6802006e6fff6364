"""The BI export (CSV and NDJSON), pseudonymity, and the read-only SQL view."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from lrs.auth.scopes import Scope
from lrs.ext.rules.columns import EXPORT_COLUMNS
from lrs.ext.rules.filters import Filters
from lrs.ext.rules.pseudonyms import pseudonym_from_pads
from lrs.ext.storage.pseudonyms import load_pads
from lrs.ext.storage.query import stream_export
from tests.api.ext_support import (
    COMPLETED,
    EXT,
    assignment,
    ext_db,
    roster,
    seed_registry,
    statement,
    store,
)
from tests.conftest import ScopedClients
from tests.factories import make_voiding

pytestmark = pytest.mark.usefixtures("ext_db")
__all__ = ["ext_db"]

ISSUE_COLUMNS = (
    "statement_id, stored, timestamp, actor_key, verb_id, verb_display, object_id, object_type, "
    "activity_type, registration, success, completion, score_scaled, score_raw, duration_s, "
    "door, role, tag_source"
)
RESULT = {
    "success": True,
    "completion": False,
    "score": {"scaled": 0.75, "raw": 15, "min": 0, "max": 20},
    "duration": "PT1H2M3.5S",
}
REGISTRATION = "6fbd600f-d17c-4c74-801a-2ec2e53231c7"


async def _dataset(client: httpx.AsyncClient) -> list[str]:
    await seed_registry(client)
    await roster(client, assignment("bob", "NYC", "cashier", "2024-01-01T00:00:00Z"))
    first = statement(
        door="PAR",
        role="advisor",
        timestamp="2024-05-01T10:00:00Z",
        result=RESULT,
        context={
            "registration": REGISTRATION,
            "extensions": {
                "https://w3id.org/xapi/retail/extensions/door": "PAR",
                "https://w3id.org/xapi/retail/extensions/role": "advisor",
            },
        },
    )
    ids = await store(client, first)
    ids += await store(client, statement("bob", verb=COMPLETED, timestamp="2024-05-02T10:00:00Z"))
    ids += await store(client, statement("carol", timestamp="2024-05-03T10:00:00Z"))
    return ids


def _csv(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body)))


async def test_csv_columns_types_and_order(client: httpx.AsyncClient) -> None:
    ids = await _dataset(client)
    response = await client.get(f"{EXT}/export", params={"format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    header = response.text.split("\r\n", 1)[0]
    assert header.split(",") == ISSUE_COLUMNS.split(", ") == list(EXPORT_COLUMNS)
    rows = _csv(response.text)
    assert [r["statement_id"] for r in rows] == ids  # stored order
    first = rows[0]
    assert first["timestamp"] == "2024-05-01T10:00:00.000000Z"
    assert first["stored"].endswith("Z")
    assert first["verb_id"] == "http://example.com/verbs/practiced"
    assert first["verb_display"] == "practiced"
    assert first["object_id"] == "http://example.com/activities/pitch"
    assert first["object_type"] == "Activity"
    assert first["activity_type"] == "http://adlnet.gov/expapi/activities/lesson"
    assert first["registration"] == REGISTRATION
    assert (first["success"], first["completion"]) == ("true", "false")
    assert (first["score_scaled"], first["score_raw"]) == ("0.75", "15.0")
    assert float(first["duration_s"]) == pytest.approx(3723.5)
    assert (first["door"], first["role"], first["tag_source"]) == ("PAR", "advisor", "statement")
    assert (rows[1]["door"], rows[1]["role"], rows[1]["tag_source"]) == ("NYC", "cashier", "roster")
    assert (rows[2]["door"], rows[2]["success"], rows[2]["duration_s"]) == ("", "", "")


async def test_ndjson_is_one_typed_object_per_line(client: httpx.AsyncClient) -> None:
    ids = await _dataset(client)
    response = await client.get(f"{EXT}/export", params={"format": "ndjson"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = response.content.split(b"\n")
    assert lines[-1] == b""
    rows = [orjson.loads(line) for line in lines[:-1]]
    assert [r["statement_id"] for r in rows] == ids
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert rows[0]["success"] is True
    assert rows[0]["score_raw"] == 15.0
    assert rows[0]["duration_s"] == pytest.approx(3723.5)
    assert rows[2]["door"] is None
    assert rows[2]["success"] is None


async def test_actor_is_a_stable_keyed_pseudonym(app: FastAPI, client: httpx.AsyncClient) -> None:
    await _dataset(client)
    body = (await client.get(f"{EXT}/export")).text
    assert "example.com" not in body.replace("http://example.com/", "")
    rows = _csv(body)
    async with app.state.lrs.engine.connect() as conn:
        pads = await load_pads(conn)
    assert pads is not None
    expected = pseudonym_from_pads(*pads, "mbox:mailto:alice@example.com")
    assert rows[0]["actor_key"] == expected
    assert len(expected) == 64
    again = _csv((await client.get(f"{EXT}/export")).text)
    assert [r["actor_key"] for r in again] == [r["actor_key"] for r in rows]
    assert len({r["actor_key"] for r in rows}) == 3


async def test_identities_need_their_scope(
    client: httpx.AsyncClient, scoped: ScopedClients
) -> None:
    await _dataset(client)
    async with await scoped.client(Scope.EXT_BI_READ) as reader:
        assert (await reader.get(f"{EXT}/export")).status_code == 200
        response = await reader.get(f"{EXT}/export", params={"identities": "true"})
        assert response.status_code == 403
    async with await scoped.client(Scope.EXT_BI_READ, Scope.EXT_BI_IDENTITIES) as trusted:
        response = await trusted.get(f"{EXT}/export", params={"identities": "true"})
        assert response.status_code == 200
        assert _csv(response.text)[0]["actor_key"] == "mbox:mailto:alice@example.com"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"door": "PAR"}, [0]),
        ({"role": "cashier"}, [1]),
        ({"door": "NYC", "role": "cashier"}, [1]),
        ({"door": "LON"}, []),
        ({"verb": COMPLETED}, [1]),
    ],
)
async def test_filters(
    client: httpx.AsyncClient, params: dict[str, str], expected: list[int]
) -> None:
    ids = await _dataset(client)
    response = await client.get(f"{EXT}/export", params=params)
    assert response.status_code == 200, response.text
    assert [r["statement_id"] for r in _csv(response.text)] == [ids[i] for i in expected]


async def test_since_until_on_stored(client: httpx.AsyncClient) -> None:
    ids = await _dataset(client)
    rows = _csv((await client.get(f"{EXT}/export")).text)
    response = await client.get(
        f"{EXT}/export", params={"since": rows[0]["stored"], "until": rows[1]["stored"]}
    )
    assert [r["statement_id"] for r in _csv(response.text)] == [ids[1]]


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"format": "xlsx"}, "param:format"),
        ({"since": "last week"}, "param:since"),
        ({"until": "2024-02-30T00:00:00Z"}, "param:until"),
        ({"door": "MARS"}, "param:door"),
        ({"role": "astronaut"}, "param:role"),
        ({"verb": "not an iri"}, "param:verb"),
        ({"Door": "PAR"}, "param:Door"),
        ({"identities": "yes"}, "param:identities"),
    ],
)
async def test_bad_parameters(client: httpx.AsyncClient, params: dict[str, str], path: str) -> None:
    await seed_registry(client)
    response = await client.get(f"{EXT}/export", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["path"] == path


async def test_voided_and_voiding_statements_are_left_out(client: httpx.AsyncClient) -> None:
    """ST-VOID-*: a voided statement is retracted; BI counts neither it nor its voiding."""
    ids = await _dataset(client)
    await store(client, make_voiding(ids[2]))
    rows = _csv((await client.get(f"{EXT}/export")).text)
    assert [r["statement_id"] for r in rows] == ids[:2]


async def test_view_has_the_export_columns_and_rows(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The read-only view BI tools query directly equals the pseudonymous export."""
    await _dataset(client)
    await store(client, statement("dave", result={"duration": "P1DT2H"}))
    rows = _csv((await client.get(f"{EXT}/export")).text)
    async with app.state.lrs.engine.connect() as conn:
        result = await conn.execute(text("SELECT * FROM ext_bi_statements ORDER BY stored"))
        columns = list(result.keys())
        view_rows: list[Any] = list(result)
    assert columns == list(EXPORT_COLUMNS)
    assert [r.statement_id for r in view_rows] == [r["statement_id"] for r in rows]
    assert [r.actor_key for r in view_rows] == [r["actor_key"] for r in rows]
    assert [r.door for r in view_rows] == [r["door"] or None for r in rows]
    assert view_rows[-1].duration_s == 93600.0


async def test_rows_leave_in_batches_from_a_server_side_cursor(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Constant memory: the cursor hands rows over a batch at a time, never all at once."""
    ids = await _dataset(client)
    batches = await stream_export(app.state.lrs.engine, Filters(), identities=False, batch=2)
    sizes = [len(batch) async for batch in batches]
    assert sizes == [2, 1]
    assert len(ids) == 3
