"""The console's overview: totals, statements per day, database and pool, forwarding lag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs import __version__
from lrs.services import forwarding
from lrs.storage import console as repo
from lrs.storage.database import read_only

DAYS = 30


@dataclass(frozen=True)
class Overview:
    statements: int
    voided: int
    last_stored: str | None
    per_day: list[tuple[date, int]]
    days: int
    database: str
    pool: str
    version: str
    forwarding_lag: str
    targets: int


def _days(counts: dict[date, int], today: date) -> list[tuple[date, int]]:
    """Every day of the window, zero where nothing was stored."""
    first = today - timedelta(days=DAYS - 1)
    days = [first + timedelta(days=i) for i in range(DAYS)]
    return [(day, counts.get(day, 0)) for day in days]


async def overview(engine: AsyncEngine) -> Overview:
    async with read_only(engine) as conn:
        total, voided, last = await repo.statement_totals(conn)
        counts = await repo.statements_per_day(conn, days=DAYS)
    targets = await forwarding.list_targets(engine)
    lag = max((t["status"]["lag_seconds"] for t in targets), default=0.0)
    size, used = getattr(engine.pool, "size", None), getattr(engine.pool, "checkedout", None)
    return Overview(
        statements=total,
        voided=voided,
        last_stored=last.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if last else None,
        per_day=_days(counts, datetime.now(UTC).date()),
        days=DAYS,
        database="reachable",
        pool=f"pool: {used()} of {size()} in use" if callable(size) and callable(used) else "pool",
        version=__version__,
        forwarding_lag=f"{lag:.0f} s",
        targets=len(targets),
    )
