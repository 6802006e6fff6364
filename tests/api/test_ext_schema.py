"""The extension's tables in `lrs.ext.storage.tables` match what migration 0002 builds."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import Connection

import lrs.ext.storage.tables as ext_tables
from lrs.storage.tables import metadata


def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return (getattr(table, "name", None) or name or "").startswith("ext_")


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"include_object": _include, "compare_type": True}
    )
    return list(compare_metadata(context, metadata))


async def test_tables_match_the_migration(app: FastAPI) -> None:
    assert ext_tables.ext_tags.name in metadata.tables
    async with app.state.lrs.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []
