"""Each defect found by attacking a live `lrs serve` (default settings), reproduced against one.

Availability (1-4): during each attack, `/health` and an authenticated `GET /statements` from
another client answer within 1 s (p99). Confidentiality (5-8), correctness (9-12) and
error hygiene (13) follow. Every test is bounded in time; the whole module runs in well under
a minute on a quiet machine.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import csv
import hashlib
import io
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from lrs.auth.scopes import Scope
from tests.conftest import create_database, drop_database
from tests.factories import make_agent, make_attachment, make_statement, make_statement_ref
from tests.security.live_serve import Probes, Served, basic, serve

EXPORT = "/xAPI/extensions/export"


@pytest.fixture(scope="module")
async def attack_db(server_url: str) -> AsyncIterator[str]:
    url = await create_database(server_url, "lrs_attack")
    yield url
    await drop_database(server_url, url)


@pytest.fixture(scope="module")
def served(attack_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    log = Path(tmp_path_factory.mktemp("attack")) / "serve.log"
    yield from serve(attack_db, log)


async def _post(client: httpx.AsyncClient, body: Any) -> httpx.Response:
    return await client.post("/xAPI/statements", content=orjson.dumps(body), headers=_JSON)


_JSON = {"Content-Type": "application/json"}


def _error(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    body: dict[str, Any] = response.json()
    assert body["error"]["status"] == response.status_code
    assert response.headers.get("x-request-id")
    return body


# 1. ------------------------------------------------------------------------------------------
async def test_1_a_huge_context_is_linear_work_off_the_loop(served: Served) -> None:
    grouping = [{"id": f"http://example.com/group/{i}"} for i in range(30_000)]
    statement = make_statement(context={"contextActivities": {"grouping": grouping}})
    async with served.client() as client, Probes(served).running() as probes:
        started = time.perf_counter()
        response = await _post(client, statement)
        took = time.perf_counter() - started
    assert response.status_code == 200, response.text[:300]
    assert took < 60, f"30,000 grouping entries took {took:.1f} s"
    probes.assert_responsive()


# 2. ------------------------------------------------------------------------------------------
def _slow_export_reader(port: int) -> socket.socket:
    """A client that asks for the export and then does not read: a tiny receive window."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    auth = basic("attack-admin", served_secret())
    sock.sendall(
        f"GET {EXPORT}?format=ndjson HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\r\n".encode()
    )
    return sock


def served_secret() -> str:
    from tests.security.live_serve import SECRET

    return SECRET


def _status(sock: socket.socket) -> tuple[int, bytes]:
    sock.settimeout(10)
    head = sock.recv(2048)
    return int(head.split(b" ", 2)[1]), head


