"""`lrs forwarding ...` as a real subprocess on a fresh database."""

from __future__ import annotations

import json

import asyncpg

from tests.cli.conftest import lrs
from tests.conftest import asyncpg_dsn

SECRET = "cli-hook-secret"


def _json(result: object) -> dict[str, object]:
    out: dict[str, object] = json.loads(result.stdout)  # type: ignore[attr-defined]
    return out


async def test_forwarding_commands(cli_env: dict[str, str]) -> None:
    assert lrs("migrate", env=cli_env).returncode == 0
    body = {"type": "webhook", "url": "https://hooks.example.com/x", "secret": SECRET}
    created = lrs("forwarding", "create", json.dumps(body), env=cli_env)
    assert created.returncode == 0, created.stderr
    assert SECRET not in created.stdout
    target_id = str(_json(created)["id"])
    paused = lrs("forwarding", "pause", target_id, env=cli_env)
    assert _json(paused)["paused"] is True
    resumed = lrs("forwarding", "resume", target_id, env=cli_env)
    assert _json(resumed)["paused"] is False
    listed = lrs("forwarding", "list", env=cli_env)
    assert [t["id"] for t in _json(listed)["targets"]] == [target_id]  # type: ignore[attr-defined]
    assert SECRET not in listed.stdout
    letters = lrs("forwarding", "dead-letters", target_id, env=cli_env)
    assert _json(letters)["dead_letters"] == []
    replay = lrs("forwarding", "replay", target_id, "--since", "2020-01-01T00:00:00Z", env=cli_env)
    assert _json(replay) == {"queued": 0}
    # The secret is stored encrypted, not as given.
    connection = await asyncpg.connect(asyncpg_dsn(cli_env["LRS_DATABASE_URL"]))
    try:
        stored = await connection.fetchval("SELECT secret_enc FROM fwd_targets")
    finally:
        await connection.close()
    assert SECRET.encode() not in bytes(stored)
    assert lrs("forwarding", "delete", target_id, env=cli_env).returncode == 0
    missing = lrs("forwarding", "show", target_id, env=cli_env)
    assert missing.returncode == 1
    assert "no forwarding target" in missing.stderr


def test_bad_body_is_refused(cli_env: dict[str, str]) -> None:
    assert lrs("migrate", env=cli_env).returncode == 0
    not_json = lrs("forwarding", "create", "{", env=cli_env)
    assert not_json.returncode == 2
    invalid = lrs("forwarding", "create", '{"type": "ftp", "url": "http://x"}', env=cli_env)
    assert invalid.returncode == 1
    assert "type must be" in invalid.stderr
