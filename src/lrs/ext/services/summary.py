"""Dashboard summary: statements and distinct actors per door, role, verb, activity, day or
week over a range ("who practiced what this week, per door and role").

Distinct actors are counted on the actor's IFI key, so an actor seen in several groups counts
once in the totals (the totals are not the sum of the groups). Without ``ext/bi/identities``,
groups of fewer actors than LRS_MIN_GROUP_SIZE are suppressed (`lrs.ext.rules.bi_model.suppress`),
and so are the totals whenever a group is, so that no suppressed cell can be recomputed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.ext.rules.bi_model import suppress
from lrs.ext.rules.columns import iso
from lrs.ext.rules.filters import SUMMARY_PARAMS, SummaryRequest, parse_summary
from lrs.ext.services.known import check_filter_ids
from lrs.ext.storage.query import summary
from lrs.storage.database import read_only
from lrs.xapi.validate import query_values


def parse_summary_params(items: Sequence[tuple[str, str]]) -> SummaryRequest:
    return parse_summary(query_values(items, SUMMARY_PARAMS))


def _value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _group(dimensions: Sequence[str], row: tuple[Any, ...], reason: str | None) -> dict[str, Any]:
    shown = reason is None
    return {
        **{d: _value(v) for d, v in zip(dimensions, row, strict=False)},
        "statements": row[-2] if shown else None,
        "actors": row[-1] if shown else None,
        "suppressed": reason,
    }


async def run_summary(
    engine: AsyncEngine, request: SummaryRequest, *, suppressed: int | None = None
) -> dict[str, Any]:
    """`suppressed`: the minimum group size to apply; None for ext/bi/identities holders."""
    await check_filter_ids(engine, request.filters)
    dimensions = [*request.group_by, *([request.bucket] if request.bucket else [])]
    async with read_only(engine) as conn:
        rows, (statements, actors) = await summary(
            conn, request.filters, dimensions, request.timezone
        )
    since, until = request.filters.since, request.filters.until
    reasons: list[str | None] = [None] * len(rows)
    if suppressed is not None:
        reasons = await asyncio.to_thread(
            suppress, [r[: len(dimensions)] for r in rows], [r[-1] for r in rows], suppressed
        )
    return {
        "group_by": dimensions,
        "timezone": request.timezone,
        "since": None if since is None else iso(since),
        "until": None if until is None else iso(until),
        "groups": [_group(dimensions, row, why) for row, why in zip(rows, reasons, strict=True)],
        "totals": (
            {"statements": None, "actors": None}
            if any(reasons)
            else {"statements": statements, "actors": actors}
        ),
        # Why the totals are null: a total minus the shown groups would give the hidden ones.
        "totals_suppressed": "complementary" if any(reasons) else None,
        "min_group_size": suppressed,
    }