async def test_2_slow_export_readers_are_bounded_and_hold_no_connection(served: Served) -> None:
    async with served.client() as client:
        # About 7 MB of NDJSON (a long verb display on every row): more than the largest send
        # buffer the kernel grows to (4 MB here), so no export to a reader that stops reading
        # can end and free its slot (at 1 MB, loopback buffers sometimes took whole exports).
        verb = {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en": "v" * 3000}}
        for _ in range(2):
            batch = [
                make_statement(actor=make_agent(who=uuid.uuid4().hex), verb=verb)
                for _ in range(1000)
            ]
            assert (await _post(client, batch)).status_code == 200
    readers: list[socket.socket] = []
    try:
        async with Probes(served).running() as probes:
            for _ in range(25):
                readers.append(await asyncio.to_thread(_slow_export_reader, served.port))
                await asyncio.sleep(0.02)
            statuses = [await asyncio.to_thread(_status, sock) for sock in readers]
            async with served.client(timeout=5) as other:
                assert (await other.get("/xAPI/statements?limit=5")).status_code == 200
                assert (await other.get("/xAPI/about")).status_code == 200
            await asyncio.sleep(2)  # the readers stay, holding what they hold
        codes = [code for code, _ in statuses]
        # At most LRS_MAX_CONCURRENT_EXPORTS (4) stream at once, and none of them can end, so
        # the other readers are refused (429; 503 when the shared test database itself runs
        # out of connections).
        assert set(codes) <= {200, 429, 503}, codes
        assert codes.count(200) <= 4, codes
        assert all(b"retry-after" in head.lower() for code, head in statuses if code != 200)
        probes.assert_responsive()
    finally:
        for sock in readers:
            sock.close()
    # The readers gone, their slots come back.
    deadline = time.monotonic() + 10
    async with served.client() as client:
        while True:
            response = await client.get(EXPORT, params={"format": "ndjson", "verb": "http://x.y/z"})
            if response.status_code == 200 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
    assert response.status_code == 200


# 3. ------------------------------------------------------------------------------------------
def _send_huge_header(port: int, size: int) -> tuple[int, bytes]:
    """Send a request whose one header is `size` bytes; how much went out, what came back."""
    start = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: "
    return _send_head(port, start, b"a" * (256 * 1024), size, b"\r\n\r\n")


def _send_head(port: int, start: bytes, piece: bytes, size: int, end: bytes) -> tuple[int, bytes]:
    """Send a request head: `start`, `piece` until `size` bytes of it went out, `end`; how
    much went out, what came back."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(10)
    sent = 0
    try:
        sock.sendall(start)
        while sent < size:
            sock.sendall(piece)
            sent += len(piece)
        sock.sendall(end)
    except OSError:
        pass  # the server closed on us: what it answered is still readable, or reset
    reply = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            reply += data
    except OSError:
        pass
    sock.close()
    return sent, reply


async def test_3_request_heads_are_bounded(served: Served) -> None:
    async with Probes(served).running() as probes:
        sent, reply = await asyncio.to_thread(_send_huge_header, served.port, 52 * 1024 * 1024)
    assert not reply.startswith(b"HTTP/1.1 200"), reply[:200]
    assert sent < 52 * 1024 * 1024 or reply.startswith(b"HTTP/1.1 431"), (sent, reply[:200])
    if reply:
        assert reply.startswith(b"HTTP/1.1 431"), reply[:200]
    probes.assert_responsive()
    # Just past the limit: a clean 431 (nothing left unread to reset the connection).
    _, reply = await asyncio.to_thread(_send_huge_header, served.port, 80 * 1024)
    assert reply.startswith(b"HTTP/1.1 431"), reply[:200]
    assert b"LRS_MAX_HEADER_BYTES" in reply
    async with served.client() as client:  # ordinary headers still work
        assert (await client.get("/health", headers={"X-Fine": "a" * 8000})).status_code == 200
        many = {f"X-Fine-{n}": "v" for n in range(90)}  # with httpx's own, under 100
        assert (await client.get("/health", headers=many)).status_code == 200
    # 10,000 tiny fields (50 KB, within the byte limit): 431 at the 101st field.
    start, fields = b"GET /health HTTP/1.1\r\nHost: x\r\n", b"a:b\r\n" * 10_000
    _, reply = await asyncio.to_thread(_send_head, served.port, start, fields, 1, b"\r\n")
    assert reply.startswith(b"HTTP/1.1 431"), reply[:200]
    assert b"more than 100 header fields (LRS_MAX_HEADER_FIELDS)" in reply


# 4. ------------------------------------------------------------------------------------------
async def test_4_a_big_roster_csv_does_not_stall_others(served: Served) -> None:
    async with served.client() as client:
        door = {"id": "D4", "name": "Door 4", "timezone": "Europe/Paris"}
        assert (await client.put("/xAPI/extensions/doors/D4", json=door)).status_code == 200
        role = {"id": "R4", "name": "Role 4"}
        assert (await client.put("/xAPI/extensions/roles/R4", json=role)).status_code == 200
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["mbox", "door", "role", "valid_from"])
        for i in range(20_000):
            writer.writerow([f"mailto:r{i}@example.com", "D4", "R4", "2024-01-01"])
        body = buffer.getvalue().encode()
        async with Probes(served).running() as probes:
            response = await client.post(
                "/xAPI/extensions/roster", content=body, headers={"Content-Type": "text/csv"}
            )
    assert response.status_code == 200, response.text[:300]
    assert response.json()["assignments"] == 20_000
    probes.assert_responsive()


# 5 and 8. ------------------------------------------------------------------------------------
def _multipart(statement: dict[str, Any], payload: bytes) -> tuple[bytes, str]:
    boundary = "b" + uuid.uuid4().hex
    digest = hashlib.sha256(payload).hexdigest()
    body = (
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode()
        + orjson.dumps(statement)
        + f"\r\n--{boundary}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
        f"X-Experience-API-Hash: {digest}\r\n\r\n".encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f'multipart/mixed; boundary="{boundary}"'


async def test_5_and_8_read_mine_cannot_unmask_or_borrow_payloads(served: Served) -> None:
    target = make_agent(who="target-" + uuid.uuid4().hex[:8])
    other = make_agent(who="other-" + uuid.uuid4().hex[:8])
    secret_payload = b"another credential's secret " + uuid.uuid4().bytes
    victim = make_statement(actor=target, attachments=[make_attachment(secret_payload)])
    mine_key = await served.credential(
        Scope.STATEMENTS_READ_MINE, Scope.STATEMENTS_WRITE, Scope.EXT_BI_READ
    )
    async with served.client() as admin, served.client(auth=mine_key) as attacker:
        body, content_type = _multipart(victim, secret_payload)
        stored = await admin.post(
            "/xAPI/statements", content=body, headers={"Content-Type": content_type}
        )
        assert stored.status_code == 200, stored.text[:300]
        ref = make_statement(
            actor=make_agent(who="attacker"), object=make_statement_ref(victim["id"])
        )
        borrowed = make_attachment(secret_payload, fileUrl="http://example.com/x")
        borrow = make_statement(actor=make_agent(who="attacker"), attachments=[borrowed])
        assert (await _post(attacker, [ref, borrow])).status_code == 200
        for agent in (target, other):  # the answer must not depend on who the target is
            for extra in ({}, {"related_agents": "true"}):
                found = await attacker.get(
                    "/xAPI/statements", params={"agent": json.dumps(agent), **extra}
                )
                assert found.status_code == 200
                assert found.json()["statements"] == [], (agent, extra)
        got = await attacker.get(
            "/xAPI/statements", params={"statementId": borrow["id"], "attachments": "true"}
        )
        assert got.status_code == 200
        assert secret_payload not in got.content
        # The owner of the payload still gets it.
        own = await admin.get(
            "/xAPI/statements", params={"statementId": victim["id"], "attachments": "true"}
        )
        assert secret_payload in own.content


# 6. ------------------------------------------------------------------------------------------
async def test_6_csv_export_cells_are_safe_in_a_spreadsheet(served: Served) -> None:
    verb = "http://example.com/verbs/" + uuid.uuid4().hex
    hostile = ['=HYPERLINK("http://evil")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3", "\tx"]
    async with served.client() as client:
        batch = [
            make_statement(
                verb={"id": verb, "display": {"en-US": text}}, result={"score": {"raw": -1.5}}
            )
            for text in hostile
        ]
        assert (await _post(client, batch)).status_code == 200
        response = await client.get(EXPORT, params={"verb": verb})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(row["verb_display"] for row in rows) == sorted("'" + text for text in hostile)
    assert {row["score_raw"] for row in rows} == {"-1.5"}  # numbers stay numbers


# 7. ------------------------------------------------------------------------------------------
async def test_7_no_alternate_syntax_under_extensions(served: Served) -> None:
    door = uuid.uuid4().hex[:8]
    form = {
        "Authorization": basic("attack-admin", served_secret()),
        "content": json.dumps({"name": "forged"}),
        "Content-Type": "application/json",
    }
    async with httpx.AsyncClient(base_url=served.base) as anonymous:
        response = await anonymous.post(
            f"/xAPI/extensions/doors/{door}", params={"method": "PUT"}, data=form
        )
    _error(response, 400)
    async with served.client() as client:
        assert (await client.get(f"/xAPI/extensions/doors/{door}")).status_code == 404


# 9. ------------------------------------------------------------------------------------------
async def test_9_extreme_dates_and_odd_timezones_are_never_500(served: Served) -> None:
    verb = "http://example.com/verbs/" + uuid.uuid4().hex
    async with served.client() as client:
        batch = [
            make_statement(verb={"id": verb}, timestamp="0001-01-01T00:00:00Z"),
            make_statement(verb={"id": verb}, timestamp="9999-12-31T23:59:59Z"),
        ]
        assert (await _post(client, batch)).status_code == 200
        for tz in ("Pacific/Kiritimati", "America/Adak", "Asia/Tokyo"):
            for bucket in ("day", "week"):
                response = await client.get(
                    "/xAPI/extensions/summary",
                    params={"verb": verb, "group_by": bucket, "timezone": tz},
                )
                assert response.status_code == 200, (tz, bucket, response.text[:300])
                assert response.json()["totals"]["statements"] == 2
        response = await client.get(
            "/xAPI/extensions/summary", params={"since": "0001-01-01", "timezone": "Asia/Tokyo"}
        )
        _error(response, 400)
        for tz in ("right/UTC", "localtime", "posixrules", "../../etc/passwd", "x" * 5000):
            response = await client.get("/xAPI/extensions/summary", params={"timezone": tz})
            _error(response, 400)
        door = {"id": "TOKYO9", "name": "Tokyo", "timezone": "Asia/Tokyo"}
        assert (await client.put("/xAPI/extensions/doors/TOKYO9", json=door)).status_code == 200
        assert (
            await client.put("/xAPI/extensions/roles/R9", json={"name": "R"})
        ).status_code == 200
        row = {"agent": make_agent(who="early"), "door": "TOKYO9", "role": "R9"}
        response = await client.post(
            "/xAPI/extensions/roster", json=[{**row, "valid_from": "0001-01-01"}]
        )
        _error(response, 400)


# 10. -----------------------------------------------------------------------------------------
async def test_10_odd_basic_credentials_are_401(served: Served) -> None:
    async with httpx.AsyncClient(
        base_url=served.base, headers={"X-Experience-API-Version": "2.0.0"}
    ) as c:
        for header in (
            b"Basic b\xc3\xa4rs",
            b"Basic \xff\xfe",
            b"Basic " + base64.b64encode(b"attack-admin\x00:x"),
            b"Basic " + base64.b64encode(b"attack-admin:" + served_secret().encode() + b"\x00"),
            b"Basic " + base64.b64encode(b"\xff\xfe:\xfd"),
        ):
            response = await c.get("/xAPI/statements", headers={b"Authorization": header})
            _error(response, 401)


# 11. -----------------------------------------------------------------------------------------
async def test_11_deep_and_long_values_are_400(served: Served) -> None:
    deep: Any = "leaf"
    for _ in range(250):
        deep = {"a": deep}
    long_iri = "http://example.com/" + "a" * 1_000_000
    cases = [
        make_statement(context={"extensions": {"http://example.com/deep": deep}}),
        make_statement(object={"id": long_iri}),
        make_statement(verb={"id": long_iri}),
        make_statement(actor={"mbox": "mailto:" + "a" * 1_000_000 + "@example.com"}),
        make_statement(actor={"account": {"homePage": "http://x.y", "name": "n" * 1_000_000}}),
    ]
    async with served.client() as client:
        for statement in cases:
            _error(await _post(client, statement), 400)
        response = await client.get("/xAPI/statements", params={"activity": long_iri[:20_000]})
        _error(response, 400)


# 12. -----------------------------------------------------------------------------------------
def _b64(data: Any) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def test_12_more_tokens_are_authenticated(served: Served) -> None:
    verb = "http://example.com/verbs/" + uuid.uuid4().hex
    async with served.client() as client:
        batch = [make_statement(verb={"id": verb}) for _ in range(3)]
        assert (await _post(client, batch)).status_code == 200
        first = (await client.get("/xAPI/statements", params={"verb": verb, "limit": 1})).json()
        link = first["more"]
        assert link
        page = await client.get(link)
        assert page.status_code == 200
        assert len(page.json()["statements"]) == 1
        token = link.split("more=", 1)[1]
        payload, mac = token.split(".")
        state = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        state["c"][1] += 1
        tampered = [
            f"{_b64(state)}.{mac}",  # altered position, old MAC
            _b64({"p": [["verb", verb]], "c": ["2999-01-01T00:00:00+00:00", 1]}),  # forged
            _b64({"p": [], "c": ["0001-01-01T00:00:00+14:00", 1]}),
            _b64({"q": ["a"], "after": ["2020-01-01T00:00:00+00:00", 1]}),
            _b64({"q": "x", "after": None}),
            _b64({"q": None}),
            _b64({"p": [], "c": ["2020-01-01T00:00:00+00:00", 2**70]}),
            _b64({"p": [], "c": ["2020-01-01T00:00:00+00:00", 1e300]}),
            _b64(b"\xff\xfe"),
            "!!!",
            "a." * 10_000,
            "",
        ]
        for path in ("/xAPI/statements", "/xAPI/extensions/statements"):
            for bad in tampered:
                response = await client.get(path, params={"more": bad})
                _error(response, 400)
        # A token of one resource is not one of the other.
        response = await client.get("/xAPI/extensions/statements", params={"more": token})
        _error(response, 400)
        # Issued before tokens were signed (a position before the key): still pages.
        legacy = _b64({"p": [["verb", verb]], "c": ["2000-01-01T00:00:00+00:00", 1]})
        assert (await client.get("/xAPI/statements", params={"more": legacy})).status_code == 200
        legacy_ext = _b64({"q": {"verb": verb}, "after": ["2000-01-01T00:00:00+00:00", 1]})
        response = await client.get("/xAPI/extensions/statements", params={"more": legacy_ext})
        assert response.status_code == 200


# 13. -----------------------------------------------------------------------------------------
def _abort_upload(port: int) -> None:
    sock = socket.create_connection(("127.0.0.1", port))
    auth = basic("attack-admin", served_secret())
    sock.sendall(
        b"POST /xAPI/statements HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: {auth}\r\nX-Experience-API-Version: 2.0.0\r\n".encode()
        + b"Content-Length: 1000000\r\n\r\n"
        + b"["
        + b" " * 100_000
    )
    time.sleep(0.2)
    sock.close()


async def test_13_aborted_uploads_are_not_errors(served: Served) -> None:
    log_before = len(served.log_text())
    async with served.client() as client:
        before = (await client.get("/metrics")).text
        for _ in range(3):
            await asyncio.to_thread(_abort_upload, served.port)
        await asyncio.sleep(0.5)
        after = (await client.get("/metrics")).text
    errors = [
        line
        for line in after.splitlines()
        if 'status="500"' in line and "/xAPI/statements" in line and line not in before
    ]
    assert errors == []
    assert "Traceback" not in served.log_text()[log_before:]


# 14. -----------------------------------------------------------------------------------------
SLOW_TIMEOUT = 1.0  # LRS_HEADER_TIMEOUT_SECONDS and LRS_BODY_TIMEOUT_SECONDS of `slow_served`


@pytest.fixture(scope="module")
def slow_served(attack_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A second server on the same database, with short read timeouts (the defaults, 20 s,
    would make the test wait as long)."""
    log = Path(tmp_path_factory.mktemp("attack_slow")) / "serve.log"
    env = {
        "LRS_HEADER_TIMEOUT_SECONDS": str(SLOW_TIMEOUT),
        "LRS_BODY_TIMEOUT_SECONDS": str(SLOW_TIMEOUT),
    }
    yield from serve(attack_db, log, env)


def _stalled(port: int, kind: str, number: int) -> socket.socket:
    """A connection that sends nothing, half a request head, or a head and part of a body."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    if kind == "head":
        sock.sendall(b"GET /xAPI/statements HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    elif kind == "body":
        auth = basic("attack-admin", served_secret())
        sock.sendall(
            b"POST /xAPI/statements HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: {auth}\r\nX-Experience-API-Version: 2.0.0\r\n".encode()
            + f"X-Request-ID: stalled-{number}\r\n".encode()
            + b"Content-Length: 5000\r\n\r\n["
            + b" " * 99
        )
    return sock


def _answer(sock: socket.socket) -> bytes:
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    sock.close()
    return data


async def test_14_stalled_connections_are_timed_out_and_hold_nothing(
    slow_served: Served,
) -> None:
    """Slowloris: 600 connections that send nothing, half a head, or a head and part of a
    body. Others are answered meanwhile; each stalled one is answered 408 (nothing, for
    those that sent nothing) and closed once its timeout has passed, and none is an error."""
    kinds = ["idle", "head", "body"] * 200
    async with Probes(slow_served).running() as probes:
        socks = await asyncio.to_thread(
            lambda: [_stalled(slow_served.port, kind, n) for n, kind in enumerate(kinds)]
        )
        started = time.monotonic()
        answers = await asyncio.gather(*(asyncio.to_thread(_answer, sock) for sock in socks))
        waited = time.monotonic() - started
    probes.assert_responsive()
    assert waited < SLOW_TIMEOUT + 10, waited
    for number, (kind, answer) in enumerate(zip(kinds, answers, strict=True)):
        if kind == "idle":
            assert answer == b"", answer[:200]
            continue
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 "), (kind, answer[:200])
        error = orjson.loads(body)["error"]
        setting = "LRS_HEADER_TIMEOUT_SECONDS" if kind == "head" else "LRS_BODY_TIMEOUT_SECONDS"
        assert error["status"] == 408, error
        assert setting in error["message"], error
        if kind == "body":  # the request's own id, as on its access line
            assert f"x-request-id: stalled-{number}\r\n".encode() in head.lower(), head
    async with slow_served.client() as client:
        after = (await client.get("/metrics")).text
    timed_out = [
        line
        for line in after.splitlines()
        if line.startswith("lrs_http_requests_total")
        and 'status="408"' in line
        and "/xAPI/statements" in line
    ]
    assert timed_out, after
    assert timed_out[0].endswith(" 200.0"), timed_out  # the 200 stalled bodies
    assert 'status="499"' not in after
    assert "Traceback" not in slow_served.log_text()


def test_15_the_open_files_limit_is_raised_to_what_the_system_allows(served: Served) -> None:
    """Every connection holds a file descriptor: `lrs serve`, started with a soft limit of
    1,024 (`live_serve`), does not stop there."""
    assert served.process is not None
    limits = Path(f"/proc/{served.process.pid}/limits").read_text().splitlines()
    line = next(line for line in limits if line.startswith("Max open files"))
    soft, hard = line.split()[3:5]
    assert soft == hard, line


# 16. -----------------------------------------------------------------------------------------
def _tiny_chunks(port: int) -> bytes:
    """POST /xAPI/statements with a chunked body of 1-byte chunks, up to 20 MB of it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    auth = basic("attack-admin", served_secret())
    sock.sendall(
        b"POST /xAPI/statements HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: {auth}\r\nX-Experience-API-Version: 2.0.0\r\n".encode()
        + b"Transfer-Encoding: chunked\r\n\r\n"
    )
    with contextlib.suppress(OSError):  # closed on us, as it should be
        for _ in range(2000):
            sock.sendall(b"1\r\n \r\n" * 10_000)
    return _answer(sock)


async def test_16_a_body_in_one_byte_chunks_is_refused_without_stalling_others(
    served: Served,
) -> None:
    """Each chunk was a call into Python: four such uploads held other clients 350 ms."""
    async with Probes(served).running() as probes:
        answers = await asyncio.gather(
            *(asyncio.to_thread(_tiny_chunks, served.port) for _ in range(4))
        )
    probes.assert_responsive(bound=0.25)
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
        assert b"too many small chunks" in answer
