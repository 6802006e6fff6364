"""The speed targets in one run, each measured as its own mode measures it, then judged.

- one statement per POST (`ceiling`): at least 1,000 statements/s, at least 0.6 of the thin
  endpoint in the same run, p95 at most 20 ms;
- batches of 100 (`ratio`): at least 0.40 of raw `executemany` of the same statements;
- queries (`query --ingest-clients 2`): p95 at most 20 ms for each filter while 2 clients
  ingest batches of 100; the target is set at 1,000,000 statements stored, so the run says
  how many the LRS's database holds when it can tell.

All three use 4 clients. Each run writes fresh statements from `--start` (`--count` for the
single POSTs, the next `--count` for the batches, then as many as the ingest clients post
while the queries run, some thousands a second): give each run its own `--start`.
`--concurrency` and `--batch` are not read: the targets fix them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import asyncpg

from bench.baseline import plain_dsn
from bench.client import Target
from bench.modes import Options
from bench.report import Watched
from bench.runner import run_ceiling, run_http, run_ratio

CLIENTS = 4
INGEST_CLIENTS = 2
BATCH = 100
SINGLE_PER_S = 1_000.0
SINGLE_RATIO = 0.6
SINGLE_P95_MS = 20.0
BATCH_RATIO = 0.40
QUERY_P95_MS = 20.0
QUERY_STORED = 1_000_000
PAGES = 20  # the query mode's page walk after the filters (not a target)


@dataclass(frozen=True)
class Verdict:
    """One target: what was measured against its bound (`at_least` or at most)."""

    target: str
    measured: float
    bound: float
    at_least: bool

    @property
    def met(self) -> bool:
        return self.measured >= self.bound if self.at_least else self.measured <= self.bound

    def as_dict(self) -> dict[str, Any]:
        sign = ">=" if self.at_least else "<="
        return {"target": f"{self.target} {sign} {self.bound:g}", "measured": self.measured,
                "met": self.met}  # fmt: skip


async def stored_statements(database_url: str) -> int | None:
    """How many statements the LRS's database holds: None when it is not lrs's schema."""
    conn = await asyncpg.connect(plain_dsn(database_url))
    try:
        counted = await conn.fetchval("SELECT count(*) FROM statements")
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await conn.close()
    return int(counted)


def verdicts(
    single: dict[str, Any], batches: dict[str, Any], queries: dict[str, Any]
) -> list[Verdict]:
    """Each target against the figures of its run."""
    [single_series] = single["series"].values()
    found = [
        Verdict("one statement per POST, statements/s", single["lrs_per_s"], SINGLE_PER_S, True),
        Verdict("one statement per POST, ratio to the thin endpoint", single["ratio_to_thin"],
                SINGLE_RATIO, True),
        Verdict("one statement per POST, p95 ms", single_series["p95_ms"], SINGLE_P95_MS, False),
        Verdict("batches of 100, ratio to executemany", batches["ratio_to_executemany"],
                BATCH_RATIO, True),
    ]  # fmt: skip
    for name, series in queries["series"].items():
        if name.startswith("GET "):
            found.append(Verdict(f"query {name[4:]} with ingest, p95 ms", series["p95_ms"],
                                 QUERY_P95_MS, False))  # fmt: skip
    return found


async def run_targets(
    target: Target, options: Options, database_url: str, watched: Watched
) -> dict[str, Any]:
    """`ceiling`, `ratio` and `query --ingest-clients 2` in turn, with the targets' clients and
    batch size, on consecutive slices of the seed's statements from `options.start`."""
    fixed = replace(options, concurrency=CLIENTS, batch=BATCH)
    single = await run_ceiling(target, replace(fixed, batch=1), database_url, watched)
    batches = await run_ratio(
        target, replace(fixed, start=options.start + options.count), database_url, watched
    )
    stored = await stored_statements(database_url)
    queries = await run_http(
        "query",
        target,
        replace(
            fixed,
            start=options.start + 2 * options.count,
            ingest_clients=INGEST_CLIENTS,
            pages=PAGES,
        ),
        watched,
    )
    judged = verdicts(single, batches, queries)
    return {
        "mode": "targets",
        "stored_before_queries": stored,
        "stored_target": QUERY_STORED,
        "verdicts": [v.as_dict() for v in judged],
        "met": all(v.met for v in judged),
        "single": single,
        "batches": batches,
        "queries": queries,
    }


def targets_text(summary: dict[str, Any]) -> str:
    """The verdicts as lines, for a reader at a terminal."""
    stored = summary["stored_before_queries"]
    count = "unknown" if stored is None else f"{stored:,}"
    lines = [
        "mode targets",
        f"  statements stored when the queries ran: {count}"
        f" (the query target is set at {summary['stored_target']:,})",
    ]
    if stored is not None and stored < summary["stored_target"]:
        lines.append(
            "  (fewer than that: store more first, for example with `python -m bench ingest"
            " --batch 100 --count 250000 --rounds 4 --start N`, and VACUUM ANALYZE)"
        )
    for verdict in summary["verdicts"]:
        mark = "met" if verdict["met"] else "MISSED"
        lines.append(f"  {verdict['target']:<62} {verdict['measured']:>10}  {mark}")
    lines.append(f"  all met: {summary['met']}")
    return "\n".join(lines)
