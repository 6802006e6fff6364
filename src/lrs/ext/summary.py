"""Dashboard summary: statements and distinct actors per door, role, verb, activity, day or
week over a range ("who practiced what this week, per door and role").

Distinct actors are counted on the actor's IFI key, so an actor seen in several groups counts
once in the totals (the totals are not the sum of the groups).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.ext.columns import iso
from lrs.ext.export import check_filter_ids
from lrs.ext.filters import SUMMARY_PARAMS, SummaryRequest, parse_summary
from lrs.ext.storage_query import summary
from lrs.storage.database import read_only
from lrs.xapi.validate import query_values


def parse_summary_params(items: Sequence[tuple[str, str]]) -> SummaryRequest:
    return parse_summary(query_values(items, SUMMARY_PARAMS))


def _value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


async def run_summary(engine: AsyncEngine, request: SummaryRequest) -> dict[str, Any]:
    await check_filter_ids(engine, request.filters)
    dimensions = [*request.group_by, *([request.bucket] if request.bucket else [])]
    async with read_only(engine) as conn:
        rows, (statements, actors) = await summary(
            conn, request.filters, dimensions, request.timezone
        )
    since, until = request.filters.since, request.filters.until
    return {
        "group_by": dimensions,
        "timezone": request.timezone,
        "since": None if since is None else iso(since),
        "until": None if until is None else iso(until),
        "groups": [
            {
                **{d: _value(v) for d, v in zip(dimensions, row, strict=False)},
                "statements": row[-2],
                "actors": row[-1],
            }
            for row in rows
        ],
        "totals": {"statements": statements, "actors": actors},
    }
