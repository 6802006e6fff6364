"""Measurements and their summary: throughput, latency percentiles, errors, server RSS and
CPU.

A `Recorder` collects one series (e.g. "POST batch" or "GET agent"); a `Report` holds the
series of a run plus, when they run on this machine, the server's peak resident memory and
the CPU the server and the database spent during the run (read from ``/proc``: a process
and its descendants).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import resource
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

PROC = Path("/proc")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


@dataclass
class Recorder:
    """One series: per-request latency, status counts, items (statements or documents) done."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    items: int = 0
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    # this process's CPU seconds at the series' start and stop: the load generator's own
    # share of the machine while the clock ran (generating bodies before it is not in it)
    cpu_started: float = field(default_factory=time.process_time)
    cpu_finished: float | None = None

    def record(self, status: int, seconds: float, items: int = 1) -> None:
        self.latencies.append(seconds)
        self.statuses[status] += 1
        if status < 400:
            self.items += items

    def restart(self) -> None:
        self.started = time.perf_counter()
        self.cpu_started = time.process_time()

    def stop(self) -> None:
        self.finished = time.perf_counter()
        self.cpu_finished = time.process_time()

    def summary(self) -> dict[str, Any]:
        elapsed = (self.finished or time.perf_counter()) - self.started
        cpu = (self.cpu_finished or time.process_time()) - self.cpu_started
        ms = [v * 1000 for v in self.latencies]
        errors = {str(s): n for s, n in sorted(self.statuses.items()) if s >= 400 or s == 0}
        return {
            "requests": len(ms),
            "items": self.items,
            "seconds": round(elapsed, 3),
            "items_per_s": round(self.items / elapsed, 1) if elapsed > 0 else 0.0,
            "p50_ms": round(percentile(ms, 50), 2),
            "p95_ms": round(percentile(ms, 95), 2),
            "p99_ms": round(percentile(ms, 99), 2),
            "client_cpu_ms_per_item": round(cpu * 1000 / self.items, 4) if self.items else None,
            "errors": errors,
        }


@dataclass(frozen=True)
class Watched:
    """The server's and the database's processes, when they run on this machine: their RSS
    and CPU are read from ``/proc`` during a run."""

    server: int | None = None
    database: int | None = None


@dataclass
class Report:
    mode: str
    series: dict[str, Recorder] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    peak_rss_mb: float | None = None
    # CPU seconds spent during the run, by "server" and "database" (those found on this machine)
    cpu_s: dict[str, float] = field(default_factory=dict)
    # CPU seconds of the load generator's own child processes (`bench.background`)
    child_cpu_s: float = 0.0

    def recorder(self, name: str) -> Recorder:
        return self.series.setdefault(name, Recorder())

    def as_dict(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        items = sum(rec.items for rec in self.series.values())
        cpu: dict[str, float | None] = {}
        for side in ("server", "database"):
            spent = self.cpu_s.get(side)
            cpu[f"{side}_cpu_s"] = spent
            cpu[f"{side}_cpu_ms_per_item"] = (
                round(spent * 1000 / items, 4) if spent is not None and items else None
            )
        return {
            "mode": self.mode,
            "series": {name: rec.summary() for name, rec in self.series.items()},
            **self.facts,
            "server_peak_rss_mb": self.peak_rss_mb,
            "client_cpu_s": round(usage.ru_utime + usage.ru_stime + self.child_cpu_s, 2),
            **cpu,
        }

    def json_line(self) -> str:
        return orjson.dumps(self.as_dict()).decode()

    def text(self) -> str:
        data = self.as_dict()
        lines = [f"mode: {self.mode}"]
        for name, s in data["series"].items():
            errors = ", ".join(f"{k}x{v}" for k, v in s["errors"].items()) or "none"
            lines.append(
                f"  {name:<24} {s['items']:>9} items {s['items_per_s']:>10.1f}/s  "
                f"p50 {s['p50_ms']:.1f} ms  p95 {s['p95_ms']:.1f} ms  p99 {s['p99_ms']:.1f} ms  "
                f"errors: {errors}"
            )
        for key, value in self.facts.items():
            lines.append(f"  {key}: {value}")
        rss = "n/a" if self.peak_rss_mb is None else f"{self.peak_rss_mb:.1f} MB"
        lines.append(f"  server peak RSS: {rss}   client CPU: {data['client_cpu_s']} s")
        for side in ("server", "database"):
            spent, per_item = data[f"{side}_cpu_s"], data[f"{side}_cpu_ms_per_item"]
            shown = "n/a" if spent is None else f"{spent} s ({per_item} ms per item)"
            lines.append(f"  {side} CPU: {shown}")
        return "\n".join(lines)


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for name in ("tcp", "tcp6"):
        path = PROC / "net" / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def find_listening_pid(port: int) -> int | None:
    """The lowest pid holding a listening socket on `port` (the server's parent), if visible."""
    wanted = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not wanted:
        return None
    found: list[int] = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) in wanted for fd in (entry / "fd").iterdir()):
                found.append(int(entry.name))
    return min(found) if found else None


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in (PROC / str(pid) / "task").iterdir():
            text = (task / "children").read_text().split()
            out.extend(int(c) for c in text)
    return out


def _rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _tree(pid: int) -> Iterator[int]:
    """A process and all its descendants."""
    todo = [pid]
    while todo:
        current = todo.pop()
        yield current
        todo.extend(_children(current))


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    return sum(_rss_kb(one) for one in _tree(pid)) / 1024


@contextlib.asynccontextmanager
async def rss_sampler(report: Report, pid: int | None, every: float = 0.1) -> AsyncIterator[None]:
    """Sample the server's tree RSS while the block runs; store the peak on the report."""
    if pid is None:
        yield
        return
    peak = tree_rss_mb(pid)

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, tree_rss_mb(pid))
            await asyncio.sleep(every)

    task = asyncio.create_task(sample())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        report.peak_rss_mb = round(max(peak, tree_rss_mb(pid)), 1)


_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int:
    """A process's CPU time, its reaped children's included (a database backend that ends
    during a run is counted in its parent's), in clock ticks; 0 once it is gone."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        # the fields after the command name, which may hold spaces and parentheses
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return 0


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and all its descendants, in seconds."""
    return sum(_cpu_ticks(one) for one in _tree(pid)) / _TICKS_PER_S


def database_pid(url: str | None) -> int | None:
    """The postmaster of a PostgreSQL URL when it runs on this machine: from `postmaster.pid`
    in the socket directory the URL names (the embedded server keeps it there), or the
    process listening on a local TCP port; None when neither can be read."""
    if not url:
        return None
    parts = urlsplit(url.replace("+asyncpg", ""))
    directories = parse_qs(parts.query).get("host", [])
    for directory in directories:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((Path(directory) / "postmaster.pid").read_text().split()[0])
    if not directories and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return find_listening_pid(parts.port or 5432)
    return None


@contextlib.contextmanager
def cpu_meter(report: Report, pids: dict[str, int | None]) -> Iterator[None]:
    """Record on the report the CPU each named process tree spends while the block runs."""
    known = {name: pid for name, pid in pids.items() if pid is not None}
    before = {name: tree_cpu_seconds(pid) for name, pid in known.items()}
    try:
        yield
    finally:
        report.cpu_s = {
            name: round(tree_cpu_seconds(pid) - before[name], 3) for name, pid in known.items()
        }
