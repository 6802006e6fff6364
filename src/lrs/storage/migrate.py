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


def _migrate(connection: Connection, action: str, revision: str) -> None:
    config = _config()
    config.attributes["connection"] = connection
    getattr(command, action)(config, revision)


_MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(7242011)"


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


# Statement payloads are compressed with lz4 where the server has it (PostgreSQL 14 and
# later, built with lz4, as the official container images are): in batches of realistic
# statements it costs the database about 15 µs less CPU per statement than the default pglz
# (bench/RESULTS.md, tenth round), for a table of the same size. A server
# without lz4 (the embedded PostgreSQL) keeps its default. A property of the server rather
# than of the schema, so it is set here, after the migrations, each time they are brought
# to head (a restored backup, which `lrs backup` writes without compression settings so that
# it restores on any server, or a database moved to another server, gets it at its next
# `lrs migrate`); it changes the catalog only, once: rows already stored keep theirs.
_PREFER_LZ4_PAYLOADS = """
    DO $$
    BEGIN
        IF current_setting('server_version_num')::int < 140000 THEN
            RETURN;
        END IF;
        BEGIN  -- whether the server has lz4, without touching the table
            PERFORM set_config('default_toast_compression', 'lz4', true);
        EXCEPTION WHEN invalid_parameter_value THEN
            RETURN;  -- built without lz4
        END;
        IF EXISTS (SELECT 1 FROM pg_attribute
                   WHERE attrelid = 'statements'::regclass AND attname = 'payload'
                     AND attcompression <> 'l') THEN
            -- a moment's exclusive lock on the table, waited for only briefly: a busy
            -- table (a long export) gets it at a later migration instead
            PERFORM set_config('lock_timeout', '2s', true);
            ALTER TABLE statements ALTER COLUMN payload SET COMPRESSION lz4;
        END IF;
    EXCEPTION WHEN lock_not_available THEN
        NULL;
    END $$
    """


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision` (head) and the payloads' compression to lz4 where the
    server has it; a lock keeps two processes from migrating at once."""
    async with engine.begin() as connection:
        await connection.exec_driver_sql(_MIGRATION_LOCK)
        await connection.run_sync(_migrate, "upgrade", revision)
        await connection.exec_driver_sql(_PREFER_LZ4_PAYLOADS)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Take the schema back to `revision`, under the same lock (a migration's way back)."""
    async with engine.begin() as connection:
        await connection.exec_driver_sql(_MIGRATION_LOCK)
        await connection.run_sync(_migrate, "downgrade", revision)


async def is_at_head(engine: AsyncEngine) -> bool:
    return await current_revision(engine) == head_revision()
