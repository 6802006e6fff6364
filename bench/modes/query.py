"""Query mix: each filter type on its own, then paging through `more` (STR-Q-*, STR-M-*).

Filter values come from the seed's population, so they match statements that an ingest or an
import of the same seed stored; since/until windows are cut from the stored range the LRS
reports, sized to hold about 300 of `count` statements. Page cost is compared in one run:
page 1 requested `repeat` times, then the walk to page N, then page N `repeat` times.

With ``--ingest-clients N`` that many clients POST batches of ``--batch`` of the seed's
statements from ``--start`` without pause for as long as the filter series run, so the queries
are measured while the store is written to (series ``POST xB (background)``). They are new
only when ``--start`` is past what is stored: from a stored range they are resends. The
writers run in a process of their own (`bench.background`), as other programs would.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count

import orjson

from bench.background import writers_in_background
from bench.client import LeanClient, timed
from bench.generate import ADL, VERBS, Population, population
from bench.modes import Options
from bench.report import Recorder, Report

Params = dict[str, str]


@dataclass(frozen=True)
class StoredSpan:
    """When the statements were stored (since/until filter on `stored`, STR-Q-009/010)."""

    first: datetime
    last: datetime
    count: int

    def window(self, rng: random.Random, expected: int = 300) -> Params:
        """A random [since, until] window holding about `expected` statements."""
        span = (self.last - self.first).total_seconds()
        width = span * min(1.0, expected / max(self.count, 1))
        begin = self.first + timedelta(seconds=rng.uniform(0, span - width))
        end = begin + timedelta(seconds=width)
        return {"since": begin.isoformat(), "until": end.isoformat()}


async def stored_span(client: LeanClient, count: int) -> StoredSpan:
    """The oldest and newest `stored` of the LRS (two limit=1 queries)."""
    ends = []
    for ascending in ("true", "false"):
        params = {"limit": "1", "ascending": ascending}
        response = await client.get("/xAPI/statements", params=params)
        found = orjson.loads(response.content)["statements"] if response.status_code == 200 else []
        ends.append(_parse(found[0]["stored"]) if found else datetime.now(UTC))
    return StoredSpan(ends[0], ends[1], count)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def filters(pop: Population, span: StoredSpan) -> dict[str, Callable[[random.Random], Params]]:
    """Each filter type and a picker of one concrete value for it."""
    lessons = [lesson for _, _, lesson in pop.lessons]
    courses = sorted({course for course, _, _ in pop.lessons})

    return {
        "agent": lambda r: {"agent": orjson.dumps(r.choice(pop.actors)).decode()},
        "verb": lambda r: {"verb": ADL + r.choice(VERBS)},
        "activity": lambda r: {"activity": r.choice(lessons)},
        "related_activities": lambda r: {
            "activity": r.choice(courses),
            "related_activities": "true",
        },
        "registration": lambda r: {"registration": r.choice(pop.registrations)},
        "since_until": span.window,
        "agent_verb": lambda r: {
            "agent": orjson.dumps(r.choice(pop.actors)).decode(),
            "verb": ADL + r.choice(VERBS),
        },
    }


async def _series(
    client: LeanClient,
    recorder: Recorder,
    make: Callable[[], Params],
    requests: int,
    concurrency: int,
    returned: list[int],
) -> None:
    counter = count()

    # Each page is parsed once the series is over. The clients share this event loop: while
    # one parsed a page (about 0.5 ms for 100 realistic statements), the others' answers
    # waited unread and counted as the server's latency (RESULTS, twenty-third round).
    pages: list[bytes] = []

    async def worker() -> None:
        while next(counter) < requests:
            response = await timed(client, recorder, "GET", "/xAPI/statements", params=make())
            if response is not None and response.status_code == 200:
                pages.append(response.content)

    recorder.restart()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    recorder.stop()
    returned.extend(len(orjson.loads(page)["statements"]) for page in pages)


async def run_filters(client: LeanClient, report: Report, options: Options) -> None:
    pop = population(options.seed)
    rng = random.Random(f"query-{options.seed}")
    span = await stored_span(client, options.start + options.count)
    for name, pick in filters(pop, span).items():
        returned: list[int] = []

        def make(pick: Callable[[random.Random], Params] = pick) -> Params:
            return {**pick(rng), "limit": str(options.limit)}

        recorder = report.recorder(f"GET {name}")
        await _series(client, recorder, make, options.requests, options.concurrency, returned)
        mean = sum(returned) / len(returned) if returned else 0.0
        report.facts[f"mean_returned_{name}"] = round(mean, 1)


async def _repeat(client: LeanClient, recorder: Recorder, url: str, times: int) -> None:
    recorder.restart()
    for _ in range(times):
        await timed(client, recorder, "GET", url)
    recorder.stop()


async def run_paging(client: LeanClient, report: Report, options: Options) -> None:
    """Page 1 versus page `pages` of an unfiltered query, following `more`."""
    first = f"/xAPI/statements?limit={options.limit}"
    repeat = max(5, min(options.requests, 30))
    await _repeat(client, report.recorder("page 1"), first, repeat)
    url, page = first, 1
    walk = report.recorder("walk")
    while page < options.pages:
        response = await timed(client, walk, "GET", url)
        more = orjson.loads(response.content).get("more") if response is not None else None
        if response is None or response.status_code != 200 or not more:
            break
        url, page = more, page + 1
    walk.stop()
    report.facts["last_page"] = page
    await _repeat(client, report.recorder(f"page {page}"), url, repeat)
    first_p50 = report.series["page 1"].summary()["p50_ms"]
    last_p50 = report.series[f"page {page}"].summary()["p50_ms"]
    report.facts["page_ratio_p50"] = round(last_p50 / first_p50, 2) if first_p50 else None


async def run(client: LeanClient, report: Report, options: Options) -> None:
    if options.ingest_clients <= 0:
        await run_filters(client, report, options)
        await run_paging(client, report, options)
        return
    async with writers_in_background(client, options, report):
        await run_filters(client, report, options)
    await run_paging(client, report, options)
