"""GET /xAPI/extensions/audit: every administrative act, paged, append-only."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lrs.services.credentials import create_credential, ensure_bootstrap, revoke_credential
from tests.api.ext_support import assignment, ext_db, roster, seed_registry
from tests.api.lifecycle_support import EXT, admin, audit_entries, scalar

__all__ = ["admin", "ext_db"]


async def test_credential_and_bootstrap_acts_are_recorded(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    engine = app.state.lrs.engine
    since = (await scalar(app, "SELECT clock_timestamp()")).isoformat()
    key = "audited-" + uuid.uuid4().hex[:8]
    await create_credential(engine, key=key, secret="s3cret-value")
    await revoke_credential(engine, key)
    boot = "boot-" + uuid.uuid4().hex[:8]
    await ensure_bootstrap(engine, boot, "first-secret")
    await ensure_bootstrap(engine, boot, "first-secret")  # unchanged: nothing to record
    await ensure_bootstrap(engine, boot, "second-secret")
    entries = await audit_entries(admin, since=since)
    acts = [(e["action"], e["subject"], e["actor"].split(":")[0]) for e in entries]
    assert acts == [
        ("credential.create", key, "cli"),
        ("credential.revoke", key, "cli"),
        ("credential.create", boot, "startup"),
        ("credential.bootstrap_replaced", boot, "startup"),
    ]
    assert entries[0]["details"] == {"name": key, "scopes": ["all"]}
    assert "s3cret" not in str(entries)


async def test_registry_and_roster_changes_are_recorded(
    app: FastAPI, client: httpx.AsyncClient, admin: httpx.AsyncClient, ext_db: None
) -> None:
    since = (await scalar(app, "SELECT clock_timestamp()")).isoformat()
    await seed_registry(client)
    assert (await client.put(f"{EXT}/doors/MIL", json={"name": "Milan"})).status_code == 200
    assert (await client.put(f"{EXT}/roles/stock", json={"name": "Stock"})).status_code == 200
    await roster(client, assignment("ann", "PAR", "advisor", "2024-01-01T00:00:00Z"))
    entries = await audit_entries(admin, since=since)
    assert [(e["action"], e["subject"]) for e in entries] == [
        ("registry.doors", None),
        ("registry.roles", None),
        ("registry.door", "MIL"),
        ("registry.role", "stock"),
        ("roster.upsert", None),
    ]
    assert entries[0]["details"] == {"upserted": 3}
    assert entries[-1]["details"] == {"assignments": 1, "retagged": 0}
    assert {e["actor"] for e in entries} == {"test-admin"}
    assert "ann@" not in str(entries)
    roster_only = await audit_entries(admin, since=since, action="roster.upsert")
    assert len(roster_only) == 1
    until = await audit_entries(admin, since=since, until=entries[2]["at"])
    assert len(until) == 2


async def test_paging_with_more(
    app: FastAPI, client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    since = (await scalar(app, "SELECT clock_timestamp()")).isoformat()
    for n in range(5):
        assert (await client.put(f"{EXT}/roles/p{n}", json={"name": "P"})).status_code == 200
    first = (await admin.get(f"{EXT}/audit", params={"since": since, "limit": "2"})).json()
    assert len(first["entries"]) == 2
    assert first["more"].startswith(f"{EXT}/audit?more=")
    everything = await audit_entries(admin, since=since, limit="2")
    assert [e["subject"] for e in everything] == [f"p{n}" for n in range(5)]
    mixed = await admin.get(first["more"] + "&limit=3")
    assert mixed.status_code == 400


@pytest.mark.parametrize(
    "params",
    [{"since": "yesterday"}, {"limit": "-1"}, {"more": "garbage"}, {"Since": "x"}, {"what": "1"}],
)
async def test_bad_audit_parameters_are_400(admin: httpx.AsyncClient, params: Any) -> None:
    assert (await admin.get(f"{EXT}/audit", params=params)).status_code == 400


@pytest.mark.parametrize(
    "command",
    ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"],
)
async def test_the_trail_is_append_only(app: FastAPI, command: str) -> None:
    async with app.state.lrs.engine.begin() as conn:
        await conn.execute(text("INSERT INTO audit_log (actor, action) VALUES ('t', 't')"))
    async with app.state.lrs.engine.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(text(command))
