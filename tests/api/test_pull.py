"""`lrs pull` (lrs.services.pull): from a second live lrs over HTTP into a fresh database,
directly and through a slow, failing, connection-dropping proxy; resume; refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from lrs.auth.principal import authority_for
from lrs.cli import app as cli_app
from lrs.services.bulk import export_lines
from lrs.services.pull import PullOptions, PullReport, pull_statements
from lrs.services.pull_source import Backoff, Source
from lrs.storage.database import make_engine
from lrs.storage.migrate import upgrade
from tests.api.flaky_source import FlakySource, serve
from tests.api.test_statements_attachments import multipart, part
from tests.conftest import ADMIN_KEY, ADMIN_SECRET, create_database, drop_database
from tests.factories import make_attachment, make_statement

AUTHORITY = authority_for("lrs-import", "lrs import")
PAYLOAD = b"\x00\x01 attachment bytes \xff" * 50
BATCHES = 6  # POSTs of 4 statements: 24 statements, 6 distinct `stored` values
FAST = Backoff(attempts=6, base=0.01, cap=0.05)


@pytest.fixture
async def target_url(server_url: str) -> AsyncIterator[str]:
    """A fresh, migrated database to pull into."""
    url = await create_database(server_url, "lrs_pull")
    engine = make_engine(url, pool_size=2)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    yield url
    await drop_database(server_url, url)


@pytest.fixture
async def target(target_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(target_url, pool_size=3)
    yield engine
    await engine.dispose()


@pytest.fixture
async def source_data(client: httpx.AsyncClient, clean_db: None) -> int:
    """The source's statements: batches with distinct `stored`, attachments in the first."""
    with_payload = make_statement(attachments=[make_attachment(PAYLOAD)])
    body, headers = multipart([with_payload, make_statement()], part(PAYLOAD))
    response = await client.post("/xAPI/statements", content=body, headers=headers)
    assert response.status_code == 200, response.text
    for _ in range(BATCHES):
        batch = [make_statement() for _ in range(4)]
        assert (await client.post("/xAPI/statements", json=batch)).status_code == 200
    return 2 + 4 * BATCHES


async def _export(engine: AsyncEngine) -> bytes:
    chunks = export_lines(engine, since=None, until=None)
    return b"".join([line async for _, lines in chunks for line in lines])


async def _pull(base: str, target: AsyncEngine) -> PullReport:
    source = Source(
        base + "/xAPI", user=ADMIN_KEY, password=ADMIN_SECRET, version="2.0.0", backoff=FAST
    )
    try:
        return await pull_statements(target, source, PullOptions(page_size=5), authority=AUTHORITY)
    finally:
        await source.aclose()


async def test_pull_copies_every_statement_exactly_and_reruns_idempotently(
    app: FastAPI, live_base_url: str, source_data: int, target: AsyncEngine
) -> None:
    """STR-Q-015/018 (ascending, more) and ATT-014 (attachments=true): ids, stored,
    authority, version and payloads arrive unchanged; the target's export is the source's,
    byte for byte. A rerun resumes at the saved position and stores nothing twice."""
    report = await _pull(live_base_url, target)

    assert report.ok, (report.error, report.statements.invalid)
    assert (report.statements.read, report.statements.stored) == (source_data, source_data)
    assert report.pages >= source_data // 5
    assert await _export(target) == await _export(app.state.lrs.engine)

    again = await _pull(live_base_url, target)
    assert again.ok
    assert again.resumed_after == report.position
    # Only the statements sharing the last `stored` are read again, and skipped.
    assert (again.statements.stored, again.statements.read) == (0, 4)
    assert again.statements.skipped == 4


async def test_pull_through_a_slow_flaky_source_loses_nothing(
    app: FastAPI, live_base_url: str, source_data: int, target: AsyncEngine
) -> None:
    """503, 429 (Retry-After), stalls and connections dropped mid-body are retried with
    backoff; the copy is still exact."""
    cycle = ["503", "ok", "drop", "429", "slow", "drop", "ok", "503"]
    flaky = FlakySource(live_base_url, lambda n: cycle[n % len(cycle)])
    with serve(flaky) as base:
        report = await _pull(base, target)

    assert report.ok, (report.error, report.statements.invalid)
    assert report.retries >= 5
    assert {"503", "drop", "429", "slow"} <= set(flaky.seen)
    assert report.statements.stored == source_data
    assert await _export(target) == await _export(app.state.lrs.engine)


