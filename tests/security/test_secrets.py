"""Secrets: stored only as Argon2 hashes, compared in constant time, never echoed in an error
body or a log line, and a revoked credential stops at once in every worker (AUTH-003).

The log and revocation checks run against a live `lrs serve --workers 2` at DEBUG level on
its own embedded PostgreSQL; credentials are created and revoked with the real CLI.
"""

from __future__ import annotations

import ast
import base64
import hmac
import inspect
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from lrs.auth import authenticator, secrets
from lrs.errors import Unauthorized
from lrs.services.credentials import create_credential
from tests.cli.conftest import lrs
from tests.reliability.live import SECRET as BOOTSTRAP_SECRET
from tests.reliability.live import VERSION, LiveServer

REQUESTS = 12  # enough to reach both workers many times over


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("secrets") / "data"
    live = LiveServer(data_dir, workers=2, env={"LRS_LOG_LEVEL": "DEBUG"}).start()
    yield live
    live.close()


def _cli(server: LiveServer, *args: str) -> str:
    env = {"LRS_DATA_DIR": str(server.data_dir), "LRS_DATABASE_URL": ""}
    done = lrs(*args, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _get(server: LiveServer, auth: tuple[str, str] | None, **headers: str) -> httpx.Response:
    return httpx.get(f"{server.base}/xAPI/statements", auth=auth, headers={**VERSION, **headers})


def _never_contains(text: str, *secret_values: str) -> None:
    for value in secret_values:
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text


@pytest.mark.slow
def test_secrets_stay_out_of_logs_and_error_bodies_and_revocation_is_immediate(
    server: LiveServer,
) -> None:
    key, secret = f"cli-{uuid.uuid4().hex[:8]}", f"s3cret-{uuid.uuid4().hex}"
    wrong = f"wr0ng-{uuid.uuid4().hex}"
    assert secret in _cli(server, "credentials", "create", "--key", key, "--secret", secret)

    for _ in range(REQUESTS):
        assert _get(server, (key, secret)).status_code == 200
    bodies = [
        _get(server, (key, wrong)),
        _get(server, (wrong, secret)),
        _get(server, None, Authorization=f"Basic {secret}"),
        _get(server, None, Authorization=f"Bearer {secret}"),
        _get(server, None, Authorization="Basic " + base64.b64encode(secret.encode()).decode()),
        httpx.get(
            f"{server.base}/xAPI/statements?nope={secret}", auth=(key, secret), headers=VERSION
        ),
        httpx.get(f"{server.base}/xAPI/statements", auth=(key, secret)),  # no version: 400
    ]
    assert [b.status_code for b in bodies] == [401, 401, 401, 401, 401, 400, 400]
    for body in bodies:
        _never_contains(body.text + json.dumps(dict(body.headers)), secret, wrong)

    _cli(server, "credentials", "revoke", key)
    statuses = [_get(server, (key, secret)).status_code for _ in range(REQUESTS)]
    assert statuses == [401] * REQUESTS, "a worker still accepted the revoked credential"

    log = server.log_text()
    assert log.count("GET /xAPI/statements") >= 2 * REQUESTS, "the log is not being captured"
    _never_contains(log, secret, wrong, BOOTSTRAP_SECRET)
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(r.get("status") == 401 and r["logger"] == "lrs.access" for r in records)


async def test_secrets_are_stored_only_as_argon2_hashes(app: FastAPI) -> None:
    secret = f"stored-{uuid.uuid4().hex}"
    issued = await create_credential(app.state.lrs.engine, name="hashed", secret=secret)
    async with app.state.lrs.engine.connect() as conn:
        row = (
            (await conn.exec_driver_sql("SELECT * FROM credentials WHERE key = $1", (issued.key,)))
            .mappings()
            .one()
        )
    assert secret not in json.dumps(dict(row), default=str)
    assert row["secret_hash"].startswith("$argon2id$")
    assert PasswordHasher().verify(row["secret_hash"], secret)


class _Spy:
    """Records calls and forwards them."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> Any:
        self.calls.append(args)
        return self.target(*args)


async def test_secret_checks_take_the_constant_time_paths(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """First use: Argon2's verify; cached use: hmac.compare_digest; unknown key: Argon2's
    verify against a dummy hash, so a wrong key and a wrong secret cost the same."""
    engine = app.state.lrs.engine
    issued = await create_credential(engine, name="timing", secret="timing-secret")
    verify = _Spy(secrets.verify_secret)
    compare = _Spy(hmac.compare_digest)
    argon: list[str] = []
    argon_verify = PasswordHasher.verify

    def spied_verify(self: PasswordHasher, hash: str, password: str) -> bool:
        argon.append(hash)
        return bool(argon_verify(self, hash, password))

    monkeypatch.setattr(authenticator, "verify_secret", verify)
    monkeypatch.setattr(hmac, "compare_digest", compare)
    monkeypatch.setattr(PasswordHasher, "verify", spied_verify)
    checker = authenticator.Authenticator(engine)

    def header(key: str, secret: str) -> str:
        return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()

    await checker.authenticate(header(issued.key, "timing-secret"))
    assert len(verify.calls) == 1
    assert len(argon) == 1
    assert not compare.calls
    await checker.authenticate(header(issued.key, "timing-secret"))
    assert len(verify.calls) == 1
    assert len(compare.calls) == 1
    for key, secret in ((issued.key, "wrong"), ("no-such-key", "timing-secret")):
        with pytest.raises(Unauthorized):
            await checker.authenticate(header(key, secret))
    assert len(verify.calls) == 3
    assert len(argon) == 3
    assert verify.calls[-1][0] == authenticator._DUMMY_HASH


def test_no_secret_is_compared_with_an_equality_operator() -> None:
    """No ``==``/``!=`` in the authentication modules touches a secret or a digest."""
    for module in (authenticator, secrets):
        tree = ast.parse(Path(inspect.getfile(module)).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(
                isinstance(op, ast.Eq | ast.NotEq) for op in node.ops
            ):
                names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                names |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
                assert not names & {"secret", "digest"}, ast.unparse(node)
