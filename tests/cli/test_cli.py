"""The `lrs` command end to end: migrate, credentials, settings errors, openapi."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg

from lrs.storage.migrate import head_revision
from tests.cli.conftest import lrs
from tests.conftest import asyncpg_dsn

ROOT = Path(__file__).resolve().parents[2]


def test_migrate_from_empty_reaches_head(cli_env: dict[str, str]) -> None:
    result = lrs("migrate", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert f"schema at revision {head_revision()}" in result.stdout
    again = lrs("migrate", env=cli_env)
    assert again.returncode == 0, again.stderr


async def test_migrated_schema_has_every_table(cli_env: dict[str, str]) -> None:
    assert lrs("migrate", env=cli_env).returncode == 0
    conn = await asyncpg.connect(asyncpg_dsn(cli_env["LRS_DATABASE_URL"]))
    try:
        tables = {
            row["tablename"]
            for row in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
    finally:
        await conn.close()
    assert {
        "credentials",
        "statements",
        "statement_terms",
        "attachments",
        "activities",
        "agents",
        "documents",
        "alembic_version",
    } <= tables


def test_credentials_create_list_revoke(cli_env: dict[str, str]) -> None:
    assert lrs("migrate", env=cli_env).returncode == 0
    created = lrs(
        "credentials",
        "create",
        "--name",
        "author tool",
        "--scopes",
        "statements/write",
        "--scopes",
        "statements/read/mine",
        env=cli_env,
    )
    assert created.returncode == 0, created.stderr
    lines = dict(line.split(":", 1) for line in created.stdout.strip().splitlines())
    key, secret = lines["key"].strip(), lines["secret"].strip()
    assert len(key) >= 16
    assert len(secret) >= 24
    assert lines["scopes"].split() == ["statements/write", "statements/read/mine"]

    listed = lrs("credentials", "list", "--json", env=cli_env)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert secret not in listed.stdout
    [row] = [r for r in rows if r["key"] == key]
    assert row["name"] == "author tool"
    assert row["scopes"] == ["statements/write", "statements/read/mine"]
    assert row["revoked_at"] is None

    revoked = lrs("credentials", "revoke", key, env=cli_env)
    assert revoked.returncode == 0, revoked.stderr
    again = lrs("credentials", "revoke", key, env=cli_env)
    assert again.returncode == 1
    assert "no active credential" in again.stderr
    listed = lrs("credentials", "list", "--json", env=cli_env)
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["revoked_at"] is not None


def test_credentials_create_with_given_key_and_secret(cli_env: dict[str, str]) -> None:
    assert lrs("migrate", env=cli_env).returncode == 0
    created = lrs("credentials", "create", "--key", "tool-1", "--secret", "s3cret", env=cli_env)
    assert created.returncode == 0, created.stderr
    assert "key:    tool-1" in created.stdout
    duplicate = lrs("credentials", "create", "--key", "tool-1", env=cli_env)
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr


def test_unknown_scope_is_refused(cli_env: dict[str, str]) -> None:
    result = lrs("credentials", "create", "--scopes", "statements/delete", env=cli_env)
    assert result.returncode == 2
    assert "unknown scope 'statements/delete'" in result.stderr


def test_credentials_need_a_migrated_schema_on_an_external_database(
    cli_env: dict[str, str],
) -> None:
    result = lrs("credentials", "list", env=cli_env)
    assert result.returncode == 1
    assert "lrs migrate" in result.stderr


def test_credentials_migrate_a_fresh_embedded_database_first(tmp_path: Path) -> None:
    """As `lrs serve` and the commands on statements do: the embedded database is lrs's own."""
    env = {"LRS_DATABASE_URL": None, "LRS_DATA_DIR": str(tmp_path / "data")}
    created = lrs("credentials", "create", "--key", "k1", env=env, timeout=300)
    assert created.returncode == 0, created.stderr
    listed = lrs("credentials", "list", "--json", env=env, timeout=300)
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["key"] for line in listed.stdout.splitlines()] == ["k1"]


def test_bad_setting_stops_with_one_line_naming_it(cli_env: dict[str, str]) -> None:
    result = lrs("serve", env={**cli_env, "LRS_PORT": "not-a-port"})
    assert result.returncode == 2
    assert "LRS_PORT" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_database_url_is_named(cli_env: dict[str, str]) -> None:
    result = lrs("migrate", env={**cli_env, "LRS_DATABASE_URL": "mysql://x@y/z"})
    assert result.returncode == 2
    assert "LRS_DATABASE_URL" in result.stderr


def test_serve_refuses_a_schema_that_is_behind(cli_env: dict[str, str]) -> None:
    result = lrs("serve", "--port", "1", env=cli_env, timeout=60)
    assert result.returncode == 1
    assert "lrs migrate" in result.stderr
    assert "--migrate" in result.stderr
    assert "Traceback" not in result.stderr


def test_openapi_file_is_fresh(tmp_path: Path) -> None:
    """The committed spec matches what the code renders (`make openapi` regenerates it)."""
    out = tmp_path / "openapi.json"
    result = lrs("openapi", "--output", str(out), env={})
    assert result.returncode == 0, result.stderr
    committed = (ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, "run `make openapi` and commit the result"
