"""The BI export (`/xAPI/extensions/export`), streamed to the end: rows per second and, with
`--server-pid`, the server's peak RSS, which must not grow with the number of rows."""

from __future__ import annotations

import time

from bench.client import LeanClient, TransportError
from bench.modes import Options
from bench.report import Report

EXPORT_PATH = "/xAPI/extensions/export"


async def _stream(client: LeanClient, report: Report, fmt: str) -> None:
    recorder = report.recorder(f"export {fmt}")
    recorder.restart()
    started = time.perf_counter()
    rows = 0
    status = 0
    try:
        async with client.stream_lines("GET", EXPORT_PATH, params={"format": fmt}) as (
            status,
            lines,
        ):
            async for line in lines:
                if line.strip():
                    rows += 1
    except TransportError:
        status = 0
    if fmt == "csv" and rows:
        rows -= 1  # the header row
    recorder.record(status, time.perf_counter() - started, rows)
    recorder.stop()


async def run(client: LeanClient, report: Report, options: Options) -> None:
    """Export every stored statement as CSV, then as NDJSON (one request each)."""
    del options
    for fmt in ("csv", "ndjson"):
        await _stream(client, report, fmt)
