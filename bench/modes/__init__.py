"""The load modes; each is `async def run(client, report, options) -> None`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """Knobs shared by the modes (each mode reads the ones it needs)."""

    seed: int = 1
    count: int = 10_000
    start: int = 0
    batch: int = 100
    concurrency: int = 4
    requests: int = 200
    pages: int = 1000
    limit: int = 100
    write_share: float = 0.2
    seconds: float = 10.0
    shape: str = "realistic"
    baseline: str = "table"
    ingest_clients: int = 0
