"""State document PUT and GET (DOC-*): distinct keys, JSON bodies, the two timed apart."""

from __future__ import annotations

import asyncio
from itertools import count

import orjson

from bench.client import JSON, LeanClient, timed
from bench.generate import Population, population
from bench.modes import Options
from bench.report import Recorder, Report

STATE_PATH = "/xAPI/activities/state"


def state_params(pop: Population, index: int) -> dict[str, str]:
    """The key of state document `index`: a lesson, a learner and a bookmark id."""
    lessons = [lesson for _, _, lesson in pop.lessons]
    return {
        "activityId": lessons[index % len(lessons)],
        "agent": orjson.dumps(pop.actors[index % len(pop.actors)]).decode(),
        "stateId": f"bookmark-{index // len(lessons) % 50}",
    }


async def _phase(
    client: LeanClient, recorder: Recorder, method: str, pop: Population, options: Options
) -> None:
    counter = count()

    async def worker() -> None:
        while (index := next(counter)) < options.requests:
            put = method == "PUT"
            await timed(
                client,
                recorder,
                method,
                STATE_PATH,
                params=state_params(pop, index),
                content=orjson.dumps({"lesson": index, "position": index * 7 % 300})
                if put
                else None,
                headers=JSON if put else None,
            )

    recorder.restart()
    await asyncio.gather(*(worker() for _ in range(options.concurrency)))
    recorder.stop()


async def run(client: LeanClient, report: Report, options: Options) -> None:
    """`requests` PUTs, then as many GETs of the same documents."""
    pop = population(options.seed)
    for method in ("PUT", "GET"):
        await _phase(client, report.recorder(f"{method} state"), method, pop, options)
