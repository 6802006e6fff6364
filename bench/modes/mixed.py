"""Mixed read/write: each client picks a query or a small batch POST per request."""

from __future__ import annotations

import asyncio
import random
from itertools import count

from bench.client import JSON, LeanClient, body_of, timed
from bench.generate import batches, population
from bench.modes import Options
from bench.modes.query import filters, stored_span
from bench.report import Report

WRITE_BATCH = 10


async def run(client: LeanClient, report: Report, options: Options) -> None:
    """`requests` operations, a `write_share` of them POSTs of 10 new statements."""
    pop = population(options.seed)
    span = await stored_span(client, options.start + options.count)
    picks = list(filters(pop, span).values())
    rng = random.Random(f"mixed-{options.seed}")
    writes = batches(
        options.seed,
        options.requests * WRITE_BATCH,
        WRITE_BATCH,
        start=options.start,
        shape=options.shape,
    )
    reads, posts = report.recorder("mixed read"), report.recorder("mixed write")
    counter = count()

    async def worker() -> None:
        while next(counter) < options.requests:
            if rng.random() < options.write_share:
                batch = next(writes, None)
                if batch is not None:
                    await timed(
                        client,
                        posts,
                        "POST",
                        "/xAPI/statements",
                        content=body_of(batch),
                        items=len(batch),
                        headers=JSON,
                    )
                    continue
            params = {**rng.choice(picks)(rng), "limit": str(options.limit)}
            await timed(client, reads, "GET", "/xAPI/statements", params=params)

    await asyncio.gather(*(worker() for _ in range(options.concurrency)))
    reads.stop()
    posts.stop()
