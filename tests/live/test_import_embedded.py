"""`lrs import` on a fresh embedded data dir migrates it first, as `lrs serve` does (issue 12
§3), and `lrs export` then reads back what it stored."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.cli.conftest import lrs
from tests.factories import make_statement


def test_import_into_a_fresh_embedded_data_dir(tmp_path: Path) -> None:
    statement = make_statement()
    source = tmp_path / "in.ndjson"
    source.write_bytes(orjson.dumps(statement) + b"\n")
    env = {"LRS_DATA_DIR": str(tmp_path / "data"), "LRS_DATABASE_URL": ""}

    imported = lrs("import", str(source), env=env, timeout=300)
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert "stored 1" in imported.stderr

    exported = lrs("export", env=env, timeout=300)
    assert exported.returncode == 0, exported.stderr[-2000:]
    [line] = exported.stdout.splitlines()
    assert orjson.loads(line)["id"] == statement["id"]
