"""``python -m bench.forwarding``: forwarding figures of lrs, from one run.

Starts two `lrs serve` processes on two new databases of a PostgreSQL server (the source,
and a second lrs as the xAPI target, its own forwarder off), then measures:

1. ingest with no target, with one paused target (the outbox write only) and with one active
   target (outbox, delivery and the target lrs all on the same machine), in alternating
   rounds of the same load (batches of 100, 4 clients);
2. forwarding throughput: statements queued while the target is paused, then the time to
   deliver all of them after resume;
3. end-to-end lag under steady ingest: for each statement, the target's `stored` minus the
   source's `stored` (same clock), p50 and p95.

Needs an lrs install (this checkout) and a PostgreSQL reachable as --server (a superuser URL:
it creates and drops its databases).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import httpx

from bench.generate import statements

KEY, SECRET = "bench", "bench-secret"
VERSION = {"X-Experience-API-Version": "2.0.0"}
FWD = "/xAPI/extensions/forwarding/targets"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@contextmanager
def _server(url: str, log_dir: str, **env: str) -> Iterator[str]:
    port = _port()
    full = {
        **os.environ,
        "LRS_DATABASE_URL": url,
        "LRS_BOOTSTRAP_KEY": KEY,
        "LRS_BOOTSTRAP_SECRET": SECRET,
        "LRS_LOG_LEVEL": "WARNING",
        **env,
    }
    with open(os.path.join(log_dir, f"lrs-{port}.log"), "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "lrs", "serve", "--migrate", "--port", str(port)],
            env=full,
            stdout=log,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"lrs on {base} did not start (log in {log_dir})")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(60)


async def _ingest(base: str, count: int, start: int, clients: int = 4, batch: int = 100) -> float:
    """Statements per second for `count` statements in batches, `clients` at a time."""
    bodies = [list(statements(7, batch, start=start + i)) for i in range(0, count, batch)]
    queue = iter(bodies)

    async def worker(client: httpx.AsyncClient) -> None:
        for body in queue:
            response = await client.post("/xAPI/statements", json=body)
            response.raise_for_status()

    async with httpx.AsyncClient(
        base_url=base, auth=(KEY, SECRET), headers=VERSION, timeout=60
    ) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        return count / (time.perf_counter() - began)


async def _status(client: httpx.AsyncClient, target_id: str) -> dict[str, Any]:
    response = await client.get(f"{FWD}/{target_id}")
    result: dict[str, Any] = response.json()["status"]
    return result


async def _drain(client: httpx.AsyncClient, target_id: str) -> None:
    """Poll the target's status until nothing is pending (the figure lives in the database)."""
    while True:
        if (await _status(client, target_id))["pending"] == 0:
            return
        await asyncio.sleep(0.2)


