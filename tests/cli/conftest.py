"""Helpers to run the real `lrs` command in a subprocess against a fresh database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from tests.conftest import create_database, drop_database, free_port

__all__ = ["free_port", "lrs"]


def lrs(
    *args: str, env: Mapping[str, str | None], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`lrs ARGS` with this process's environment plus `env` (a None value unsets it)."""
    merged = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-m", "lrs", *args],
        env={name: value for name, value in merged.items() if value is not None},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
async def empty_database(server_url: str) -> AsyncIterator[str]:
    """A brand-new empty database (no schema) on the test server, dropped afterwards."""
    url = await create_database(server_url, "lrs_cli")
    yield url
    await drop_database(server_url, url)


@pytest.fixture
def cli_env(empty_database: str, tmp_path: Path) -> dict[str, str]:
    return {"LRS_DATABASE_URL": empty_database, "LRS_DATA_DIR": str(tmp_path / "data")}
