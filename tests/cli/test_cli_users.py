"""`lrs users`: create (password from stdin), list, disable; refusals with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.cli.conftest import lrs


def _create(env: dict[str, str], *args: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lrs", "users", "create", *args, "--password-stdin"],
        env={**os.environ, **env},
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_users_create_list_disable(cli_env: dict[str, str]) -> None:
    assert lrs("migrate", env=cli_env).returncode == 0
    made = _create(cli_env, "ops-lead", password="a-long-password")
    assert made.returncode == 0, made.stderr
    assert "created console user ops-lead (admin)" in made.stdout
    viewer = _create(cli_env, "manager", "--role", "viewer", password="another-password")
    assert viewer.returncode == 0, viewer.stderr
    listed = lrs("users", "list", env=cli_env)
    assert listed.returncode == 0
    rows = [line.split("\t")[:3] for line in listed.stdout.splitlines()]
    assert rows == [["manager", "viewer", "active"], ["ops-lead", "admin", "active"]]
    assert "a-long-password" not in listed.stdout
    disabled = lrs("users", "disable", "manager", env=cli_env)
    assert disabled.returncode == 0, disabled.stderr
    assert "manager\tviewer\tdisabled" in lrs("users", "list", env=cli_env).stdout


def test_users_refusals(cli_env: dict[str, str]) -> None:
    assert lrs("migrate", env=cli_env).returncode == 0
    assert _create(cli_env, "ops", password="a-long-password").returncode == 0
    again = _create(cli_env, "ops", password="a-long-password")
    assert again.returncode == 1
    assert "already exists" in again.stderr
    short = _create(cli_env, "other", password="short")
    assert short.returncode == 1
    assert "at least 8 characters" in short.stderr
    role = _create(cli_env, "other", "--role", "root", password="a-long-password")
    assert role.returncode == 1
    assert "admin, viewer" in role.stderr
    name = _create(cli_env, "has space", password="a-long-password")
    assert name.returncode == 1
    missing = lrs("users", "disable", "nobody", env=cli_env)
    assert missing.returncode == 1
    assert "no console user named 'nobody'" in missing.stderr
