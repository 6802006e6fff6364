"""Query mix: each filter type on its own, then paging through `more` (STR-Q-*, STR-M-*).

Filter values come from the seed's population, so they match statements that an ingest or an
import of the same seed stored. Page cost is compared in one run: page 1 requested `repeat`
times, then the walk to page N, then page N requested `repeat` times.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import timedelta
from itertools import count

import httpx
import orjson

from bench.client import timed
from bench.generate import ADL, START, VERBS, Population, population
from bench.modes import Options
from bench.report import Recorder, Report

Params = dict[str, str]


def _iso(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def filters(pop: Population, span_seconds: float) -> dict[str, Callable[[random.Random], Params]]:
    """Each filter type and a picker of one concrete value for it."""
    lessons = [lesson for _, _, lesson in pop.lessons]
    courses = sorted({course for course, _, _ in pop.lessons})

    def window(rng: random.Random) -> Params:
        begin = rng.uniform(0, max(span_seconds - 3600, 0))
        return {"since": _iso(begin), "until": _iso(begin + 3600)}

    return {
        "agent": lambda r: {"agent": orjson.dumps(r.choice(pop.actors)).decode()},
        "verb": lambda r: {"verb": ADL + r.choice(VERBS)},
        "activity": lambda r: {"activity": r.choice(lessons)},
        "related_activities": lambda r: {
            "activity": r.choice(courses),
            "related_activities": "true",
        },
        "registration": lambda r: {"registration": r.choice(pop.registrations)},
        "since_until": window,
        "agent_verb": lambda r: {
            "agent": orjson.dumps(r.choice(pop.actors)).decode(),
            "verb": ADL + r.choice(VERBS),
        },
    }


async def _series(
    client: httpx.AsyncClient,
    recorder: Recorder,
    make: Callable[[], Params],
    requests: int,
    concurrency: int,
    returned: list[int],
) -> None:
    counter = count()

    async def worker() -> None:
        while next(counter) < requests:
            response = await timed(client, recorder, "GET", "/xAPI/statements", params=make())
            if response is not None and response.status_code == 200:
                returned.append(len(response.json()["statements"]))

    recorder.restart()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    recorder.stop()


async def run_filters(client: httpx.AsyncClient, report: Report, options: Options) -> None:
    pop = population(options.seed)
    rng = random.Random(f"query-{options.seed}")
    span = (options.start + options.count) * 3.0
    for name, pick in filters(pop, span).items():
        returned: list[int] = []

        def make(pick: Callable[[random.Random], Params] = pick) -> Params:
            return {**pick(rng), "limit": str(options.limit)}

        recorder = report.recorder(f"GET {name}")
        await _series(client, recorder, make, options.requests, options.concurrency, returned)
        mean = sum(returned) / len(returned) if returned else 0.0
        report.facts[f"mean_returned_{name}"] = round(mean, 1)


async def _repeat(client: httpx.AsyncClient, recorder: Recorder, url: str, times: int) -> None:
    recorder.restart()
    for _ in range(times):
        await timed(client, recorder, "GET", url)
    recorder.stop()


async def run_paging(client: httpx.AsyncClient, report: Report, options: Options) -> None:
    """Page 1 versus page `pages` of an unfiltered query, following `more`."""
    first = f"/xAPI/statements?limit={options.limit}"
    repeat = max(5, min(options.requests, 30))
    await _repeat(client, report.recorder("page 1"), first, repeat)
    url, page = first, 1
    walk = report.recorder("walk")
    while page < options.pages:
        response = await timed(client, walk, "GET", url)
        more = response.json().get("more") if response is not None else None
        if response is None or response.status_code != 200 or not more:
            break
        url, page = more, page + 1
    walk.stop()
    report.facts["last_page"] = page
    await _repeat(client, report.recorder(f"page {page}"), url, repeat)
    first_p50 = report.series["page 1"].summary()["p50_ms"]
    last_p50 = report.series[f"page {page}"].summary()["p50_ms"]
    report.facts["page_ratio_p50"] = round(last_p50 / first_p50, 2) if first_p50 else None


async def run(client: httpx.AsyncClient, report: Report, options: Options) -> None:
    await run_filters(client, report, options)
    await run_paging(client, report, options)
