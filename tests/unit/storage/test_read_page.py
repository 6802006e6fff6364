"""`lrs_read_page` (migration 0018): a statement read's start and its statements (a query's
page, or one by id) in one command.

The page's snapshot must be taken after Consistent-Through is read (ORD-008, STR-R-008;
`tests/reliability/test_races.py` checks it under concurrent writes): the function relies on
each of its commands taking its own snapshot, which only READ COMMITTED gives, so it refuses
any other level. A credential found stale reads nothing."""

from __future__ import annotations

import asyncpg
import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url

from lrs.storage.database import autocommit, make_engine, read_only
from lrs.storage.statement_queries import PageQuery, Read, read_page, read_statement
from tests.conftest import ADMIN_KEY, asyncpg_dsn
from tests.factories import make_statement

_EVERY_STATEMENT = PageQuery(
    terms=(),
    verb=None,
    since=None,
    until=None,
    authority_key=None,
    ascending=True,
    limit=2,
    after=None,
)
_NONE = ("", "")  # no credential to confirm


async def _credential_version(app: FastAPI, key: str) -> str:
    async with autocommit(app.state.lrs.engine) as conn:
        version = await conn.scalar(
            text("SELECT xmin::text FROM credentials WHERE key = :key"), {"key": key}
        )
    assert isinstance(version, str)
    return version


async def test_a_page_comes_with_the_consistent_through_taken_before_it(
    app: FastAPI, client: httpx.AsyncClient, clean_db: None
) -> None:
    statements = [make_statement() for _ in range(3)]
    assert (await client.post("/xAPI/statements", json=statements)).status_code == 200
    async with autocommit(app.state.lrs.engine) as conn:
        read = await read_page(conn, _EVERY_STATEMENT, _NONE)
        latest = await conn.scalar(text("SELECT max(stored) FROM statements"))
    assert not read.stale
    assert read.has_more  # 3 stored, a page of 2
    assert [orjson.loads(row.payload_json)["id"] for row in read.rows] == [
        s["id"] for s in statements[:2]
    ]
    assert [row.seq for row in read.rows] == sorted(row.seq for row in read.rows)
    assert read.consistent_through >= latest


async def test_a_stale_credential_reads_nothing(
    app: FastAPI, client: httpx.AsyncClient, clean_db: None
) -> None:
    assert (await client.post("/xAPI/statements", json=make_statement())).status_code == 200
    version = await _credential_version(app, ADMIN_KEY)
    async with autocommit(app.state.lrs.engine) as conn:
        confirmed = await read_page(conn, _EVERY_STATEMENT, (ADMIN_KEY, version))
        stale = await read_page(conn, _EVERY_STATEMENT, (ADMIN_KEY, version + "0"))
        unknown = await read_page(conn, _EVERY_STATEMENT, ("no-such-key", version))
    assert not confirmed.stale
    assert len(confirmed.rows) == 1
    for refused in (stale, unknown):
        assert refused.stale
        assert refused.rows == []
        assert not refused.has_more
        assert refused.consistent_through >= confirmed.consistent_through


async def test_the_function_refuses_one_snapshot_for_the_whole_read(
    app: FastAPI, client: httpx.AsyncClient, clean_db: None
) -> None:
    """In REPEATABLE READ the page would be read in the snapshot taken before
    Consistent-Through: refused, not answered wrongly."""
    assert (await client.post("/xAPI/statements", json=make_statement())).status_code == 200
    with pytest.raises(asyncpg.RaiseError, match="needs READ COMMITTED"):
        async with read_only(app.state.lrs.engine) as conn:
            await read_page(conn, _EVERY_STATEMENT, _NONE)


async def test_a_server_that_defaults_to_another_level_still_reads(
    app: FastAPI, client: httpx.AsyncClient, database_url: str, clean_db: None
) -> None:
    """An external PostgreSQL may be set to start transactions in REPEATABLE READ: lrs's
    connections ask for READ COMMITTED (`lrs.storage.database`), so reads still work."""
    assert (await client.post("/xAPI/statements", json=make_statement())).status_code == 200
    database = make_url(database_url).database
    assert database is not None
    level = "ALTER DATABASE {} {{}} default_transaction_isolation".format(
        '"' + database.replace('"', '""') + '"'
    )
    engine = make_engine(database_url, pool_size=1)
    async with autocommit(app.state.lrs.engine) as conn:
        await conn.execute(text(level.format("SET") + " = 'repeatable read'"))
    try:
        plain = await asyncpg.connect(asyncpg_dsn(database_url))
        try:  # a connection that does not ask gets the database's default
            assert await plain.fetchval("SHOW transaction_isolation") == "repeatable read"
        finally:
            await plain.close()
        async with autocommit(engine) as conn:
            read = await read_page(conn, _EVERY_STATEMENT, _NONE)
        assert len(read.rows) == 1
    finally:
        async with autocommit(app.state.lrs.engine) as conn:
            await conn.execute(text(level.format("RESET")))
        await engine.dispose()


async def test_a_statement_by_id_comes_with_its_read_start(
    app: FastAPI, client: httpx.AsyncClient, clean_db: None
) -> None:
    stored = make_statement()
    assert (await client.post("/xAPI/statements", json=stored)).status_code == 200
    version = await _credential_version(app, ADMIN_KEY)
    async with autocommit(app.state.lrs.engine) as conn:

        async def by_id(
            statement_id: str,
            voided: bool = False,
            own: str | None = None,
            check: tuple[str, str] = _NONE,
        ) -> Read:
            return await read_statement(
                conn, statement_id, voided=voided, authority_key=own, check=check
            )

        found = await by_id(stored["id"], check=(ADMIN_KEY, version))
        not_voided = await by_id(stored["id"], voided=True)
        someone_elses = await by_id(stored["id"], own="mbox:mailto:nobody@example.com")
        missing = await by_id(make_statement()["id"])
        stale = await by_id(stored["id"], check=(ADMIN_KEY, version + "0"))
        latest = await conn.scalar(text("SELECT max(stored) FROM statements"))
    assert [orjson.loads(row.payload_json)["id"] for row in found.rows] == [stored["id"]]
    assert not found.stale
    assert found.consistent_through >= latest
    for nothing in (not_voided, someone_elses, missing):
        assert nothing.rows == []
        assert not nothing.stale
    assert stale.stale
    assert stale.rows == []
