"""The thinnest xAPI-shaped write endpoint on lrs's own stack, as a ceiling for `single`.

FastAPI on uvicorn (one worker, as `lrs serve`), asyncpg, one PostgreSQL round trip per
POST: the body is parsed with orjson and its payload inserted into a scratch table; no
authentication, validation, index terms or definitions. Whatever one statement per POST
costs beyond this is lrs's own work; what this endpoint reaches is what any LRS on this
stack, machine and load generator can reach. Started by `python -m bench ceiling`:

    BENCH_THIN_DSN=postgresql://... uvicorn bench.thin_endpoint:app --port PORT
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI, Request
from starlette.responses import Response

TABLE = "bench_thin_statements"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    pool = await asyncpg.create_pool(os.environ["BENCH_THIN_DSN"], min_size=4, max_size=10)
    async with pool.acquire() as conn:
        await conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        await conn.execute(f"CREATE TABLE {TABLE} (id uuid PRIMARY KEY, payload jsonb NOT NULL)")
    app.state.pool = pool
    try:
        yield
    finally:
        async with pool.acquire() as conn:
            await conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        await pool.close()


app = FastAPI(lifespan=lifespan)
_INSERT = f"INSERT INTO {TABLE} VALUES ($1::uuid, $2::jsonb) ON CONFLICT DO NOTHING"  # noqa: S608


@app.get("/xAPI/about")
async def about() -> dict[str, Any]:
    return {"version": ["2.0.0"]}


@app.post("/xAPI/statements")
async def post_statement(request: Request) -> Response:
    statement = orjson.loads(await request.body())
    async with request.app.state.pool.acquire() as conn:
        await conn.execute(_INSERT, statement["id"], orjson.dumps(statement).decode())
    return Response(orjson.dumps([statement["id"]]), media_type="application/json")