async def _lags(source_url: str, target_url: str) -> list[float]:
    src = await asyncpg.connect(_dsn(source_url))
    dst = await asyncpg.connect(_dsn(target_url))
    try:
        sent = await src.fetch("SELECT id, stored FROM statements ORDER BY seq")
        got = {r["id"]: r["stored"] for r in await dst.fetch("SELECT id, stored FROM statements")}
    finally:
        await src.close()
        await dst.close()
    # In the source's stored order, so that the last ones are the steady-ingest statements.
    return [(got[r["id"]] - r["stored"]).total_seconds() for r in sent if r["id"] in got]


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def measure(
    source: str, target: str, urls: tuple[str, str], args: argparse.Namespace
) -> None:
    async with httpx.AsyncClient(base_url=source, auth=(KEY, SECRET), timeout=60) as admin:
        body = {
            "type": "xapi",
            "url": f"{target}/xAPI",
            "username": KEY,
            "password": SECRET,
            "xapi_version": "2.0.0",
        }
        created = (await admin.post(FWD, json=body)).json()
        target_id = created["id"]
        await admin.delete(f"{FWD}/{target_id}")
        await _ingest(source, args.count, 0)  # warm-up, not counted
        position = args.count
        rates: dict[str, list[float]] = {"none": [], "paused": [], "active": []}
        for _ in range(args.rounds):
            for mode in ("none", "paused", "active"):
                target_id = ""
                if mode != "none":
                    target_id = (await admin.post(FWD, json=body)).json()["id"]
                    if mode == "paused":
                        await admin.put(f"{FWD}/{target_id}", json={"paused": True})
                rates[mode].append(await _ingest(source, args.count, position))
                position += args.count
                if target_id:
                    await admin.delete(f"{FWD}/{target_id}")
        none = statistics.median(rates["none"])
        print(f"ingest statements/s, rounds {args.rounds} x {args.count}: {rates}")
        for mode in ("paused", "active"):
            ratios = [a / b for a, b in zip(rates[mode], rates["none"], strict=True)]
            print(
                f"  {mode}: median {statistics.median(rates[mode]):.0f}/s vs {none:.0f}/s; "
                f"ratio per round {[round(r, 3) for r in ratios]}, "
                f"median {statistics.median(ratios):.3f}"
            )

        # Throughput: a backlog queued while paused, delivered after resume.
        target_id = (await admin.post(FWD, json=body)).json()["id"]
        await admin.put(f"{FWD}/{target_id}", json={"paused": True})
        await _ingest(source, args.backlog, position)
        position += args.backlog
        began = time.perf_counter()
        await admin.put(f"{FWD}/{target_id}", json={"paused": False})
        await _drain(admin, target_id)
        elapsed = time.perf_counter() - began
        rate = args.backlog / elapsed
        print(f"throughput: {args.backlog} statements in {elapsed:.1f} s = {rate:.0f}/s")

        # Lag under steady ingest: `rate` statements/s in batches of 10 for `seconds`.
        async with httpx.AsyncClient(
            base_url=source, auth=(KEY, SECRET), headers=VERSION, timeout=60
        ) as client:
            interval = 10 / args.rate
            began = time.perf_counter()
            sent = 0
            while time.perf_counter() - began < args.seconds:
                batch = list(statements(7, 10, start=position))
                position += 10
                await client.post("/xAPI/statements", json=batch)
                sent += 10
                delay = began + (sent / 10) * interval - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
        await _drain(admin, target_id)
    lags = await _lags(*urls)
    steady = lags[-sent:]
    print(
        f"lag under {args.rate}/s asked, {sent / args.seconds:.0f}/s achieved, for "
        f"{args.seconds} s ({len(steady)} statements): "
        f"p50 {_p(steady, 50) * 1000:.0f} ms, p95 {_p(steady, 95) * 1000:.0f} ms, "
        f"max {max(steady) * 1000:.0f} ms"
    )


async def _databases(server: str, action: str, names: list[str]) -> None:
    admin = await asyncpg.connect(_dsn(server))
    try:
        for name in names:
            # Generated names only (identifiers cannot be bound).
            sql = (
                f'CREATE DATABASE "{name}"'
                if action == "create"
                else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            )
            await admin.execute(sql)
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=4000, help="statements per ingest round")
    parser.add_argument("--backlog", type=int, default=10000)
    parser.add_argument("--rate", type=int, default=100, help="steady statements per second")
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    suffix = uuid.uuid4().hex[:8]
    names = [f"bench_fwd_src_{suffix}", f"bench_fwd_dst_{suffix}"]
    asyncio.run(_databases(args.server, "create", names))
    base = args.server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    urls = (f"{base}/{names[0]}", f"{base}/{names[1]}")
    try:
        with (
            tempfile.TemporaryDirectory() as logs,
            _server(urls[1], logs, LRS_FORWARDING_ENABLED="false") as target,
            _server(urls[0], logs) as source,
        ):
            asyncio.run(measure(source, target, urls, args))
    finally:
        asyncio.run(_databases(args.server, "drop", names))


if __name__ == "__main__":
    main()
