"""A tiny run of every mode of the load tool against a live `lrs serve`, and the baseline
against its database: the tool keeps working (figures are checked in bench/RESULTS.md, never
here)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from bench.__main__ import main as bench_main
from bench.background import writers_in_background
from bench.baseline import plain_dsn
from bench.client import Target, make_client
from bench.generate import statements
from bench.modes import Options
from bench.modes import query as query_mode
from bench.report import (
    Recorder,
    Report,
    database_pid,
    find_listening_pid,
    percentile,
    tree_cpu_seconds,
)
from bench.targets import Verdict, stored_statements, targets_text

from tests.conftest import ROOT, create_database, drop_database, free_port

KEY, SECRET = "bench-smoke", "bench-smoke-secret"


@pytest.fixture(scope="module")
async def bench_db(server_url: str) -> AsyncIterator[str]:
    """A database of its own for the live server (the session's tests truncate theirs)."""
    url = await create_database(server_url, "lrs_bench")
    yield url
    await drop_database(server_url, url)


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"lrs serve exited with {process.returncode}")
        try:
            if httpx.get(url + "about", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("lrs serve did not answer in 30 s")


@pytest.fixture(scope="module")
def live(bench_db: str) -> Iterator[tuple[str, int]]:
    """`lrs serve` on a free port: its xAPI URL and pid."""
    port = free_port()
    env = {
        **os.environ,
        "LRS_DATABASE_URL": bench_db,
        "LRS_BOOTSTRAP_KEY": KEY,
        "LRS_BOOTSTRAP_SECRET": SECRET,
        "LRS_LOG_LEVEL": "WARNING",
    }
    code = "from lrs.cli import main; main()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--migrate", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/xAPI/"
    try:
        _wait_ready(url, process)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert bench_main([*args, "--json"]) == 0
    summary: dict[str, Any] = orjson.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return summary


def _http(live: tuple[str, int], mode: str, *extra: str) -> list[str]:
    url, pid = live
    return [mode, "--url", url, "--key", KEY, "--secret", SECRET, "--server-pid", str(pid), *extra]


def _no_errors(summary: dict[str, Any]) -> None:
    for name, series in summary["series"].items():
        assert series["errors"] == {}, name
        assert series["requests"] > 0, name


async def test_background_writers_run_in_a_process_of_their_own(live: tuple[str, int]) -> None:
    """`query --ingest-clients`: the writers' first batch is stored before the block runs (the
    queries are measured under ingest from their first request), in a process other than this
    one; their series and their CPU come back into the report."""
    url, _ = live
    options = Options(batch=5, start=40_000, ingest_clients=2)
    [first] = statements(options.seed, 1, start=options.start)
    report = Report("query")
    client = make_client(Target(url, KEY, SECRET), 1)
    async with client, writers_in_background(client, options, report):
        stored = await client.get("/xAPI/statements", params={"statementId": first["id"]})
        assert stored.status_code == 200
        assert report.series == {}  # nothing is recorded here while they run
    series = report.series["POST x5 (background)"].summary()
    assert series["requests"] >= 1
    assert series["items"] == 5 * series["requests"]
    assert series["errors"] == {}
    assert series["seconds"] > 0
    assert report.child_cpu_s > 0
    assert report.as_dict()["client_cpu_s"] >= round(report.child_cpu_s, 2)


def test_ingest_then_query_documents_mixed(
    live: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    """Batch POST (STR-W-007), one-per-POST, the query mix with `more` paging (STR-M-*),
    state documents (DOC-*) and the mixed mode, each for a few requests."""
    ingest = _run(capsys, *_http(live, "ingest", "--count", "120", "--batch", "40"))
    _no_errors(ingest)
    assert ingest["series"]["POST x40"]["items"] == 120
    assert ingest["server_peak_rss_mb"] > 10
    assert ingest["server_cpu_s"] > 0
    assert ingest["server_cpu_ms_per_item"] == round(ingest["server_cpu_s"] * 1000 / 120, 4)
    assert ingest["database_cpu_s"] is None  # no --database-url, no --database-pid
    # the load generator's own share while the clock ran, bodies generated before it
    in_window_s = ingest["series"]["POST x40"]["client_cpu_ms_per_item"] * 120 / 1000
    assert 0 < in_window_s < ingest["client_cpu_s"]

    single = _run(capsys, *_http(live, "single", "--count", "6", "--start", "120"))
    _no_errors(single)
    assert single["series"]["POST x1"]["items"] == 6

    query = _run(
        capsys,
        *_http(live, "query", "--count", "126", "--requests", "3", "--pages", "3", "--limit", "10"),
    )
    _no_errors(query)
    assert query["last_page"] == 3
    assert query["mean_returned_verb"] > 0
    assert query["page_ratio_p50"] is not None

    busy = _run(
        capsys,
        *_http(live, "query", "--count", "126", "--requests", "3", "--pages", "2",
               "--limit", "10", "--ingest-clients", "1", "--batch", "5", "--start", "20000"),
    )  # fmt: skip
    _no_errors(busy)
    assert busy["series"]["POST x5 (background)"]["items"] >= 5

    docs = _run(capsys, *_http(live, "documents", "--requests", "4", "--concurrency", "2"))
    _no_errors(docs)
    assert docs["series"]["GET state"]["items"] == 4

    mixed = _run(
        capsys, *_http(live, "mixed", "--requests", "10", "--start", "500", "--write-share", "0.5")
    )
    _no_errors(mixed)

    export = _run(capsys, *_http(live, "export"))
    _no_errors(export)
    for fmt in ("csv", "ndjson"):
        # Every statement written above, including the voiding ones the mix may have sent,
        # is at most one row; the export skips only voided and voiding statements.
        assert export["series"][f"export {fmt}"]["items"] >= 120


def test_baseline_and_ratio(
    live: tuple[str, int], bench_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The raw asyncpg baseline (executemany and COPY) writes into a scratch one-table
    schema; the ratio mode runs it and the same statements through HTTP."""
    base = _run(capsys, "baseline", "--database-url", bench_db, "--count", "150")
    assert base["executemany"]["statements"] == 150
    assert base["copy"]["statements"] == 150
    simple = _run(
        capsys, "baseline", "--database-url", bench_db, "--count", "20", "--shape", "simple"
    )
    assert simple["executemany"]["statements"] == 20
    ratio = _run(
        capsys,
        *_http(live, "ratio", "--database-url", bench_db, "--count", "100", "--start", "9000"),
        "--rounds",
        "2",
    )
    assert ratio["rounds"] == 2
    assert ratio["ratio_to_executemany"] > 0
    assert ratio["series"]["POST x100"]["errors"] == 0
    if database_pid(bench_db) is not None:  # the database runs here and /proc shows it
        # present; a run this small may take less than one clock tick of each backend
        assert ratio["database_cpu_s"] >= 0
        assert ratio["database_cpu_ms_per_item"] >= 0


def test_ceiling_runs_the_thin_endpoint_then_the_lrs(
    live: tuple[str, int], bench_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The ceiling mode starts the thin endpoint on the same database, posts one statement
    per request to it and then to the LRS, and reports both rates and their ratio."""
    ceiling = _run(
        capsys,
        *_http(live, "ceiling", "--database-url", bench_db, "--count", "40", "--start", "9500"),
    )
    assert ceiling["thin_per_s"] > 0
    assert ceiling["lrs_per_s"] > 0
    assert ceiling["ratio_to_thin"] == round(ceiling["lrs_per_s"] / ceiling["thin_per_s"], 3)
    assert ceiling["thin_server_cpu_ms_per_item"] >= 0  # its own process (40 POSTs: a tick or two)
    assert ceiling["series"]["POST x1"]["errors"] == {}


def test_targets_runs_the_three_measurements_and_judges_them(
    live: tuple[str, int], bench_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`targets`: the ceiling, the batch ratio and the queries while 2 clients ingest, on
    consecutive slices of statements, each figure judged against its target."""
    summary = _run(
        capsys,
        *_http(live, "targets", "--database-url", bench_db, "--count", "100",
               "--requests", "2", "--start", "60000"),
    )  # fmt: skip
    single, batches, queries = summary["single"], summary["batches"], summary["queries"]
    assert single["series"]["POST x1"]["items"] == 100
    assert batches["series"]["POST x100"]["items"] == 100
    assert queries["series"]["POST x100 (background)"]["items"] >= 100
    assert summary["stored_before_queries"] >= 200  # both write runs, read from lrs's tables
    by_target = {v["target"]: v for v in summary["verdicts"]}
    thin = by_target["one statement per POST, ratio to the thin endpoint >= 0.6"]
    assert thin["measured"] == single["ratio_to_thin"]
    raw = by_target["batches of 100, ratio to executemany >= 0.4"]
    assert raw["measured"] == batches["ratio_to_executemany"]
    agent = by_target["query agent with ingest, p95 ms <= 20"]
    assert agent["measured"] == queries["series"]["GET agent"]["p95_ms"]
    assert agent["met"] == (agent["measured"] <= 20)
    assert len(by_target) == 4 + 7  # three for single POSTs, one for batches, seven filters
    assert summary["met"] == all(v["met"] for v in summary["verdicts"])
    text = targets_text(summary)  # what a terminal shows
    assert "fewer than that: store more first" in text  # a few hundred stored, not 1M
    assert f"{thin['target']:<62} {thin['measured']:>10}" in text
    assert text.endswith(f"all met: {summary['met']}")


async def test_targets_counts_lrs_statements_only(server_url: str, bench_db: str) -> None:
    """The statements stored are counted in lrs's own table; another LRS's database (no such
    table) gives None rather than an error."""
    assert await stored_statements(bench_db) is not None
    other = await create_database(server_url, "not_lrs")
    try:
        assert await stored_statements(other) is None
    finally:
        await drop_database(server_url, other)


def test_targets_verdicts_and_refusals() -> None:
    """A bound is met from its side only; targets needs the database and runs once."""
    assert Verdict("rate", 1000.0, 1000.0, at_least=True).met
    assert not Verdict("rate", 999.9, 1000.0, at_least=True).met
    assert Verdict("p95", 20.0, 20.0, at_least=False).met
    assert not Verdict("p95", 20.1, 20.0, at_least=False).met
    with pytest.raises(SystemExit, match="needed for this mode"):
        bench_main(["targets", "--url", "http://127.0.0.1:9/xAPI/", "--database-url", ""])
    with pytest.raises(SystemExit, match="runs each measurement once"):
        bench_main(["targets", "--rounds", "2", "--database-url", "postgresql://x/y"])


def test_generate_is_deterministic(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """Same seed, same statements (ids included): the tool's runs are reproducible."""
    assert bench_main(["generate", "--count", "3", "--seed", "7"]) == 0
    first = capsysbinary.readouterr().out
    assert bench_main(["generate", "--count", "3", "--seed", "7"]) == 0
    assert capsysbinary.readouterr().out == first
    assert len({orjson.loads(line)["id"] for line in first.splitlines()}) == 3


def test_report_helpers(live: tuple[str, int]) -> None:
    """Nearest-rank percentiles; the listening process is found from its port."""
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([float(n) for n in range(1, 101)], 95) == 95.0
    url, pid = live
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    assert find_listening_pid(port) == pid


def test_a_series_counts_the_load_generators_cpu_while_its_clock_runs() -> None:
    """CPU spent before a series' start (generating bodies) or after its stop is not its
    `client_cpu_ms_per_item`; what is spent in between is."""

    def busy(seconds: float) -> None:
        deadline = time.process_time() + seconds
        while time.process_time() < deadline:
            pass

    recorder = Recorder()
    busy(0.3)
    recorder.restart()
    busy(0.1)
    recorder.record(200, 0.001, items=10)
    recorder.stop()
    busy(0.3)
    per_item = recorder.summary()["client_cpu_ms_per_item"]
    assert 10 <= per_item < 20  # 100 ms over 10 items, not 700
    assert Recorder().summary()["client_cpu_ms_per_item"] is None  # nothing done


def test_cpu_and_database_process_helpers(tmp_path: Path) -> None:
    """CPU of a process tree grows with work and is 0 for a process that is gone; the
    database's postmaster is read from `postmaster.pid` in the URL's socket directory."""
    before = tree_cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.1
    while time.process_time() < deadline:
        pass
    assert tree_cpu_seconds(os.getpid()) - before > 0.05  # clock ticks: 10 ms apart
    assert tree_cpu_seconds(2**22 + 1) == 0.0  # above the kernel's pid limit
    (tmp_path / "postmaster.pid").write_text(f"4242\n{tmp_path}\n")
    assert database_pid(f"postgresql+asyncpg://lrs@/lrs?host={tmp_path}") == 4242
    assert database_pid("postgresql://lrs@/lrs?host=/nonexistent") is None
    assert database_pid("postgresql://lrs@db.example.com/lrs") is None
    assert database_pid(None) is None


async def test_term_rows_writes_both_keyings_and_drops_its_schema(bench_db: str) -> None:
    """`python -m bench.term_rows`: each statement's terms written keyed by text and by a
    dictionary id, the same rows both ways; the scratch schema is gone afterwards."""
    from bench.term_rows import SCHEMA, run

    result = await run(bench_db, 200)
    assert result.statements == 200
    assert result.rows == result.rows_by_id >= 200 * 7  # realistic statements: 7 terms
    assert 0 < result.dictionary < result.rows
    assert result.text_keys_us >= 0
    assert result.term_ids_us >= 0
    conn = await asyncpg.connect(plain_dsn(bench_db))
    try:
        assert await conn.fetchval("SELECT to_regnamespace($1)", SCHEMA) is None
    finally:
        await conn.close()


async def test_query_pages_are_parsed_after_each_series_clock_stops(
    live: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The query clients share one event loop: a page parsed while a series runs (about
    0.5 ms for 100 realistic statements) would delay the other clients' answers and be
    counted as the server's latency. Every page is parsed, once its series has stopped."""
    url, _ = live
    parsed_at: list[float] = []

    class TimedParse:
        @staticmethod
        def loads(data: bytes | str) -> Any:
            parsed_at.append(time.perf_counter())
            return orjson.loads(data)

        dumps = staticmethod(orjson.dumps)

    monkeypatch.setattr(query_mode, "orjson", TimedParse)
    options = Options(count=126, requests=5, concurrency=2, limit=10)
    report = Report("query")
    async with make_client(Target(url, KEY, SECRET), options.concurrency) as client:
        await query_mode.run_filters(client, report, options)
    assert report.series  # one series per filter
    series = report.series.values()
    windows = [(r.started, r.finished) for r in series if r.finished is not None]
    assert len(windows) == len(series)  # every series stopped its clock
    parses_in_series = [at for at in parsed_at for start, end in windows if start <= at <= end]
    assert parses_in_series == []
    # every answered page was parsed: one per request of each series, besides the span's own
    assert len(parsed_at) >= sum(len(r.latencies) for r in report.series.values())
    assert all(f"mean_returned_{name[4:]}" in report.facts for name in report.series)
