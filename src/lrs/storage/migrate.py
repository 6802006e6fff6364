"""Alembic, driven from code: upgrade to head and tell whether a database is behind."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, MetaData, String, Table, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

# Alembic's own bookkeeping table, read directly: its MigrationContext logs two INFO lines
# each time it is built, which `/ready` (polled every few seconds) would repeat forever.
VERSION_TABLE = Table("alembic_version", MetaData(), Column("version_num", String(32)))


def migrations_dir() -> Path:
    """The migration scripts: packaged inside the wheel, or at the top of a source checkout."""
    packaged = Path(__file__).resolve().parent.parent / "_migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "migrations"


def _config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@functools.cache
def head_revision() -> str | None:
    """The newest migration of this release. Read once: finding it parses every migration
    script, 6 ms of CPU that an unauthenticated `/ready` would otherwise cost each time."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def _current(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE.name):
        return None
    revisions = connection.execute(select(VERSION_TABLE.c.version_num)).scalars().all()
    if len(revisions) > 1:
        raise RuntimeError(f"the schema has several heads: {', '.join(sorted(revisions))}")
    return revisions[0] if revisions else None


def _upgrade(connection: Connection) -> None:
    config = _config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to head; a lock keeps two processes from migrating at once."""
    async with engine.begin() as connection:
        await connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7242011)")
        await connection.run_sync(_upgrade)


async def is_at_head(engine: AsyncEngine) -> bool:
    return await current_revision(engine) == head_revision()
