"""`lrs erase`, `purge`, `audit`, `backup` and `restore` end to end, in subprocesses."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from lrs.storage.embedded import _bin_dir
from tests.cli.conftest import lrs
from tests.factories import make_agent, make_statement

ERIN = make_agent(who="erin")


def _ok(*args: str, env: dict[str, str]) -> str:
    result = lrs(*args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _seed(env: dict[str, str], tmp_path: Path) -> list[dict[str, Any]]:
    _ok("migrate", env=env)
    statements = [
        make_statement(actor=ERIN),
        make_statement(actor=make_agent(who="oscar"), context={"instructor": ERIN}),
        make_statement(actor=make_agent(who="oscar")),
    ]
    source = tmp_path / "in.ndjson"
    source.write_text("".join(json.dumps(s) + "\n" for s in statements))
    _ok("import", str(source), env=env)
    return statements


def _count(env: dict[str, str]) -> int:
    return len(_ok("export", env=env).splitlines())


def test_erase_dry_run_audit_and_reapply_after_restore(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    _seed(cli_env, tmp_path)
    backup = tmp_path / "before.dump"
    _ok("backup", str(backup), env=cli_env)
    assert backup.stat().st_size > 0
    # no column compression settings: a server with lz4 (its payloads use it) restores on
    # one without (the embedded PostgreSQL)
    script = subprocess.run(
        [str(_bin_dir() / "pg_restore"), "--file", "-", str(backup)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CREATE TABLE public.statements" in script
    assert "SET COMPRESSION" not in script

    agent = json.dumps(ERIN)
    dry = json.loads(_ok("erase", "--agent", agent, "--dry-run", env=cli_env))
    real = json.loads(_ok("erase", "--agent", agent, env=cli_env))
    assert dry["counts"] == real["counts"]
    assert real["counts"]["statements"] == 2
    assert dry["dry_run"] is True
    assert real["dry_run"] is False
    assert _count(cli_env) == 1

    trail = _ok("audit", "--action", "erasure", "--json", env=cli_env)
    entries = [json.loads(line) for line in trail.splitlines()]
    assert [(e["action"], e["subject"]) for e in entries] == [("erasure", real["subject"])]
    assert entries[0]["actor"].startswith("cli:")
    assert "erin" not in trail
    saved = tmp_path / "erasures.jsonl"
    saved.write_text(trail)

    # Restoring the older backup brings her back, until the erasures are re-applied.
    _ok("restore", str(backup), env=cli_env)
    assert _count(cli_env) == 3
    again = json.loads(_ok("erase", "--reapply-from-audit", str(saved), env=cli_env))
    assert [r["counts"]["statements"] for r in again] == [2]
    assert _count(cli_env) == 1
    table = _ok("audit", env=cli_env)
    assert "erasure" in table


def test_purge_and_bad_arguments(cli_env: dict[str, str], tmp_path: Path) -> None:
    _seed(cli_env, tmp_path)
    dry = json.loads(_ok("purge", "--before", "2999-01-01T00:00:00Z", "--dry-run", env=cli_env))
    assert dry["counts"]["statements"] == 3
    done = json.loads(_ok("purge", "--before", "2999-01-01T00:00:00Z", env=cli_env))
    assert done["counts"] == dry["counts"]
    assert _count(cli_env) == 0
    purges = _ok("audit", "--action", "purge", "--json", env=cli_env).splitlines()
    assert json.loads(purges[0])["details"]["statements"] == 3

    for args in (
        ("erase",),
        ("erase", "--agent", "{not json"),
        ("erase", "--agent", '{"name": "no ifi"}'),
        ("erase", "--actor-key", "xyz"),
        ("purge", "--before", "soon"),
        ("audit", "--since", "soon"),
        ("restore", str(tmp_path / "missing.dump")),
    ):
        result = lrs(*args, env=cli_env)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
