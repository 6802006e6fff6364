"""KPI use cases: business figures (conversion, ATV, shrink...) by door and period, upserted
all or nothing and validated like the roster (line-numbered errors for CSV)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.errors import BadRequest
from lrs.ext.rules.bi_model import PERIODS, Kpi, parse_kpi
from lrs.ext.rules.csvio import BulkBody
from lrs.ext.rules.filters import date_param
from lrs.ext.rules.model import check_id
from lrs.ext.services.known import Ref, check_known
from lrs.ext.storage import bi as repo
from lrs.storage.database import read_only, transaction
from lrs.xapi.validate import query_values

KPI_PARAMS = ("door", "metric", "period", "since", "until")


@dataclass(frozen=True)
class KpiQuery:
    door: str | None
    metric: str | None
    period: str | None
    since: date
    until: date


def _check_aggregates(bulk: BulkBody, rows: Sequence[Kpi], stored: dict[str, str]) -> None:
    """A metric rolls up one way: every row of it declares the same aggregate."""
    declared = dict(stored)
    for index, row in enumerate(rows):
        known = declared.setdefault(row.metric, row.aggregate)
        if known != row.aggregate:
            raise bulk.refuse(
                index,
                f"metric {row.metric!r} is aggregated by {known!r}, not {row.aggregate!r}",
                f"{row.path}.aggregate",
            )


async def upsert_kpis(engine: AsyncEngine, bulk: BulkBody) -> int:
    """Upsert KPI rows (key: door, period, period_start, metric); all or nothing."""
    rows = bulk.parse_each(parse_kpi)
    bulk.check_unique(
        [(r.door, r.period, r.period_start.isoformat(), r.metric) for r in rows], "KPI", ""
    )
    if not rows:
        return 0
    async with transaction(engine) as conn:
        await check_known(conn, [Ref(i, r.door, None, r.path) for i, r in enumerate(rows)], bulk)
        _check_aggregates(bulk, rows, await repo.stored_aggregates(conn, [r.metric for r in rows]))
        await repo.upsert_kpis(conn, rows)
    return len(rows)


def parse_kpi_query(items: Sequence[tuple[str, str]]) -> KpiQuery:
    """door, metric, period filters; since/until (dates) bound period_start as [since, until)."""
    values = query_values(items, KPI_PARAMS)
    period = values.get("period")
    if period is not None and period not in PERIODS:
        raise BadRequest(f"period must be one of {', '.join(PERIODS)}", path="param:period")
    door = values.get("door")
    return KpiQuery(
        door=None if door is None else check_id(door, "param:door", "door"),
        metric=values.get("metric"),
        period=period,
        since=date_param(values, "since", date.min),
        until=date_param(values, "until", date.max),
    )


async def list_kpis(engine: AsyncEngine, query: KpiQuery) -> dict[str, Any]:
    async with read_only(engine) as conn:
        rows = await repo.list_kpis(conn, **asdict(query))
    names = ("door", "period", "period_start", "metric", "value", "aggregate")
    return {
        "kpis": [
            {
                n: (v.isoformat() if isinstance(v, date) else v)
                for n, v in zip(names, r, strict=True)
            }
            for r in rows
        ]
    }
