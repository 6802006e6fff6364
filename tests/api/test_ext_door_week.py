"""Door-week facts over HTTP: headcount across assignment boundaries and a DST week, zero
weeks, KPIs side by side, the views, Parquet round trips."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tests.api.ext_support import (
    EXT,
    assignment,
    ext_db,
    roster,
    seed_registry,
    statement,
    store,
)

pytestmark = pytest.mark.usefixtures("ext_db")
__all__ = ["ext_db"]

COACHED = "https://w3id.org/xapi/retail/verbs/coached"
WEEKS = {"since": "2024-03-11", "until": "2024-04-15"}


async def _dst_dataset(client: httpx.AsyncClient) -> None:
    """Paris (CET, then CEST from Sunday 2024-03-31 02:00): alice moves from advisor to
    manager on Wednesday 2024-03-27; bob leaves at Paris midnight of Monday 2024-03-25;
    carol starts at Paris midnight of Monday 2024-04-01 (2024-03-31T22:00Z, still week 13 in
    UTC)."""
    await seed_registry(client)
    await roster(
        client,
        assignment("alice", "PAR", "advisor", "2024-03-11", "2024-03-27"),
        assignment("alice", "PAR", "manager", "2024-03-27"),
        assignment("bob", "PAR", "advisor", "2024-03-11", "2024-03-25"),
        assignment("carol", "PAR", "advisor", "2024-04-01"),
    )
    await store(
        client,
        statement(
            "alice",
            "2024-03-26T10:00:00Z",
            result={"completion": True, "success": True},
        ),
        # 23:30 CEST on Sunday 31 March: week 13 at the door.
        statement("alice", "2024-03-31T21:30:00Z", verb=COACHED, result={"duration": "PT30M"}),
        # 00:30 CEST on Monday 1 April: week 14 at the door (week 13 in UTC).
        statement("alice", "2024-03-31T22:30:00Z"),
        # 23:30 CET on Sunday 24 March, before bob's assignment ends: week 12.
        statement("bob", "2024-03-24T22:30:00Z"),
    )


async def _export(client: httpx.AsyncClient, **params: str) -> httpx.Response:
    response = await client.get(f"{EXT}/export", params=params)
    assert response.status_code == 200, response.text
    return response


def _csv(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


def _facts(rows: list[dict[str, str]]) -> list[tuple[str, ...]]:
    keys = ("door", "role", "week", "headcount", "active_learners", "practice_rate")
    more = ("statements", "completions", "passes", "activity_minutes")
    return [tuple(r[k] for k in (*keys, *more)) for r in rows]


async def test_headcount_across_boundaries_and_a_dst_week(client: httpx.AsyncClient) -> None:
    await _dst_dataset(client)
    response = await _export(client, dataset="door_week", **WEEKS)
    assert response.headers["content-type"].startswith("text/csv")
    header = response.text.split("\r\n", 1)[0].split(",")
    assert header[:11] == [
        "door",
        "role",
        "week",
        "week_start",
        "headcount",
        "active_learners",
        "practice_rate",
        "statements",
        "completions",
        "passes",
        "activity_minutes",
    ]
    assert _facts(_csv(response)) == [
        ("PAR", "advisor", "2024-W11", "2", "0", "0.0", "0", "0", "0", "0.0"),
        ("PAR", "advisor", "2024-W12", "2", "1", "0.5", "1", "0", "0", "0.0"),
        ("PAR", "advisor", "2024-W13", "1", "1", "1.0", "1", "1", "1", "0.0"),
        ("PAR", "advisor", "2024-W14", "1", "0", "0.0", "0", "0", "0", "0.0"),
        ("PAR", "advisor", "2024-W15", "1", "0", "0.0", "0", "0", "0", "0.0"),
        ("PAR", "manager", "2024-W13", "1", "1", "1.0", "1", "0", "0", "30.0"),
        ("PAR", "manager", "2024-W14", "1", "1", "1.0", "1", "0", "0", "0.0"),
        ("PAR", "manager", "2024-W15", "1", "0", "0.0", "0", "0", "0", "0.0"),
    ]
    assert _csv(response)[0]["week_start"] == "2024-03-11"


async def test_door_and_role_filters_and_bad_parameters(client: httpx.AsyncClient) -> None:
    await _dst_dataset(client)
    rows = _csv(await _export(client, dataset="door_week", role="manager", **WEEKS))
    assert {r["role"] for r in rows} == {"manager"}
    for params, where in (
        ({"dataset": "cubes"}, "param:dataset"),
        ({"dataset": "door_week", "since": "last week"}, "param:since"),
        ({"dataset": "door_week", "verb": "http://example.com/v"}, "param:verb"),
        ({"dataset": "assignments", "since": "2024-01-01T00:00:00Z"}, "param:since"),
        ({"dataset": "door_week", "door": "NOPE"}, "param:door"),
        ({"format": "xlsx"}, "param:format"),
    ):
        response = await client.get(f"{EXT}/export", params=params)
        assert response.status_code == 400, (params, response.text)
        assert where in response.text


async def test_assignments_dataset_joins_the_statements_export(client: httpx.AsyncClient) -> None:
    await _dst_dataset(client)
    rows = _csv(await _export(client, dataset="assignments"))
    assert list(rows[0])[:6] == [
        "actor_key",
        "door",
        "role",
        "valid_from",
        "valid_to",
        "tenure_start",
    ]
    alice = next(r for r in rows if r["role"] == "manager")
    assert alice["valid_from"] == "2024-03-26T23:00:00.000000Z"
    assert alice["valid_to"] == ""
    assert alice["tenure_start"] == "2024-03-27"
    statements = _csv(await _export(client))
    assert alice["actor_key"] in {s["actor_key"] for s in statements}
    assert len(alice["actor_key"]) == 64


async def test_kpis_join_the_door_week(client: httpx.AsyncClient) -> None:
    await _dst_dataset(client)
    body = (
        "door,period_start,period,metric,value,aggregate\n"
        "PAR,2024-03-25,week,atv,41.5,mean\n"
        "PAR,2024-03-25,day,conversion,0.20,mean\n"
        "PAR,2024-03-26,day,conversion,0.30,mean\n"
        "PAR,2024-03-25,day,sales,100,sum\n"
        "PAR,2024-03-31,day,sales,50,sum\n"
        "PAR,2024-03-01,month,shrink,0.012,mean\n"
    )
    response = await client.post(f"{EXT}/kpis", content=body, headers={"Content-Type": "text/csv"})
    assert response.json() == {"upserted": 6}, response.text
    rows = _csv(await _export(client, dataset="door_week", **WEEKS))
    assert list(rows[0])[11:] == ["kpi_atv", "kpi_conversion", "kpi_sales", "suppressed"]
    week13 = [r for r in rows if r["week"] == "2024-W13"]
    assert {(r["kpi_atv"], r["kpi_conversion"], r["kpi_sales"]) for r in week13} == {
        ("41.5", "0.25", "150.0")
    }
    assert {r["kpi_sales"] for r in rows if r["week"] != "2024-W13"} == {""}
    # Upsert by door, period, period_start and metric.
    again = [
        {
            "door": "PAR",
            "period_start": "2024-03-25",
            "period": "week",
            "metric": "atv",
            "value": 40,
            "aggregate": "mean",
        }
    ]
    assert (await client.post(f"{EXT}/kpis", json=again)).json() == {"upserted": 1}
    listed = (await client.get(f"{EXT}/kpis", params={"metric": "atv"})).json()["kpis"]
    assert listed == [
        {
            "door": "PAR",
            "period": "week",
            "period_start": "2024-03-25",
            "metric": "atv",
            "value": 40.0,
            "aggregate": "mean",
        }
    ]
    months = (await client.get(f"{EXT}/kpis", params={"period": "month"})).json()["kpis"]
    assert [k["metric"] for k in months] == ["shrink"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("NOPE,2024-03-25,week,atv,1,mean", "CSV line 3: unknown door 'NOPE'"),
        ("PAR,2024-03-26,week,atv,1,mean", "CSV line 3: a week starts on a Monday"),
        ("PAR,2024-03-02,month,atv,1,mean", "CSV line 3: a month starts on its first day"),
        ("PAR,2024-03-25,year,atv,1,mean", "CSV line 3: period must be one of"),
        ("PAR,2024-03-25,week,Conversion Rate,1,mean", "CSV line 3: metric must match"),
        ("PAR,2024-03-25,week,atv,n/a,mean", "CSV line 3: value must be a number"),
        ("PAR,2024-03-25,week,atv,1,median", "CSV line 3: aggregate must be"),
        ("PAR,2024-03-18,week,atv,1,sum", "CSV line 3: metric 'atv' is aggregated by 'mean'"),
        ("PAR,2024-03-18,week,sales,1,mean", "CSV line 3: metric 'sales' is aggregated by 'sum'"),
        ("PAR,2024-03-11,week,atv,1,mean", "CSV line 3: KPI"),
        ("PAR,2024-03-25,week,atv,,mean", "CSV line 3: value is required"),
    ],
)
async def test_kpi_validation_names_the_line(
    client: httpx.AsyncClient, line: str, message: str
) -> None:
    await seed_registry(client)
    stored = [{"door": "PAR", "period_start": "2024-03-04", "period": "week", "metric": "sales"}]
    assert (await client.post(f"{EXT}/kpis", json=[{**stored[0], "value": 9}])).status_code == 200
    body = (
        f"door,period_start,period,metric,value,aggregate\nPAR,2024-03-11,week,atv,1,mean\n{line}\n"
    )
    response = await client.post(f"{EXT}/kpis", content=body, headers={"Content-Type": "text/csv"})
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]["message"]
    listed = (await client.get(f"{EXT}/kpis")).json()["kpis"]
    assert [k["metric"] for k in listed] == ["sales"]  # the batch stored nothing


async def test_kpi_query_parameters(client: httpx.AsyncClient) -> None:
    for params in ({"period": "year"}, {"since": "soon"}, {"door": "bad door"}, {"x": "1"}):
        response = await client.get(f"{EXT}/kpis", params=params)
        assert response.status_code == 400, params
    response = await client.post(f"{EXT}/kpis", json={"door": "PAR"})
    assert response.status_code == 400
    for name in ("since", "until"):
        error = (await client.get(f"{EXT}/kpis", params={name: "2024-13-01"})).json()["error"]
        message = f"{name} must be a date YYYY-MM-DD"
        assert error == {"status": 400, "message": message, "path": f"param:{name}"}
        params = {"dataset": "door_week", name: "2024-02-30"}
        response = await client.get(f"{EXT}/export", params=params)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        message = f"{name} must be a date YYYY-MM-DD for dataset door_week"
        assert error == {"status": 400, "message": message, "path": f"param:{name}"}


def _parquet(response: httpx.Response) -> pa.Table:
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    return pq.read_table(io.BytesIO(response.content))


async def test_parquet_schema_and_round_trip(client: httpx.AsyncClient) -> None:
    await _dst_dataset(client)
    facts = _parquet(await _export(client, dataset="door_week", format="parquet", **WEEKS))
    assert facts.schema.names[:11] == [
        "door",
        "role",
        "week",
        "week_start",
        "headcount",
        "active_learners",
        "practice_rate",
        "statements",
        "completions",
        "passes",
        "activity_minutes",
    ]
    types = dict(zip(facts.schema.names, facts.schema.types, strict=True))
    assert types["week_start"] == pa.date32()
    assert types["headcount"] == pa.int64()
    assert types["practice_rate"] == pa.float64()
    assert facts.num_rows == 8
    first = facts.to_pylist()[1]
    assert (first["week"], first["week_start"], first["headcount"], first["practice_rate"]) == (
        "2024-W12",
        date(2024, 3, 18),
        2,
        0.5,
    )

    statements = _parquet(await _export(client, format="parquet"))
    as_csv = _csv(await _export(client))
    assert statements.num_rows == len(as_csv) == 4
    stypes = dict(zip(statements.schema.names, statements.schema.types, strict=True))
    assert stypes["timestamp"] == pa.timestamp("us", tz="UTC")
    assert stypes["success"] == pa.bool_()
    assert stypes["duration_s"] == pa.float64()
    rows = {r["statement_id"]: r for r in statements.to_pylist()}
    for row in as_csv:
        back = rows[row["statement_id"]]
        assert back["actor_key"] == row["actor_key"]
        stamp = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
        assert back["timestamp"] == stamp.astimezone(UTC)
    coached = [r for r in rows.values() if r["duration_s"] is not None]
    assert [r["duration_s"] for r in coached] == [1800.0]

    people = _parquet(await _export(client, dataset="assignments", format="parquet"))
    assert people.schema.names[:6] == [
        "actor_key",
        "door",
        "role",
        "valid_from",
        "valid_to",
        "tenure_start",
    ]
    assert people.schema.field("tenure_start").type == pa.date32()
    assert people.num_rows == 4


async def test_parquet_of_many_statements_comes_in_row_groups(client: httpx.AsyncClient) -> None:
    await seed_registry(client)
    batch = [
        statement(f"p{i % 40}", f"2024-05-{1 + i % 28:02d}T10:00:00Z", door="PAR", role="advisor")
        for i in range(900)
    ]
    await store(client, *batch)
    response = await _export(client, format="parquet")
    table = pq.read_table(io.BytesIO(response.content))
    assert table.num_rows == 900
    assert set(table.column("door").to_pylist()) == {"PAR"}


async def test_views_have_the_fixed_columns(app: FastAPI, client: httpx.AsyncClient) -> None:
    await _dst_dataset(client)
    async with app.state.lrs.engine.connect() as conn:
        week = await conn.execute(
            text("SELECT * FROM ext_bi_door_week WHERE week_start BETWEEN :a AND :b"),
            {"a": date(2024, 3, 11), "b": date(2024, 4, 8)},
        )
        names = list(week.keys())
        rows: list[dict[str, Any]] = [dict(r._mapping) for r in week]
        people = await conn.execute(text("SELECT * FROM ext_bi_assignments"))
        people_names = list(people.keys())
    assert names[:11] == [
        "door",
        "role",
        "week",
        "week_start",
        "headcount",
        "active_learners",
        "practice_rate",
        "statements",
        "completions",
        "passes",
        "activity_minutes",
    ]
    assert people_names[:6] == [
        "actor_key",
        "door",
        "role",
        "valid_from",
        "valid_to",
        "tenure_start",
    ]
    # Every group here holds fewer than 5 people: the view shows no figure of any.
    assert len(rows) == 8
    assert {r["suppressed"] for r in rows} == {"min_group_size"}
    assert {r["headcount"] for r in rows} == {None}
