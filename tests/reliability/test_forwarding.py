"""Forwarding with real processes: `lrs serve` forwarding to a second live `lrs` and to a
local webhook receiver that fails, hangs and recovers on command; kill -9 of the forwarding
server mid-stream; two forwarding servers on one database; a target down for longer than the
retry budget, then replay. Every acknowledged statement arrives; none twice at the xAPI
target, and none twice at the webhook while no process dies.

The servers run on databases created on the test PostgreSQL (LRS_TEST_DATABASE_URL), with
short poll, lease and backoff settings so the suite stays quick.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from lrs.xapi.multipart import build_multipart_response
from tests.conftest import asyncpg_dsn, create_database, drop_database
from tests.reliability.live import KEY, SECRET, VERSION, LiveServer
from tests.reliability.receiver import Receiver

pytestmark = [pytest.mark.slow]

FWD = "/xAPI/extensions/forwarding/targets"
HOOK_SECRET = "reliability-hook-secret"
FAST = {
    "LRS_FORWARDING_POLL_SECONDS": "0.2",
    "LRS_FORWARDING_LEASE_SECONDS": "2",
    "LRS_FORWARDING_TIMEOUT_SECONDS": "1",
    "LRS_FORWARDING_BACKOFF_BASE_SECONDS": "0.2",
    "LRS_FORWARDING_BACKOFF_MAX_SECONDS": "0.5",
    "LRS_FORWARDING_MAX_ATTEMPTS": "4",
    "LRS_FORWARDING_BATCH_SIZE": "50",
}


class DbServer(LiveServer):
    """`lrs serve` on a database of the test PostgreSQL (migrated at start)."""

    def __init__(self, data_dir: Path, database_url: str, env: dict[str, str]) -> None:
        super().__init__(data_dir, env=env)
        self.database_url = database_url

    def start(self) -> DbServer:
        env = {
            **os.environ,
            "LRS_DATABASE_URL": self.database_url,
            "LRS_BOOTSTRAP_KEY": KEY,
            "LRS_BOOTSTRAP_SECRET": SECRET,
            **self.env,
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "lrs", "serve", "--migrate", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=log,
            )
        self.wait_ready()
        return self


@pytest.fixture
def databases(server_url: str) -> Iterator[tuple[str, str]]:
    """A source and a target database, dropped afterwards."""
    source = asyncio.run(create_database(server_url, "lrs_fwd_src"))
    target = asyncio.run(create_database(server_url, "lrs_fwd_dst"))
    yield source, target
    for url in (source, target):
        asyncio.run(drop_database(server_url, url))


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[DbServer]]:
    started: list[DbServer] = []
    yield started
    for server in started:
        server.close()
    for server in started:
        print(server.log_text()[-3000:])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    held = Receiver(HOOK_SECRET).start()
    yield held
    held.close()


def start(
    servers: list[DbServer], tmp_path: Path, url: str, env: dict[str, str] | None = None
) -> DbServer:
    server = DbServer(tmp_path / f"s{len(servers)}", url, {**FAST, **(env or {})})
    servers.append(server)
    return server.start()


def statement(index: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:fwd{index % 7}@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": f"http://example.com/fwd/{index % 5}"},
        **extra,
    }


def post(server: LiveServer, batch: list[dict[str, Any]]) -> bool:
    try:
        response = httpx.post(
            f"{server.base}/xAPI/statements",
            json=batch,
            auth=server.auth,
            headers=VERSION,
            timeout=30,
        )
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def create_target(server: LiveServer, body: dict[str, Any]) -> str:
    response = httpx.post(f"{server.base}{FWD}", json=body, auth=server.auth, timeout=30)
    assert response.status_code == 201, response.text
    target_id: str = response.json()["id"]
    return target_id


def target_status(server: LiveServer, target_id: str) -> dict[str, Any]:
    response = httpx.get(f"{server.base}{FWD}/{target_id}", auth=server.auth, timeout=30)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["status"]
    return result


def xapi_target(target: LiveServer) -> dict[str, Any]:
    return {
        "type": "xapi",
        "url": f"{target.base}/xAPI",
        "username": KEY,
        "password": SECRET,
        "xapi_version": "2.0.0",
    }


async def _stored_ids(url: str) -> list[str]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch("SELECT id::text FROM statements ORDER BY seq")
        return [row[0] for row in rows]
    finally:
        await connection.close()


def stored_ids(url: str) -> list[str]:
    return asyncio.run(_stored_ids(url))


def wait_until(check: Any, seconds: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_xapi_target_survives_kill_9_and_gets_attachments(
    databases: tuple[str, str], servers: list[DbServer], tmp_path: Path
) -> None:
    source_url, target_url = databases
    target = start(servers, tmp_path, target_url, {"LRS_FORWARDING_ENABLED": "false"})
    source = start(servers, tmp_path, source_url)
    target_id = create_target(source, xapi_target(target))

    payload = b"forwarded attachment"
    sha2 = hashlib.sha256(payload).hexdigest()
    with_attachment = statement(
        0,
        attachments=[
            {
                "usageType": "http://example.com/usage",
                "display": {"en-US": "a file"},
                "contentType": "text/plain",
                "length": len(payload),
                "sha2": sha2,
            }
        ],
    )
    body, content_type = build_multipart_response(
        orjson.dumps([with_attachment]), [(sha2, "text/plain", payload)]
    )
    response = httpx.post(
        f"{source.base}/xAPI/statements",
        content=body,
        headers={**VERSION, "Content-Type": content_type},
        auth=source.auth,
    )
    assert response.status_code == 200, response.text
    acked = [with_attachment["id"]]

    batches = [[statement(i * 20 + j) for j in range(20)] for i in range(30)]
    for index, batch in enumerate(batches):
        if index == 15:
            source.kill()  # mid-stream: some delivered, some queued, maybe one in flight
            source.start()
        if post(source, batch):
            acked += [s["id"] for s in batch]

    wait_until(lambda: len(stored_ids(target_url)) >= len(acked), 90, "every statement")
    time.sleep(1.0)  # anything sent twice would show up now
    at_target = stored_ids(target_url)
    assert set(acked) <= set(at_target)
    assert len(at_target) == len(set(at_target)) == len(set(stored_ids(source_url)))
    # Stored order per target: the batches acknowledged after the restart came in order.
    tail = [s["id"] for b in batches[16:] for s in b]
    positions = [at_target.index(i) for i in tail]
    assert positions == sorted(positions)
    fetched = httpx.get(
        f"{target.base}/xAPI/statements",
        params={"statementId": with_attachment["id"], "attachments": "true"},
        auth=target.auth,
        headers=VERSION,
    )
    assert fetched.status_code == 200
    assert payload in fetched.content
    final = target_status(source, target_id)
    assert final["pending"] == 0
    assert final["dead"] == 0

    # The target down for longer than the retry budget: dead letters, then replay of those
    # and of every statement stored so far; the target still holds each statement once.
    target.terminate()
    down = [statement(1000 + i) for i in range(30)]
    assert post(source, down)
    wait_until(lambda: target_status(source, target_id)["dead"] >= 30, 60, "dead letters")
    target.start()
    for replay in ({"dead_letters": "all"}, {"since": "2000-01-01T00:00:00Z"}):
        replayed = httpx.post(
            f"{source.base}{FWD}/{target_id}/replay", json=replay, auth=source.auth
        )
        assert replayed.status_code == 200, replayed.text
    wait_until(lambda: target_status(source, target_id)["pending"] == 0, 90, "the replay")
    at_target = stored_ids(target_url)
    assert len(at_target) == len(set(at_target)) == len(set(stored_ids(source_url)))
    assert {s["id"] for s in down} <= set(at_target)


def test_two_forwarding_servers_share_the_work_without_sending_twice(
    databases: tuple[str, str], servers: list[DbServer], tmp_path: Path, receiver: Receiver
) -> None:
    source_url, target_url = databases
    target = start(servers, tmp_path, target_url, {"LRS_FORWARDING_ENABLED": "false"})
    first = start(servers, tmp_path, source_url)
    second = start(servers, tmp_path, source_url)
    xapi_id = create_target(first, xapi_target(target))
    hook_id = create_target(second, {"type": "webhook", "url": receiver.url, "secret": HOOK_SECRET})
    acked: list[str] = []
    for index in range(20):
        batch = [statement(index * 10 + j) for j in range(10)]
        assert post(first if index % 2 else second, batch)
        acked += [s["id"] for s in batch]
    receiver.wait_for(len(acked), 60)
    wait_until(lambda: len(stored_ids(target_url)) >= len(acked), 60, "the xAPI target")
    time.sleep(1.0)
    received = receiver.ids()
    assert sorted(received) == sorted(acked)  # every one, none twice
    assert receiver.bad_signatures == 0
    assert sorted(stored_ids(target_url)) == sorted(acked)
    assert target_status(first, xapi_id)["delivered"] == len(acked)
    assert target_status(second, hook_id)["delivered"] == len(acked)


def test_webhook_fails_hangs_recovers_then_replay(
    databases: tuple[str, str], servers: list[DbServer], tmp_path: Path, receiver: Receiver
) -> None:
    source_url, _ = databases
    source = start(servers, tmp_path, source_url)
    hook_id = create_target(source, {"type": "webhook", "url": receiver.url, "secret": HOOK_SECRET})
    receiver.set(503)
    failed = [statement(i) for i in range(5)]
    assert post(source, failed)
    wait_until(lambda: target_status(source, hook_id)["retried"] >= 2, 30, "retries")
    receiver.set(200, hang=3.0)  # longer than the 1 s timeout
    wait_until(lambda: target_status(source, hook_id)["dead"] >= 5, 60, "the retry budget")
    status = target_status(source, hook_id)
    assert status["pending"] == 0
    assert "timeout" in status["last_error"] or "503" in status["last_error"]
    letters = httpx.get(f"{source.base}{FWD}/{hook_id}/dead-letters", auth=source.auth).json()
    assert letters["dead_letters"][0]["statements"] == [s["id"] for s in failed]

    receiver.set(200)
    later = [statement(i) for i in range(5, 10)]
    assert post(source, later)
    wait_until(lambda: {s["id"] for s in later} <= set(receiver.ids()), 30, "recovery")
    # In stored order; a hung request may still record its batch after its timeout (the
    # receiver processed it late: at least once), so only the new ones are compared.
    later_ids = [s["id"] for s in later]
    assert [i for i in receiver.ids() if i in later_ids] == later_ids

    replay = httpx.post(f"{source.base}{FWD}/{hook_id}/replay", json={}, auth=source.auth)
    assert replay.json() == {"queued": 5}
    wait_until(lambda: {s["id"] for s in failed} <= set(receiver.ids()), 30, "the replay")
    assert target_status(source, hook_id)["dead_letters"] == 0