async def test_pull_resumes_where_a_dead_source_stopped_it(
    app: FastAPI, live_base_url: str, source_data: int, target: AsyncEngine
) -> None:
    """A source that keeps failing ends the pull with an error after its retries (not a
    success); the position of the last page written is kept, and the next run continues
    from there: every statement arrives once."""
    dying = FlakySource(live_base_url, lambda n: "ok" if n < 3 else "dead")
    with serve(dying) as base:
        first = await _pull(base, target)
        dying.plan = lambda n: "ok"  # the same source, back up
        second = await _pull(base, target)

    assert not first.ok
    assert first.error is not None
    assert "gave up after 7 attempts" in first.error
    assert first.statements.stored == 15
    assert first.position is not None

    assert second.ok
    assert second.resumed_after == first.position
    assert second.statements.read < source_data
    assert first.statements.stored + second.statements.stored == source_data
    assert await _export(target) == await _export(app.state.lrs.engine)


async def test_a_refused_statement_is_a_loss_and_holds_the_position(
    app: FastAPI, live_base_url: str, source_data: int, target: AsyncEngine
) -> None:
    """A statement the source sends broken is refused (ST-VAL), the pull is not ok, and the
    saved position stays before it, so a rerun meets it again (here: sent whole)."""
    breaking = FlakySource(live_base_url, lambda n: "corrupt" if n == 2 else "ok")
    with serve(breaking) as base:
        first = await _pull(base, target)
        breaking.plan = lambda n: "ok"
        second = await _pull(base, target)

    assert first.error is None
    assert not first.ok
    [(number, message)] = first.statements.invalid
    assert number == 11
    assert "vxrb" in message
    assert first.statements.stored == source_data - 1

    assert second.ok
    assert second.resumed_after is not None
    assert second.resumed_after == first.position
    assert second.statements.stored == 1
    # Same lines; the late one sorts after its `stored` twins (export orders ties by arrival).
    copied, original = await _export(target), await _export(app.state.lrs.engine)
    assert sorted(copied.splitlines()) == sorted(original.splitlines())


def test_cli_pull_summary_and_exit_codes(
    live_base_url: str,
    source_data: int,
    target_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """`lrs pull`: exit 0 with a summary when complete; 4 and one line for a refused
    credential; 4 and INCOMPLETE when the source dies; a bad URL is a usage error."""
    monkeypatch.setenv("LRS_DATABASE_URL", target_url)
    runner = CliRunner()
    base = ["pull", live_base_url + "/xAPI", "--user", ADMIN_KEY]

    done = runner.invoke(cli_app, [*base, "--password", ADMIN_SECRET, "--page-size", "7"])
    assert done.exit_code == 0, done.output
    assert f"received {source_data}, stored {source_data}" in done.output
    assert "complete: every statement" in done.output

    refused = runner.invoke(cli_app, [*base, "--password", "wrong", "--restart"])
    assert refused.exit_code == 4, refused.output
    assert "answered HTTP 401" in refused.output
    assert "Traceback" not in refused.output

    dead = FlakySource(live_base_url, lambda n: "dead")
    with serve(dead) as flaky:
        args = ["pull", flaky + "/xAPI", "--user", ADMIN_KEY, "--password", ADMIN_SECRET]
        stopped = runner.invoke(cli_app, [*args, "--retries", "1"])
    assert stopped.exit_code == 4, stopped.output
    assert "retrying in 0.5 s: HTTP 500" in stopped.output
    assert "INCOMPLETE" in stopped.output

    bad = runner.invoke(cli_app, ["pull", "ftp://x", "--user", "a", "--password", "b"])
    assert bad.exit_code == 2
    assert "not an http(s) URL" in bad.output


async def _looping_source(scope: dict[str, object], receive: object, send: Any) -> None:
    """Always an empty page whose `more` names itself after the first request."""
    body = b'{"statements": [], "more": "/xAPI/statements?more=same"}'
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def test_a_more_link_that_loops_ends_the_pull_as_incomplete(target: AsyncEngine) -> None:
    with serve(_looping_source) as base:
        report = await _pull(base, target)
    assert not report.ok
    assert report.error is not None
    assert "repeats its page" in report.error
    assert report.pages == 2


def test_backoff_doubles_up_to_its_cap_and_honours_retry_after() -> None:
    backoff = Backoff(attempts=8, base=0.5, cap=30.0)
    assert [backoff.delay(n, None) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert backoff.delay(0, 5.0) == 5.0
    assert backoff.delay(0, 999.0) == 30.0
