"""Statement Resource round trips through the real app and PostgreSQL."""

from __future__ import annotations

import uuid

import httpx

from tests.factories import make_statement
from tests.paging import pages


async def test_post_then_get_by_id(client: httpx.AsyncClient, clean_db: None) -> None:
    """STR-W-007, STR-W-008, STR-R-001, ST-PROC-001/002/005/011."""
    statement = make_statement()
    response = await client.post("/xAPI/statements", json=statement)
    assert response.status_code == 200, response.text
    [statement_id] = response.json()
    assert uuid.UUID(statement_id)
    assert "X-Experience-API-Consistent-Through" in response.headers
    got = await client.get("/xAPI/statements", params={"statementId": statement_id})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["id"] == statement_id
    assert body["actor"] == statement["actor"]
    assert body["version"] == "2.0.0"
    assert body["authority"]["account"]["name"] == "test-admin"
    assert "stored" in body
    assert "timestamp" in body
    assert "Last-Modified" in got.headers


async def test_query_pages_through_more(client: httpx.AsyncClient, clean_db: None) -> None:
    """STR-M-001..003, ORD-001, ORD-005, LIM-005."""
    ids = (await client.post("/xAPI/statements", json=[make_statement() for _ in range(7)])).json()
    seen: list[str] = []
    response = await client.get("/xAPI/statements", params={"limit": 3})
    async for body in pages(client, response):
        seen += [s["id"] for s in body["statements"]]
        assert body["more"] == "" or body["more"].startswith("/xAPI/statements?")
    assert sorted(seen) == sorted(ids)
    assert len(seen) == 7
