"""Hostile clients against any LRS, and what other clients get meanwhile
(python -m bench.hostile stall|headers|chunks|bodies).

Each mode runs its attack while one well-behaved client probes the server four times a
second (`GET /xAPI/about` on a new connection, then an authenticated
`GET /xAPI/statements?limit=1` on a kept one), and prints the probes' latency and statuses
(0: the connection failed) with what the attackers were answered:

- `stall`: `--connections` connections held open without finishing a request (a third send
  nothing, a third half a request head, a third a head announcing 100,000 bytes and 5,000
  of them), for up to `--hold` seconds: when (and with what status) the server closed them,
  and whether new connections were still accepted;
- `headers`: `--clients` clients, each sending requests of 10,000 tiny header fields (50 KB)
  for `--hold` seconds, one per connection: the answers;
- `chunks`: `--clients` uploads of a `--megabytes` JSON batch in chunks of `--chunk-bytes`
  (chunked transfer encoding): each upload's status and how much of it was sent;
- `bodies`: `--clients` batches of `--statements` large realistic statements (about 19 KB
  each), all at once: statuses, the time until the last was answered and, with
  `--server-pid`, the server's peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

import orjson

from bench.client import Target, basic_authorization, make_client, timed
from bench.generate import population, statement
from bench.report import Recorder, Report, percentile, rss_sampler

PROBE_EVERY_S = 0.25
FILLER_BYTES = 17_000


@contextlib.asynccontextmanager
async def probing(target: Target) -> AsyncIterator[dict[str, Recorder]]:
    """Probe the server while the block runs: `about` on a new connection each time, a query
    on one kept connection."""
    series = {"about, new connection": Recorder(), "statements, kept connection": Recorder()}
    client = make_client(target, 1)

    async def probe() -> None:
        while True:
            async with make_client(target, 1) as newcomer:
                await timed(newcomer, series["about, new connection"], "GET", "/xAPI/about")
            await timed(
                client, series["statements, kept connection"], "GET", "/xAPI/statements?limit=1"
            )
            await asyncio.sleep(PROBE_EVERY_S)

    task = asyncio.create_task(probe())
    try:
        yield series
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.aclose()


def summary(series: dict[str, Recorder]) -> str:
    lines = []
    for name, recorder in series.items():
        ms = [seconds * 1000 for seconds in recorder.latencies]
        lines.append(
            f"  probe {name}: {len(ms)} requests, p50 {percentile(ms, 50):.1f} ms, "
            f"p99 {percentile(ms, 99):.1f} ms, max {max(ms, default=0):.1f} ms, "
            f"statuses {dict(recorder.statuses)}"
        )
    return "\n".join(lines)


def _address(target: Target) -> tuple[str, int]:
    parts = urlsplit(target.base)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _head(target: Target, method: str, path: str, extra: str = "") -> bytes:
    host, port = _address(target)
    return (
        f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"X-Experience-API-Version: {target.version}\r\n{extra}\r\n"
    ).encode()


def _authorization(target: Target) -> str:
    return f"Authorization: {basic_authorization(target)}\r\n"


async def _answer(reader: asyncio.StreamReader) -> str:
    """The status code of what the server sent before closing ('closed' if nothing)."""
    try:
        data = await reader.read(65536)
    except OSError:
        return "reset"
    return data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "closed"


async def stall(target: Target, args: argparse.Namespace) -> None:
    host, port = _address(target)
    auth = _authorization(target)
    began = time.perf_counter()
    outcomes: Counter[str] = Counter()
    closed_after: list[float] = []

    async def one(index: int) -> None:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            outcomes["refused"] += 1
            return
        kind = index % 3
        if kind == 1:
            writer.write(_head(target, "GET", "/xAPI/statements")[:40])
        elif kind == 2:
            extra = auth + "Content-Type: application/json\r\nContent-Length: 100000\r\n"
            writer.write(_head(target, "POST", "/xAPI/statements", extra) + b"[" * 5000)
        opened = time.perf_counter()
        try:
            outcome = await asyncio.wait_for(_answer(reader), args.hold)
            closed_after.append(time.perf_counter() - opened)
        except TimeoutError:
            outcome = "still open"
        outcomes[outcome] += 1
        writer.close()

    async with probing(target) as series:
        await asyncio.gather(*(one(index) for index in range(args.connections)))
    print(f"stall: {args.connections} connections, {time.perf_counter() - began:.1f} s")
    print(f"  the stalled connections: {dict(outcomes)}")
    if closed_after:
        print(f"  closed by the server after {min(closed_after):.1f}-{max(closed_after):.1f} s")
    print(summary(series))


async def headers(target: Target, args: argparse.Namespace) -> None:
    host, port = _address(target)
    fields = b"a:b\r\n" * 10_000  # within 64 KiB, as the server counts a head
    request = _head(target, "GET", "/xAPI/about", fields.decode())
    deadline = time.perf_counter() + args.hold
    outcomes: Counter[str] = Counter()

    async def one() -> None:
        while time.perf_counter() < deadline:
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(request)
                await writer.drain()
                outcomes[await _answer(reader)] += 1
            except OSError:
                outcomes["reset"] += 1
            writer.close()

    async with probing(target) as series:
        await asyncio.gather(*(one() for _ in range(args.clients)))
    print(f"headers: {args.clients} clients, requests of {len(fields) // 5:,} header fields")
    print(f"  answers: {dict(outcomes)}")
    print(summary(series))


async def chunks(target: Target, args: argparse.Namespace) -> None:
    host, port = _address(target)
    auth = _authorization(target)
    piece = b"x" * args.chunk_bytes
    frame = f"{args.chunk_bytes:x}\r\n".encode() + piece + b"\r\n"
    size = args.megabytes * 1_000_000 * len(frame) // args.chunk_bytes  # with the framing
    frames_per_write = max(1, 65536 // len(frame))

    async def one() -> str:
        reader, writer = await asyncio.open_connection(host, port)
        extra = auth + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        writer.write(_head(target, "POST", "/xAPI/statements", extra))
        answer = asyncio.create_task(_answer(reader))
        sent = 0
        try:
            while sent < size and not answer.done():
                writer.write(frame * frames_per_write)
                sent += len(frame) * frames_per_write
                await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except OSError:
            pass
        status = await answer
        writer.close()
        return f"{status} after {sent / 1000:,.0f} KB written"

    async with probing(target) as series:
        began = time.perf_counter()
        answers = await asyncio.gather(*(one() for _ in range(args.clients)))
    took = time.perf_counter() - began
    print(f"chunks: {args.clients} x {args.megabytes} MB in {args.chunk_bytes}-byte chunks")
    print(f"  answers: {answers}, {took:.1f} s")
    print(summary(series))


def large_batch(seed: int, start: int, count: int) -> bytes:
    pop = population(seed)
    filler = "f" * FILLER_BYTES
    batch: list[dict[str, Any]] = []
    for index in range(start, start + count):
        body = statement(seed, index, pop)
        body["context"].setdefault("extensions", {})["https://lrs.example/filler"] = filler
        batch.append(body)
    return orjson.dumps(batch)


async def bodies(target: Target, args: argparse.Namespace) -> None:
    payloads = [
        large_batch(args.seed, args.start + n * args.statements, args.statements)
        for n in range(args.clients)
    ]
    client = make_client(target, args.clients)
    recorder = Recorder()
    report = Report(mode="bodies")
    headers = {"Content-Type": "application/json"}
    async with probing(target) as series, rss_sampler(report, args.server_pid):
        began = time.perf_counter()
        await asyncio.gather(
            *(
                timed(client, recorder, "POST", "/xAPI/statements", content=body, headers=headers)
                for body in payloads
            )
        )
        took = time.perf_counter() - began
    await client.aclose()
    size = sum(len(body) for body in payloads) / len(payloads) / 1e6
    print(f"bodies: {args.clients} batches of {args.statements} ({size:.1f} MB each) at once")
    print(f"  statuses {dict(recorder.statuses)}, all answered in {took:.2f} s")
    if args.server_pid:
        print(f"  server peak RSS {report.peak_rss_mb:,.0f} MB")
    print(summary(series))


MODES: dict[str, Callable[[Target, argparse.Namespace], Coroutine[Any, Any, None]]] = {
    "stall": stall,
    "headers": headers,
    "chunks": chunks,
    "bodies": bodies,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__)
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("--url", default="http://127.0.0.1:8000/xAPI/")
    parser.add_argument("--key", default="bench")
    parser.add_argument("--secret", default="benchbenchbench")
    parser.add_argument("--connections", type=int, default=1500)
    parser.add_argument("--hold", type=float, default=40.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--megabytes", type=int, default=20)
    parser.add_argument("--chunk-bytes", type=int, default=1)
    parser.add_argument("--statements", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", type=int, default=30_000_000)
    parser.add_argument("--server-pid", type=int)
    args = parser.parse_args()
    target = Target(args.url, args.key, args.secret)
    asyncio.run(MODES[args.mode](target, args))


if __name__ == "__main__":
    main()
