"""Background writers in a process of their own (`query --ingest-clients N`).

In a store, the clients that post batches are other programs than the ones that query. Run in
the query clients' event loop, each realistic batch of 100 was built and serialized there
(about 1.8 ms), and every query answered meanwhile waited for it: the load generator measured
itself (at 1M, the mean p95 of the filters 3.1 to 5.4 ms higher, 4 of 4 alternating pairs:
RESULTS' twentieth round). So the writers run in a child process, `python -m
bench.background SPEC`, with a client of their own; the query clients start once the first
batch is answered, and closing the child's stdin stops the writers. The child then prints
its series (latencies, statuses, items, seconds) and its own CPU as one JSON line, which the
parent folds into the report: the background series as before, and its CPU in
`client_cpu_s`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import resource
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import uvloop

from bench.client import JSON, LeanClient, body_of, timed
from bench.generate import batches
from bench.modes import Options
from bench.report import Recorder, Report

READY = b"ready\n"


async def ingest_until(
    client: LeanClient,
    recorder: Recorder,
    options: Options,
    stop: asyncio.Event,
    first_answered: asyncio.Event,
) -> None:
    """`options.ingest_clients` writers: batches of fresh statements until `stop` is set;
    `first_answered` is set once the stream's first batch is answered."""
    stream = enumerate(
        batches(options.seed, 10_000_000, options.batch, start=options.start, shape=options.shape)
    )

    async def worker() -> None:
        # The writers share one stream: the event waits for its first batch, which another
        # writer's later batch may overtake.
        for number, batch in stream:
            if stop.is_set():
                return
            await timed(
                client, recorder, "POST", "/xAPI/statements",
                content=body_of(batch), items=len(batch), headers=JSON,
            )  # fmt: skip
            if number == 0:
                first_answered.set()

    recorder.restart()
    try:
        await asyncio.gather(*(worker() for _ in range(options.ingest_clients)))
    finally:
        first_answered.set()
        recorder.stop()


@asynccontextmanager
async def writers_in_background(
    client: LeanClient, options: Options, report: Report
) -> AsyncIterator[None]:
    """Run the writers in a child process while the block runs (with the credentials and
    headers of `client`); then add their series and CPU to `report`."""
    spec = {
        "base": client.base,
        "headers": dict(client.headers),
        "options": dataclasses.asdict(options),
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", __name__, orjson.dumps(spec).decode(),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert child.stdin is not None
    assert child.stdout is not None
    try:
        if await child.stdout.readline() != READY:
            raise SystemExit("the background writers did not start (their error is above)")
        yield
    finally:
        child.stdin.close()
        output, _ = await child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"the background writers failed (exit {child.returncode})")
    outcome = orjson.loads(output)
    recorder = report.recorder(f"POST x{options.batch} (background)")
    recorder.latencies.extend(outcome["latencies"])
    recorder.statuses.update({int(status): n for status, n in outcome["statuses"].items()})
    recorder.items += outcome["items"]
    recorder.finished = recorder.started + outcome["seconds"]
    report.child_cpu_s += outcome["cpu_s"]


async def _child(spec: dict[str, Any]) -> None:
    options = Options(**spec["options"])
    recorder, stop, first_answered = Recorder(), asyncio.Event(), asyncio.Event()
    stdin = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    async with LeanClient(spec["base"], spec["headers"], options.ingest_clients) as client:
        writers = asyncio.create_task(ingest_until(client, recorder, options, stop, first_answered))
        await first_answered.wait()
        sys.stdout.buffer.write(READY)
        sys.stdout.buffer.flush()
        await stdin.read()  # until the parent closes it
        stop.set()
        await writers
    usage = resource.getrusage(resource.RUSAGE_SELF)
    summary = {
        "latencies": recorder.latencies,
        "statuses": {str(status): n for status, n in recorder.statuses.items()},
        "items": recorder.items,
        "seconds": (recorder.finished or 0.0) - recorder.started,
        "cpu_s": usage.ru_utime + usage.ru_stime,
    }
    sys.stdout.buffer.write(orjson.dumps(summary) + b"\n")
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    uvloop.run(_child(orjson.loads(sys.argv[1])))
