"""Incremental evaluation (the ingest hook's index, read at evaluation) equals a full
recomputation on randomised histories with late arrivals, voiding and re-tagging."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lrs.cli import app as cli_app
from lrs.services import service_proof
from tests.api.ext_support import EXT, ext_db, store
from tests.api.service_proof_support import cases, event, seed, sp_db
from tests.factories import make_voiding

pytestmark = pytest.mark.usefixtures("sp_db")
__all__ = ["ext_db", "sp_db"]

START = datetime(2026, 2, 2, tzinfo=UTC)
CASE_IDS = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(3)]
VERBS = ("opened", "contacted", "updated", "escalated", "confirmed", "closed")
STEP = st.tuples(
    st.integers(0, len(CASE_IDS) - 1),
    st.sampled_from(VERBS),
    st.integers(0, 400),
    st.sampled_from([None, "vip", "time-sensitive", "standard", "gold"]),
    st.sampled_from(["PAR", "NYC", "OPEN", None]),
)


async def _reset(app: FastAPI) -> None:
    async with app.state.lrs.engine.begin() as conn:
        await conn.exec_driver_sql("TRUNCATE statements CASCADE")


def _statement(step: tuple[int, str, int, str | None, str | None]) -> dict[str, Any]:
    case, verb, hours, priority, door = step
    moment = (START + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")
    return event(verb, moment, CASE_IDS[case], priority=priority, door=door)


async def _state(app: FastAPI, client: httpx.AsyncClient) -> tuple[Any, Any]:
    return await cases(client), await service_proof.index_snapshot(app.state.lrs.engine)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    history=st.lists(STEP, min_size=1, max_size=18),
    batch=st.integers(1, 6),
    voided=st.sets(st.integers(0, 17), max_size=4),
    retagged=st.dictionaries(st.integers(0, 17), st.sampled_from(["PAR", "NYC", "OPEN"])),
)
async def test_incremental_equals_recompute(
    app: FastAPI,
    client: httpx.AsyncClient,
    history: list[tuple[int, str, int, str | None, str | None]],
    batch: int,
    voided: set[int],
    retagged: dict[int, str],
) -> None:
    await _reset(app)
    await seed(client)
    # Sent in batches, in an order unrelated to their timestamps (late arrivals).
    sent = [_statement(step) for step in history]
    ids: list[str] = []
    for start in range(0, len(sent), batch):
        ids += await store(client, *sent[start : start + batch])
    for index in sorted(voided):
        if index < len(ids):
            await store(client, make_voiding(ids[index]))
    for index, door in sorted(retagged.items()):
        if index < len(ids):
            response = await client.put(f"{EXT}/tags/{ids[index]}", json={"door": door})
            assert response.status_code in (200, 204)

    incremental = await _state(app, client)
    assert await service_proof.recompute(app.state.lrs.engine) == len(ids)
    assert await _state(app, client) == incremental

    live = {CASE_IDS[s[0]] for i, s in enumerate(history) if s[1] == "opened" and i not in voided}
    assert {c["case"] for c in incremental[0]} == live


async def test_recompute_command(app: FastAPI, client: httpx.AsyncClient, settings: Any) -> None:
    await seed(client)
    await store(client, event("opened", "2026-02-02T09:00:00Z", CASE_IDS[0]))
    before = await _state(app, client)
    async with app.state.lrs.engine.begin() as conn:
        await conn.exec_driver_sql("DELETE FROM service_proof_events")
    assert await cases(client) == []
    env = {"LRS_DATABASE_URL": settings.database_url}
    # The command runs its own event loop: off this one.
    result = await asyncio.to_thread(
        CliRunner().invoke, cli_app, ["service-proof", "recompute"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "indexed 1 service-case statements" in result.output
    assert await _state(app, client) == before
