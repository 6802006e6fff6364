"""The settings the embedded PostgreSQL runs with, written where a configuration reload reads.

They are given on the server's command line, where they win over `ALTER SYSTEM` (`fsync`
stays on whatever is done to the configuration files). A reload (`pg_ctl reload`,
`pg_reload_conf()`) reads only the files, though, and found there initdb's own values of
`max_connections` and `shared_buffers`: it logged them as changes that need a restart and
the configuration file as containing errors, and marked both `pending_restart`. So the same
values are also written to ``lrs.conf``, which ``postgresql.conf`` includes last.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["SETTINGS_FILE", "write_settings"]

SETTINGS_FILE = "lrs.conf"
_INCLUDE = f"include_if_exists = '{SETTINGS_FILE}'"
_HEADER = "# Written by lrs at each start: the values of its command line (lrs.storage.embedded)."


def _quoted(value: object) -> str:
    """A configuration-file string: quotes doubled, backslashes escaped."""
    text = str(value).replace("\\", "\\\\").replace("'", "''")
    return f"'{text}'"


def write_settings(
    pgdata: Path, settings: Mapping[str, object], owner: tuple[int, int] | None
) -> None:
    """Write `settings` to ``lrs.conf`` in `pgdata` (replaced whole, owned by `owner` when
    given), and include it at the end of ``postgresql.conf`` unless it already is."""
    lines = [_HEADER, *(f"{key} = {_quoted(value)}" for key, value in settings.items())]
    path = pgdata / SETTINGS_FILE
    scratch = path.with_suffix(".conf.new")
    scratch.write_text("\n".join(lines) + "\n")
    if owner is not None:
        os.chown(scratch, *owner)
    scratch.replace(path)
    conf = pgdata / "postgresql.conf"
    if _INCLUDE not in conf.read_text().splitlines():
        with conf.open("a") as out:
            out.write(
                f"\n# lrs's settings, last so that they win over the lines above\n{_INCLUDE}\n"
            )
