"""Query terms follow their statements out: deleted or truncated statements leave no terms
behind (migration 0010's triggers, which replaced a per-row foreign key)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from lrs.storage.database import transaction
from tests.factories import make_statement

_TERMS_OF = text("SELECT count(*) FROM statement_terms WHERE seq = ANY(:seqs)")
_SEQS = text("SELECT seq FROM statements WHERE id = ANY(CAST(:ids AS uuid[]))")


async def _stored_seqs(app: FastAPI, client: httpx.AsyncClient, count: int) -> list[int]:
    statements = [make_statement() for _ in range(count)]
    response = await client.post("/xAPI/statements", json=statements)
    assert response.status_code == 200, response.text
    async with transaction(app.state.lrs.engine) as conn:
        seqs = list((await conn.scalars(_SEQS, {"ids": response.json()})).all())
        assert await conn.scalar(_TERMS_OF, {"seqs": seqs}) >= 3 * count
    return seqs


async def test_deleting_statements_deletes_their_terms_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    gone, kept = await _stored_seqs(app, client, 2), await _stored_seqs(app, client, 1)
    async with transaction(app.state.lrs.engine) as conn:
        await conn.execute(text("DELETE FROM statements WHERE seq = ANY(:s)"), {"s": gone})
        assert await conn.scalar(_TERMS_OF, {"seqs": gone}) == 0
        assert await conn.scalar(_TERMS_OF, {"seqs": kept}) >= 3


async def test_truncating_statements_truncates_terms(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    seqs = await _stored_seqs(app, client, 1)
    engine = app.state.lrs.engine
    async with engine.connect() as conn:
        transaction_ = await conn.begin()
        await conn.execute(text("TRUNCATE statements CASCADE"))
        assert await conn.scalar(text("SELECT count(*) FROM statement_terms")) == 0
        await transaction_.rollback()  # the session's other tests keep their statements
    async with transaction(engine) as conn:
        assert await conn.scalar(_TERMS_OF, {"seqs": seqs}) >= 3
