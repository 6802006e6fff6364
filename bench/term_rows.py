"""What the query-term rows of a statement cost the database, keyed by text or by term id.

``python -m bench.term_rows --database-url URL [--count N]`` writes the realistic statements'
term rows (``lrs.xapi.terms.statement_terms``, so it needs lrs installed), 100 statements a
command, into two scratch tables of a scratch schema shaped as ``statement_terms`` (the
unique term index with the verb key, the seq index): one keyed by the term text, as lrs
stores them, the other by a bigint id from a dictionary table the same command fills. It
prints the backend's CPU per statement for each (from ``/proc``: run it on the database's
machine) every 50,000 statements, then the rows and the tables' sizes, and drops the
schema. Results: bench/RESULTS.md, ninth round.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import orjson

from bench.baseline import plain_dsn
from bench.baseline_lrs import prepare

SCHEMA = "bench_term_rows"
BATCH = 100
_TABLES = (
    f"CREATE TABLE {SCHEMA}.by_text (term text NOT NULL, stored timestamptz NOT NULL,"
    " seq bigint NOT NULL, verb_key bigint)",
    f"CREATE UNIQUE INDEX ON {SCHEMA}.by_text (term, stored, seq) INCLUDE (verb_key)",
    f"CREATE INDEX ON {SCHEMA}.by_text (seq)",
    f"CREATE TABLE {SCHEMA}.dictionary (id bigserial PRIMARY KEY, term text UNIQUE NOT NULL)",
    f"CREATE TABLE {SCHEMA}.by_id (term_id bigint NOT NULL, stored timestamptz NOT NULL,"
    " seq bigint NOT NULL, verb_key bigint)",
    f"CREATE UNIQUE INDEX ON {SCHEMA}.by_id (term_id, stored, seq) INCLUDE (verb_key)",
    f"CREATE INDEX ON {SCHEMA}.by_id (seq)",
)
_ROWS = "jsonb_to_recordset(CAST($1::text AS jsonb)) AS t(seq bigint, term text)"
_BY_TEXT = (
    f"INSERT INTO {SCHEMA}.by_text (term, stored, seq, verb_key) "  # noqa: S608
    f"SELECT t.term, now(), t.seq, 1 FROM {_ROWS}"
)
_BY_ID = f"""
    WITH t AS (SELECT * FROM {_ROWS}),
    added AS (
        INSERT INTO {SCHEMA}.dictionary (term) SELECT DISTINCT term FROM t ORDER BY term
        ON CONFLICT (term) DO NOTHING RETURNING id, term),
    ids AS (SELECT id, term FROM added
            UNION ALL
            SELECT d.id, d.term FROM {SCHEMA}.dictionary d WHERE d.term IN (SELECT term FROM t))
    INSERT INTO {SCHEMA}.by_id (term_id, stored, seq, verb_key)
    SELECT ids.id, now(), t.seq, 1 FROM t JOIN ids ON ids.term = t.term
    """  # noqa: S608


def _term_rows(first: int, first_seq: int) -> str:
    """The term rows of statements `first` .. `first + BATCH`, prepared as lrs prepares them
    (`bench.baseline_lrs.prepare`), as the insert's JSON."""
    prepared = prepare(1, BATCH, start=first)
    rows = [
        {"seq": first_seq + offset, "term": term}
        for offset, terms in enumerate(prepared.terms)
        for term, _, _ in terms
    ]
    return orjson.dumps(rows).decode()


def _cpu_ticks(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        raise SystemExit(f"no /proc entry for backend {pid}: run this on the database's machine")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime, in ticks of 10 ms


@dataclass(frozen=True)
class TermRows:
    """A run's outcome: rows written each way, and the backend's CPU per statement."""

    statements: int
    rows: int
    rows_by_id: int
    dictionary: int
    text_keys_us: float
    term_ids_us: float
    sizes: str


async def run(database_url: str, count: int) -> TermRows:
    conn = await asyncpg.connect(plain_dsn(database_url))
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
        for sql in _TABLES:
            await conn.execute(sql)
        pid = await conn.fetchval("SELECT pg_backend_pid()")
        by_text = by_id = written = 0
        for written in range(BATCH, count + 1, BATCH):
            document = _term_rows(5_000_000 + written, written)
            before = _cpu_ticks(pid)
            await conn.execute(_BY_TEXT, document)
            middle = _cpu_ticks(pid)
            await conn.execute(_BY_ID, document)
            by_text, by_id = by_text + middle - before, by_id + _cpu_ticks(pid) - middle
            if written % 50_000 == 0:
                print(f"{written} statements: {_per_statement(by_text, by_id, written)}")
        sizes = await conn.fetch(
            "SELECT c.relname, pg_size_pretty(pg_total_relation_size(c.oid)) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1",
            SCHEMA,
        )
        per = 1e4 / max(written, 1)  # ticks of 10 ms -> microseconds per statement
        return TermRows(
            statements=written,
            rows=await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.by_text"),  # noqa: S608
            rows_by_id=await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.by_id"),  # noqa: S608
            dictionary=await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.dictionary"),  # noqa: S608
            text_keys_us=by_text * per,
            term_ids_us=by_id * per,
            sizes=", ".join(f"{name} {size}" for name, size in sizes),
        )
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        await conn.close()


def _per_statement(by_text: int, by_id: int, statements: int) -> str:
    per = 1e4 / statements
    return f"text keys {by_text * per:.1f} µs, term ids {by_id * per:.1f} µs per statement"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.term_rows", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--count", type=int, default=300_000)
    options = parser.parse_args()
    result = asyncio.run(run(options.database_url, options.count))
    print(f"{result.statements} statements, {result.rows} term rows: {result.sizes}")


if __name__ == "__main__":
    main()
