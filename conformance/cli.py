"""Command line: ``python -m conformance --endpoint URL --user KEY --password SECRET``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import coverage, report
from .http import Config
from .registry import AREAS, load_all
from .requirements import VERSIONS
from .runner import FAILED, PROGRESS, Result, run, select


def parser() -> argparse.ArgumentParser:
    """The argument parser (also documents the options in --help)."""
    p = argparse.ArgumentParser(
        prog="python -m conformance",
        description="Check an LRS against the xAPI requirement list (MUST failures exit 1).",
    )
    p.add_argument("--endpoint", help="LRS base URL, e.g. http://127.0.0.1:8000/xAPI/")
    p.add_argument("--user", help="Basic auth user (key) with full permissions")
    p.add_argument("--password", help="Basic auth password (secret)")
    p.add_argument("--xapi-version", choices=VERSIONS, default="1.0.3")
    p.add_argument(
        "--only",
        action="append",
        metavar="AREA",
        help=f"run only these areas (repeat or comma-separate): {', '.join(AREAS)}",
    )
    p.add_argument("--report", type=Path, help="write a JSON report here")
    p.add_argument("--junit", type=Path, help="write JUnit XML here")
    p.add_argument(
        "--coverage", action="store_true", help="list requirement IDs without a check and exit"
    )
    p.add_argument("--list", action="store_true", help="list the checks and exit")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds per request")
    p.add_argument("--workers", type=int, default=8, help="checks run concurrently")
    p.add_argument("--readonly-user", help="credentials allowed to read but not write statements")
    p.add_argument("--readonly-password")
    p.add_argument("-v", "--verbose", action="store_true", help="also list skipped checks")
    return p


def _areas(only: list[str] | None) -> set[str] | None:
    if not only:
        return None
    chosen = {a.strip() for item in only for a in item.split(",") if a.strip()}
    unknown = chosen - set(AREAS)
    if unknown:
        raise SystemExit(f"unknown area(s): {', '.join(sorted(unknown))}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = parser().parse_args(argv)
    checks = list(load_all().values())
    version: str = args.xapi_version
    if args.coverage:
        report.write_coverage(sys.stdout, coverage.compute(checks, version))
        return 0
    areas = _areas(args.only)
    to_run, not_applicable = select(checks, version, areas)
    if args.list:
        for c in to_run:
            print(f"{c.name:<70} {c.level(version):<6} {' '.join(c.ids)}")
        return 0
    if not (args.endpoint and args.user is not None and args.password is not None):
        parser().error("--endpoint, --user and --password are required")
    config = Config(
        endpoint=args.endpoint,
        user=args.user,
        password=args.password,
        version=version,
        timeout=args.timeout,
        readonly_user=args.readonly_user,
        readonly_password=args.readonly_password,
    )
    print(f"xAPI {version} conformance: {len(to_run)} checks against {config.base}")
    done = 0

    def progress(result: Result) -> None:
        nonlocal done
        done += 1
        end = "\n" if done % 70 == 0 else ""
        print(PROGRESS[result.status], end=end, flush=True)

    started = time.monotonic()
    results = run(to_run, config, workers=args.workers, progress=progress)
    print(f"\n(finished in {time.monotonic() - started:.1f}s)")
    report.write_text(sys.stdout, results, not_applicable, verbose=args.verbose)
    meta = {"endpoint": config.base, "xapi_version": version}
    if args.report:
        cov = coverage.compute(checks, version)
        report.write_json(args.report, results, not_applicable, meta, cov)
    if args.junit:
        report.write_junit(args.junit, results)
    return 1 if any(r.status == FAILED for r in results) else 0
