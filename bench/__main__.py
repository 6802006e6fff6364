"""``python -m bench MODE [options]``: load any xAPI LRS; see bench/README.md."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import orjson
import uvloop  # the event loop `lrs serve` runs on: the load generator's own CPU counts

from bench.client import Target
from bench.generate import SHAPES, statements
from bench.modes import Options
from bench.report import Watched, database_pid, find_listening_pid
from bench.runner import (
    MODES,
    medians,
    round_options,
    run_baseline,
    run_ceiling,
    run_http,
    run_ratio,
)
from bench.targets import run_targets, targets_text

ALL_MODES = (*MODES, "baseline", "ratio", "ceiling", "targets", "generate")
NEEDS_DATABASE = ("baseline", "ratio", "ceiling", "targets")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("mode", choices=ALL_MODES)
    p.add_argument("--url", default=os.environ.get("BENCH_URL", "http://127.0.0.1:8000/xAPI/"))
    p.add_argument("--key", default=os.environ.get("BENCH_KEY", ""))
    p.add_argument("--secret", default=os.environ.get("BENCH_SECRET", ""))
    p.add_argument("--xapi-version", default="2.0.0", choices=("1.0.3", "2.0.0"))
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                   help="the LRS's database (baseline, ratio, ceiling, targets; CPU)")  # fmt: skip
    p.add_argument("--shape", default="realistic", choices=SHAPES,
                   help="statement shape (bench/README.md): realistic or simple")  # fmt: skip
    p.add_argument("--baseline", default="table", choices=("table", "lrs-tables"),
                   help="ratio: one-table raw baseline or lrs's tables (needs lrs)")  # fmt: skip
    p.add_argument("--ingest-clients", type=int, default=0,
                   help="query: clients posting batches meanwhile")  # fmt: skip
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--count", type=int, default=10_000, help="statements per round")
    p.add_argument("--start", type=int, default=0, help="first statement index of the stream")
    p.add_argument("--batch", type=int, default=100, help="statements per POST (ingest)")
    p.add_argument("--concurrency", type=int, default=4, help="concurrent clients")
    p.add_argument("--requests", type=int, default=200, help="requests per series")
    p.add_argument("--pages", type=int, default=1000, help="page to reach through `more`")
    p.add_argument("--limit", type=int, default=100, help="query limit")
    p.add_argument("--write-share", type=float, default=0.2, help="mixed: share of writes")
    p.add_argument("--rounds", type=int, default=1, help="repeat and report medians")
    p.add_argument("--server-pid", type=int, default=None,
                   help="its tree's RSS and CPU (default: the local listener)")  # fmt: skip
    p.add_argument("--database-pid", type=int, default=None,
                   help="its tree's CPU (default: --database-url's, if local)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print one JSON summary line")
    return p


def _server_pid(args: argparse.Namespace) -> int | None:
    if args.server_pid is not None:
        return int(args.server_pid)
    from urllib.parse import urlsplit

    parts = urlsplit(args.url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    return find_listening_pid(parts.port or 80)


async def _one_round(args: argparse.Namespace, options: Options) -> dict[str, Any]:
    target = Target(args.url, args.key, args.secret, args.xapi_version)
    if args.mode in NEEDS_DATABASE and not args.database_url:
        raise SystemExit("--database-url (or BENCH_DATABASE_URL) is needed for this mode")
    if args.mode == "baseline":
        return await run_baseline(options, args.database_url)
    watched = Watched(
        _server_pid(args),
        args.database_pid if args.database_pid is not None else database_pid(args.database_url),
    )
    if args.mode == "ratio":
        return await run_ratio(target, options, args.database_url, watched)
    if args.mode == "ceiling":
        return await run_ceiling(target, options, args.database_url, watched)
    if args.mode == "targets":
        return await run_targets(target, options, args.database_url, watched)
    return await run_http(args.mode, target, options, watched)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.mode == "generate":
        return generate_ndjson(args.seed, args.count, args.start, args.shape)
    if args.mode == "targets" and args.rounds != 1:
        raise SystemExit("targets runs each measurement once: run it again for another sitting")
    base = Options(
        seed=args.seed, count=args.count, start=args.start, batch=args.batch,
        concurrency=args.concurrency, requests=args.requests, pages=args.pages,
        limit=args.limit, write_share=args.write_share, shape=args.shape, baseline=args.baseline,
        ingest_clients=args.ingest_clients,
    )  # fmt: skip
    rounds: list[dict[str, Any]] = []
    for index in range(args.rounds):
        result = uvloop.run(_one_round(args, round_options(args.mode, base, index)))
        rounds.append(result)
        line = orjson.dumps(result).decode()
        print(f"round {index + 1}: {line}", file=sys.stderr if args.json else sys.stdout)
    summary = medians(rounds) if len(rounds) > 1 else rounds[0]
    text = targets_text if args.mode == "targets" else _text
    print(orjson.dumps(summary).decode() if args.json else text(summary))
    return 0


def generate_ndjson(seed: int, count: int, start: int, shape: str = "realistic") -> int:
    """Write the seed's statements as NDJSON on stdout (the input of ``lrs import``)."""
    out = sys.stdout.buffer
    for statement in statements(seed, count, start=start, shape=shape):
        out.write(orjson.dumps(statement) + b"\n")
    out.flush()
    return 0


def _text(summary: dict[str, Any]) -> str:
    lines = [f"mode {summary['mode']} (median of {summary.get('rounds', 1)} round(s))"]
    for name, s in summary.get("series", {}).items():
        lines.append(
            f"  {name:<22} {s['items_per_s']:>10}/s  p50 {s['p50_ms']} ms  "
            f"p95 {s['p95_ms']} ms  p99 {s['p99_ms']} ms  errors {s['errors']}"
        )
    for key, value in summary.items():
        if key not in ("series", "mode", "rounds"):
            lines.append(f"  {key}: {value}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
