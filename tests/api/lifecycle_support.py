"""Shared setup of the erasure, purge and audit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from lrs.auth.scopes import Scope
from lrs.ext.rules.pseudonyms import pseudonym_from_pads
from lrs.ext.storage.pseudonyms import load_pads
from lrs.xapi.ifi import ifi_key
from tests.conftest import ScopedClients
from tests.paging import pages

EXT = "/xAPI/extensions"


@pytest.fixture
async def admin(scoped: ScopedClients) -> AsyncIterator[httpx.AsyncClient]:
    """A credential holding only `admin`."""
    async with await scoped.client(Scope.ADMIN) as client:
        yield client


async def pseudonym_of(app: FastAPI, agent: dict[str, Any]) -> str:
    async with app.state.lrs.engine.connect() as conn:
        pads = await load_pads(conn)
    assert pads is not None
    key = ifi_key(agent)
    assert key is not None
    return pseudonym_from_pads(*pads, key)


async def scalar(app: FastAPI, query: str, **params: Any) -> Any:
    async with app.state.lrs.engine.connect() as conn:
        return (await conn.execute(text(query), params)).scalar_one()


async def erase(admin: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await admin.post(f"{EXT}/erasure", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def audit_entries(admin: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    """Every entry matching, following `more` links."""
    response = await admin.get(f"{EXT}/audit", params=params)
    return [entry async for body in pages(admin, response) for entry in body["entries"]]
