"""The `lrs` command behaves like a well-kept tool: one-line errors, --version, clean help,
a migrate that says what it did, listings that never cut a key."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from lrs import __version__
from lrs.cli import app
from lrs.storage.migrate import head_revision
from tests.cli.conftest import lrs

COMMANDS = [
    [],
    ["serve"],
    ["migrate"],
    ["openapi"],
    ["import"],
    ["export"],
    ["credentials"],
    ["credentials", "create"],
    ["credentials", "list"],
    ["credentials", "revoke"],
]


@pytest.mark.parametrize(
    ("part", "value", "words", "command"),
    [
        (
            "database",
            "lrs_no_such_database",
            'database "lrs_no_such_database" does not exist',
            ["migrate"],
        ),
        (
            "username",
            "lrs_no_such_role",
            'role "lrs_no_such_role" does not exist',
            ["credentials", "list"],
        ),
    ],
)
def test_a_wrong_database_name_or_user_is_one_line(
    cli_env: dict[str, str], part: str, value: str, words: str, command: list[str]
) -> None:
    url = make_url(cli_env["LRS_DATABASE_URL"]).set(**{part: value})  # type: ignore[arg-type]
    env = {**cli_env, "LRS_DATABASE_URL": url.render_as_string(hide_password=False)}
    result = lrs(*command, env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert words in line
    assert "LRS_DATABASE_URL" in line


def test_version() -> None:
    result = lrs("--version", env={})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"lrs {__version__}"


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) or "lrs" for c in COMMANDS])
def test_help_reads_cleanly(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], prog_name="lrs", env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("Usage: lrs")
    assert "<bool>" not in text
    assert not re.search(r"[╭│╰─]", text), "no boxes: help is read in pipes and pagers too"
    assert "\x1b" not in text


def test_migrate_says_whether_it_changed_anything(cli_env: dict[str, str]) -> None:
    first = lrs("migrate", env=cli_env)
    assert first.returncode == 0, first.stderr
    assert f"schema at revision {head_revision()}" in first.stdout
    assert "upgraded from an empty database" in first.stdout
    again = lrs("migrate", env=cli_env)
    assert again.returncode == 0, again.stderr
    assert "already up to date, nothing changed" in again.stdout
    assert "upgraded" not in again.stdout


def test_scopes_as_the_synopsis_writes_them(cli_env: dict[str, str]) -> None:
    """`lrs credentials create --scopes state profile`, as README's synopsis shows it."""
    assert lrs("migrate", env=cli_env).returncode == 0
    created = lrs("credentials", "create", "--scopes", "state", "profile", env=cli_env)
    assert created.returncode == 0, created.stderr
    assert "scopes: state profile" in created.stdout
    mixed = lrs(
        "credentials", "create", "--scopes", "state,define", "--scope", "profile", env=cli_env
    )
    assert "scopes: state define profile" in mixed.stdout
    typo = lrs("credentials", "create", "--scopes", "state", "profiles", env=cli_env)
    assert typo.returncode == 2
    assert "unknown scope 'profiles'" in typo.stderr


def test_credentials_list_never_truncates(cli_env: dict[str, str]) -> None:
    assert lrs("migrate", env=cli_env).returncode == 0
    key = "k-" + "0123456789abcdef" * 3
    name = "the learning-management system of the Paris flagship, nightly sync"
    created = lrs("credentials", "create", "--key", key, "--name", name, env=cli_env)
    assert created.returncode == 0, created.stderr
    listed = lrs("credentials", "list", env={**cli_env, "COLUMNS": "40"})
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["KEY", "NAME", "SCOPES", "CREATED", "REVOKED"]
    [row] = [r for r in rows if key in r]
    assert row.startswith(key + "  ")
    assert name in row
    assert "…" not in listed.stdout
