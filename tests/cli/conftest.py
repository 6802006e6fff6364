"""Helpers to run the real `lrs` command in a subprocess against a fresh database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import free_port

__all__ = ["free_port", "lrs"]


def lrs(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lrs", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
async def empty_database(server_url: str) -> AsyncIterator[str]:
    """A brand-new empty database (no schema) on the test server, dropped afterwards."""
    name = f"lrs_cli_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_dsn(server_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    admin = await asyncpg.connect(_dsn(server_url))
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture
def cli_env(empty_database: str, tmp_path: Path) -> dict[str, str]:
    return {"LRS_DATABASE_URL": empty_database, "LRS_DATA_DIR": str(tmp_path / "data")}
