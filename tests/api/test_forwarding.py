"""Forwarding targets over HTTP: validation, scope, secrets never shown, and delivery by the
app's own forwarder to a real local webhook receiver (filters, pause, 429, dead letters,
replay, metrics). Process-level behaviour (kill -9, two servers, an lrs as target) is in
tests/reliability/test_forwarding.py."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from lrs.auth.scopes import Scope
from tests.conftest import ScopedClients, basic
from tests.factories import make_activity, make_attachment, make_statement
from tests.reliability.receiver import Receiver

FWD = "/xAPI/extensions/forwarding"
SECRET = "hook-secret-do-not-show"
PASSWORD = "xapi-password-do-not-show"
OTHER_VERB = "http://example.com/verbs/other"


@pytest.fixture
async def admin(scoped: ScopedClients) -> AsyncIterator[httpx.AsyncClient]:
    async with await scoped.client(Scope.ADMIN, Scope.ALL) as client:
        yield client
        # Targets must not outlive the test: every later write would queue for them.
        for target in (await client.get(f"{FWD}/targets")).json()["targets"]:
            await client.delete(f"{FWD}/targets/{target['id']}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    held = Receiver(SECRET).start()
    yield held
    held.close()


def webhook(url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "webhook", "url": url, "secret": SECRET, **extra}


async def status(client: httpx.AsyncClient, target_id: str) -> dict[str, Any]:
    response = await client.get(f"{FWD}/targets/{target_id}")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()["status"]
    return result


async def wait_status(
    client: httpx.AsyncClient, target_id: str, key: str, at_least: int, seconds: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        current = await status(client, target_id)
        if current[key] >= at_least:
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"{key} stayed at {current[key]}: {current}")
        await asyncio.sleep(0.1)


async def test_create_get_list_update_delete(admin: httpx.AsyncClient) -> None:
    body = {
        "type": "xapi",
        "name": "group LRS",
        "url": "https://group.example.com/xAPI/",
        "username": "fwd",
        "password": PASSWORD,
        "xapi_version": "2.0.0",
        "filters": {"verb": OTHER_VERB, "door": ["PAR", "NYC"]},
    }
    created = await admin.post(f"{FWD}/targets", json=body)
    assert created.status_code == 201, created.text
    target = created.json()
    assert target["url"] == "https://group.example.com/xAPI"
    assert target["filters"] == {"verb": [OTHER_VERB], "door": ["PAR", "NYC"]}
    assert target["status"]["pending"] == 0
    assert PASSWORD not in created.text
    assert "password" not in target
    shown = await admin.get(f"{FWD}/targets/{target['id']}")
    listed = await admin.get(f"{FWD}/targets")
    assert PASSWORD not in shown.text + listed.text
    assert [t["id"] for t in listed.json()["targets"]] == [target["id"]]
    updated = await admin.put(f"{FWD}/targets/{target['id']}", json={"paused": True})
    assert updated.status_code == 200
    assert updated.json()["paused"] is True
    assert updated.json()["username"] == "fwd"  # kept
    assert (await admin.delete(f"{FWD}/targets/{target['id']}")).status_code == 204
    assert (await admin.get(f"{FWD}/targets/{target['id']}")).status_code == 404
    assert (await admin.delete(f"{FWD}/targets/{target['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"type": "ftp", "url": "http://x"}, "$.type"),
        ({"type": "webhook", "url": "not a url", "secret": "s"}, "$.url"),
        ({"type": "webhook", "url": "http://x"}, "$.secret"),
        ({"type": "xapi", "url": "http://x", "username": "u"}, "$.password"),
        ({"type": "xapi", "url": "http://x", "username": "u", "password": "p",
          "xapi_version": "0.9"}, "$.xapi_version"),
        ({"type": "webhook", "url": "http://x", "secret": "s", "filters": {"colour": "red"}},
         "$.filters.colour"),
        ({"type": "webhook", "url": "http://x", "secret": "s", "filters": {"verb": []}},
         "$.filters.verb"),
        ({"type": "webhook", "url": "http://x", "secret": "s", "extra": 1}, "$.extra"),
    ],
)  # fmt: skip
async def test_bad_targets_are_refused(
    admin: httpx.AsyncClient, body: dict[str, Any], path: str
) -> None:
    response = await admin.post(f"{FWD}/targets", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["path"] == path
    assert (await admin.get(f"{FWD}/targets")).json()["targets"] == []


async def test_type_cannot_change_and_unknown_ids_are_404(admin: httpx.AsyncClient) -> None:
    target = (await admin.post(f"{FWD}/targets", json=webhook("http://127.0.0.1:9"))).json()
    changed = await admin.put(f"{FWD}/targets/{target['id']}", json={"type": "xapi"})
    assert changed.status_code == 400
    for path in ("/targets/nope", "/targets/0b7c3c36-3fd4-4c57-9b43-7d1b8a1e0f00/dead-letters"):
        assert (await admin.get(FWD + path)).status_code == 404
    replay = await admin.post(f"{FWD}/targets/{target['id']}/replay", json={"since": "yesterday"})
    assert replay.status_code == 400


async def test_all_scope_is_not_enough(scoped: ScopedClients) -> None:
    async with await scoped.client(Scope.ALL) as client:
        assert (await client.get(f"{FWD}/targets")).status_code == 403
        denied = await client.post(f"{FWD}/targets", json=webhook("http://127.0.0.1:9"))
        assert denied.status_code == 403


async def test_webhook_gets_signed_batches_filtered_in_order(
    admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    filters = {"verb": "http://adlnet.gov/expapi/verbs/completed"}
    target = (
        await admin.post(f"{FWD}/targets", json=webhook(receiver.url, filters=filters))
    ).json()
    wanted = [make_statement() for _ in range(5)]
    other = make_statement(verb={"id": OTHER_VERB})
    assert (await admin.post("/xAPI/statements", json=[*wanted[:2], other])).status_code == 200
    assert (await admin.post("/xAPI/statements", json=wanted[2:])).status_code == 200
    ids = await asyncio.to_thread(receiver.wait_for, 5)
    assert ids == [s["id"] for s in wanted]
    assert receiver.bad_signatures == 0
    done = await wait_status(admin, target["id"], "filtered", 1)
    assert done["delivered"] == 5
    assert done["pending"] == 0
    line = f'lrs_forwarding_delivered_statements{{target="{target["id"]}"}} 5.0'
    deadline = time.monotonic() + 15  # the figures are refreshed every few seconds
    while line not in (metrics := (await admin.get("/metrics")).text):
        assert time.monotonic() < deadline, metrics[-2000:]
        await asyncio.sleep(0.5)
    assert f'lrs_forwarding_lag_seconds{{target="{target["id"]}"}} 0.0' in metrics
    assert SECRET not in metrics


async def test_activity_type_filter_reads_the_statement_then_the_known_definition(
    admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    """The type a filter sees is the object's own definition type, else the type the LRS
    holds for that Activity; a statement whose object has neither is filtered out."""
    course = "http://adlnet.gov/expapi/activities/course"
    known_id = f"http://example.com/activities/known-{uuid.uuid4()}"
    # the definition becomes known before any target exists (nothing is queued for it)
    learned = make_statement(object=make_activity(known_id, definition={"type": course}))
    assert (await admin.post("/xAPI/statements", json=learned)).status_code == 200
    filters = {"activity_type": [course]}
    target = (
        await admin.post(f"{FWD}/targets", json=webhook(receiver.url, filters=filters))
    ).json()
    own = make_statement(object=make_activity(definition={"type": course}))
    by_known = make_statement(object={"objectType": "Activity", "id": known_id})
    other_type = make_statement(
        object=make_activity(definition={"type": "http://example.com/types/other"})
    )
    no_type = make_statement(object={"objectType": "Agent", "mbox": "mailto:b@example.com"})
    batch = [own, other_type, by_known, no_type]
    assert (await admin.post("/xAPI/statements", json=batch)).status_code == 200
    ids = await asyncio.to_thread(receiver.wait_for, 2)
    assert ids == [own["id"], by_known["id"]]
    done = await wait_status(admin, target["id"], "filtered", 2)
    assert done["delivered"] == 2


async def test_pause_keeps_statements_queued_until_resume(
    admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    target = (await admin.post(f"{FWD}/targets", json=webhook(receiver.url))).json()
    paused = await admin.put(f"{FWD}/targets/{target['id']}", json={"paused": True})
    assert paused.json()["paused"] is True
    statement = make_statement()
    await admin.post("/xAPI/statements", json=statement)
    await asyncio.sleep(2.5)
    assert receiver.ids() == []
    assert (await status(admin, target["id"]))["pending"] == 1
    await admin.put(f"{FWD}/targets/{target['id']}", json={"paused": False})
    assert await asyncio.to_thread(receiver.wait_for, 1) == [statement["id"]]


async def test_429_waits_for_retry_after_then_delivers(
    admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.set(429, retry_after="1")
    target = (await admin.post(f"{FWD}/targets", json=webhook(receiver.url))).json()
    statement = make_statement()
    await admin.post("/xAPI/statements", json=statement)
    failing = await wait_status(admin, target["id"], "retried", 1)
    assert failing["last_error"].startswith("HTTP 429")
    assert failing["pending"] == 1
    receiver.set(200)
    assert await asyncio.to_thread(receiver.wait_for, 1) == [statement["id"]]
    assert (await wait_status(admin, target["id"], "delivered", 1))["attempts"] == 0


async def test_permanent_refusal_dead_letters_then_replay(
    admin: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.set(400)
    target = (await admin.post(f"{FWD}/targets", json=webhook(receiver.url))).json()
    statements = [make_statement(), make_statement()]
    await admin.post("/xAPI/statements", json=statements)
    dead = await wait_status(admin, target["id"], "dead", 2)
    assert dead["retried"] == 0  # a 400 is not retried
    letters = (await admin.get(f"{FWD}/targets/{target['id']}/dead-letters")).json()
    assert letters["dead_letters"][0]["statements"] == [s["id"] for s in statements]
    assert letters["dead_letters"][0]["error"].startswith("HTTP 400")
    receiver.set(200)
    replayed = await admin.post(f"{FWD}/targets/{target['id']}/replay", json={})
    assert replayed.json() == {"queued": 2}
    assert await asyncio.to_thread(receiver.wait_for, 2) == [s["id"] for s in statements]
    letters = (await admin.get(f"{FWD}/targets/{target['id']}/dead-letters")).json()
    assert letters["dead_letters"] == []


async def test_replay_a_stored_range(admin: httpx.AsyncClient, receiver: Receiver) -> None:
    before = [make_statement(), make_statement()]
    await admin.post("/xAPI/statements", json=before)  # stored before the target exists
    target = (await admin.post(f"{FWD}/targets", json=webhook(receiver.url))).json()
    replayed = await admin.post(
        f"{FWD}/targets/{target['id']}/replay", json={"since": "2000-01-01T00:00:00Z"}
    )
    assert replayed.status_code == 200
    assert replayed.json()["queued"] >= 2
    # Every statement stored so far is replayed, in stored order: wait for these two.
    received = await asyncio.to_thread(receiver.wait_for_ids, {s["id"] for s in before})
    assert {s["id"] for s in before} <= set(received)


async def test_outbox_survives_in_the_write_transaction(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    """A rejected batch queues nothing; an accepted one queues one row for each target."""
    target = (await admin.post(f"{FWD}/targets", json=webhook("http://127.0.0.1:9"))).json()
    await admin.put(f"{FWD}/targets/{target['id']}", json={"paused": True})
    good = make_statement()
    bad = make_statement(id=good["id"], verb={"id": OTHER_VERB})
    assert (await admin.post("/xAPI/statements", json=[good])).status_code == 200
    assert (await admin.post("/xAPI/statements", json=[make_statement(), bad])).status_code == 409
    attached = make_statement(attachments=[make_attachment(b"x")])
    assert attached  # JSON-only POST of a statement with attachments would need multipart
    assert (await status(admin, target["id"]))["pending"] == 1


class _XapiStub:
    """A stand-in xAPI LRS that answers every batch POST with 409 (as some LRSs do when a
    batch holds a known id) and holds `held` (id -> statement) for the per-statement path."""

    def __init__(self, held: dict[str, dict[str, Any]]) -> None:
        self.held = held
        self.put: list[str] = []
        self.auth: set[str] = set()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: bytes = b"") -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                stub.auth.add(self.headers.get("Authorization", ""))
                self._answer(409)

            def do_PUT(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                statement_id = parse_qs(urlsplit(self.path).query)["statementId"][0]
                stub.put.append(statement_id)
                self._answer(409 if statement_id in stub.held else 204)

            def do_GET(self) -> None:
                statement_id = parse_qs(urlsplit(self.path).query)["statementId"][0]
                self._answer(200, json.dumps(stub.held[statement_id]).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/xAPI"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_xapi_409_resolved_per_statement(admin: httpx.AsyncClient) -> None:
    same, conflicting, new = make_statement(), make_statement(), make_statement()
    held = {same["id"]: same, conflicting["id"]: {**conflicting, "verb": {"id": OTHER_VERB}}}
    stub = _XapiStub(held)
    try:
        body = {
            "type": "xapi",
            "url": stub.url,
            "username": "fwd",
            "password": PASSWORD,
            "xapi_version": "1.0.3",
        }
        target = (await admin.post(f"{FWD}/targets", json=body)).json()
        assert (
            await admin.post("/xAPI/statements", json=[same, conflicting, new])
        ).status_code == 200
        done = await wait_status(admin, target["id"], "dead", 1)
        assert done["delivered"] == 2  # `same` (equivalent at the target) and `new`
        assert sorted(stub.put) == sorted([same["id"], conflicting["id"], new["id"]])
        assert stub.auth == {basic("fwd", PASSWORD)}
        letters = (await admin.get(f"{FWD}/targets/{target['id']}/dead-letters")).json()
        assert letters["dead_letters"][0]["statements"] == [conflicting["id"]]
        assert "other content" in letters["dead_letters"][0]["error"]
    finally:
        stub.close()
