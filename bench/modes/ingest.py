"""Batch ingest: POST arrays of `batch` statements from `concurrency` clients (STR-W-007)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from bench.client import JSON, LeanClient, body_of, timed
from bench.generate import batches
from bench.modes import Options
from bench.report import Recorder, Report


async def post_all(
    client: LeanClient,
    recorder: Recorder,
    bodies: Iterator[tuple[bytes, int]],
    concurrency: int,
) -> None:
    """POST every body of the shared iterator from `concurrency` workers."""

    async def worker() -> None:
        for content, items in bodies:
            await timed(
                client,
                recorder,
                "POST",
                "/xAPI/statements",
                content=content,
                items=items,
                headers=JSON,
            )

    recorder.restart()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    recorder.stop()


def _bodies(options: Options, single: bool) -> Iterator[tuple[bytes, int]]:
    """Every request body, generated and serialised before the clock starts (as the raw
    baseline prepares its rows untimed), so that the load generator's CPU during the run is
    the HTTP work alone; it holds about 1.3 KB per statement meanwhile."""
    size = 1 if single else options.batch
    bodies = [
        (body_of(batch[0] if single else batch), len(batch))
        for batch in batches(
            options.seed, options.count, size, start=options.start, shape=options.shape
        )
    ]
    return iter(bodies)


async def run(client: LeanClient, report: Report, options: Options) -> None:
    """`count` statements in POSTs of `batch`."""
    recorder = report.recorder(f"POST x{options.batch}")
    await post_all(client, recorder, _bodies(options, False), options.concurrency)


async def run_single(client: LeanClient, report: Report, options: Options) -> None:
    """`count` statements, one statement object per POST."""
    recorder = report.recorder("POST x1")
    await post_all(client, recorder, _bodies(options, True), options.concurrency)
