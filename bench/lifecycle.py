"""Erasure and purge at scale (python -m bench.lifecycle generate|erase|purge).

`generate` writes the seed's retail statements as NDJSON with a `stored` one second apart
(so a purge bound splits the store where wanted) and one person, ``erin``, as the actor of
every `every`-th statement. `lrs import` keeps `stored`. `erase` times an erasure of that
person (dry run, then real) over HTTP. `purge` measures the ingest rate of 4 concurrent
clients posting batches, first alone, then while a purge of every statement stored before
the middle of the generated range runs: the ratio of the two rates is what a purge costs
ingest.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
import orjson

from bench.generate import START, population, statement

ERIN = {"objectType": "Agent", "name": "Erin Bench", "mbox": "mailto:erin@retail.example"}
STORED_STEP = timedelta(seconds=1)


def generate(count: int, every: int, seed: int) -> None:
    pop = population(seed)
    out = sys.stdout.buffer
    for index in range(count):
        body = statement(seed, index, pop)
        if index % every == 0:
            body["actor"] = ERIN
        body["stored"] = (START + index * STORED_STEP).isoformat().replace("+00:00", "Z")
        out.write(orjson.dumps(body) + b"\n")


def _client(args: argparse.Namespace) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=args.url,
        auth=(args.user, args.password),
        headers={"X-Experience-API-Version": "2.0.0"},
        timeout=600,
    )


async def erase(args: argparse.Namespace) -> None:
    async with _client(args) as client:
        for dry_run in (True, False):
            began = time.perf_counter()
            response = await client.post(
                "/xAPI/extensions/erasure", json={"agent": ERIN, "dry_run": dry_run}
            )
            took = time.perf_counter() - began
            response.raise_for_status()
            print(f"erasure dry_run={dry_run}: {took:.2f} s {response.json()['counts']}")


def _batch(size: int) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.uuid4()),
            "actor": {"mbox": f"mailto:new{uuid.uuid4().hex[:6]}@retail.example"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": "https://training.retail.example/xapi/course/checkout-basics"},
        }
        for _ in range(size)
    ]


async def _ingest(client: httpx.AsyncClient, stop: asyncio.Event, size: int) -> int:
    stored = 0
    while not stop.is_set():
        response = await client.post("/xAPI/statements", json=_batch(size))
        response.raise_for_status()
        stored += size
    return stored


async def _rate(
    client: httpx.AsyncClient, seconds: float | None, work: Any = None
) -> tuple[float, float, Any]:
    """Statements/s of 4 clients for `seconds`, or for as long as `work` runs."""
    stop = asyncio.Event()
    began = time.perf_counter()
    writers = [asyncio.create_task(_ingest(client, stop, 100)) for _ in range(4)]
    result = None
    if work is None:
        await asyncio.sleep(seconds or 0)
    else:
        result = await work
    stop.set()
    took = time.perf_counter() - began
    total = sum(await asyncio.gather(*writers))
    return total / took, took, result


async def purge(args: argparse.Namespace) -> None:
    before = (START + args.count // 2 * STORED_STEP).isoformat().replace("+00:00", "Z")
    async with _client(args) as client:
        alone, took, _ = await _rate(client, args.seconds)
        print(f"ingest alone: {alone:.0f} statements/s over {took:.0f} s")
        work = client.post("/xAPI/extensions/purge", json={"before": before})
        during, took, response = await _rate(client, None, work)
        response.raise_for_status()
        print(f"purge before {before}: {took:.1f} s {response.json()}")
        print(f"ingest during purge: {during:.0f} statements/s; ratio {during / alone:.2f}")


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.lifecycle", description=__doc__)
    p.add_argument("mode", choices=("generate", "erase", "purge"))
    p.add_argument("--count", type=int, default=1_000_000)
    p.add_argument("--every", type=int, default=100, help="erin is every N-th actor")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--user", default="dev")
    p.add_argument("--password", default="dev-secret")
    p.add_argument("--seconds", type=float, default=30.0, help="length of the ingest-alone run")
    args = p.parse_args()
    if args.mode == "generate":
        generate(args.count, args.every, args.seed)
    elif args.mode == "erase":
        asyncio.run(erase(args))
    else:
        asyncio.run(purge(args))


if __name__ == "__main__":
    main()
