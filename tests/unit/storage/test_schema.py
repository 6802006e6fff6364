"""The migrations build exactly the schema `lrs.storage.tables` describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import Connection

import lrs.ext.storage.tables  # noqa: F401  (the extension's tables share the metadata)
from lrs.storage.migrate import current_revision, head_revision
from lrs.storage.tables import metadata


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrated_database_matches_table_definitions(app: FastAPI) -> None:
    engine = app.state.lrs.engine
    assert await current_revision(engine) == head_revision()
    async with engine.connect() as connection:
        differences = await connection.run_sync(_diff)
    assert differences == []
