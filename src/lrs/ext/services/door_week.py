"""Door-week facts and the pre/post comparison, with small groups suppressed for credentials
without ``ext/bi/identities`` (rules in `lrs.ext.rules.bi_model`).

A door-week row per door, role and ISO week (in the door's timezone) that has a headcount or
activity: weeks with people but no practice are rows of zeros. Each uploaded KPI of the door
and week (weekly rows as they are, daily rows summed or averaged) follows as ``kpi_<metric>``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.errors import BadRequest
from lrs.ext.rules.bi_model import Window, change, iso_week, parse_window, suppress, tenure_labels
from lrs.ext.rules.bi_model import window_metrics as per_week
from lrs.ext.rules.filters import Filters
from lrs.ext.rules.model import check_id
from lrs.ext.services.export import ExportRequest, check_slot, open_export, render
from lrs.ext.services.known import check_filter_ids
from lrs.ext.storage import bi as repo
from lrs.storage.database import REPORT_TIMEOUT_MS, read_only
from lrs.xapi.validate import query_values

DOOR_WEEK_COLUMNS = (
    "door",
    "role",
    "week",
    "week_start",
    "headcount",
    "active_learners",
    "practice_rate",
    "statements",
    "completions",
    "passes",
    "activity_minutes",
)
_MEASURES = DOOR_WEEK_COLUMNS[4:]
COMPARE_PARAMS = ("baseline", "period", "group_by", "door", "role")
GROUPS = ("door", "role", "tenure")


@dataclass(frozen=True)
class DoorWeekTable:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def _measures(row: dict[str, Any]) -> tuple[Any, ...]:
    headcount = row["headcount"]
    return (
        headcount,
        row["active_learners"],
        round(row["practiced"] / headcount, 4) if headcount else None,
        row["statements"],
        row["completions"],
        row["passes"],
        round((row["activity_s"] or 0.0) / 60.0, 2),
    )


async def door_week_table(
    engine: AsyncEngine, weeks: tuple[date, date], filters: Filters, *, suppressed: int | None
) -> DoorWeekTable:
    """The door-week rows over weeks starting in [since, until); `suppressed` is the minimum
    group size to apply, None for a credential that may see every group."""
    await check_filter_ids(engine, filters)
    async with read_only(engine, timeout_ms=REPORT_TIMEOUT_MS) as conn:
        facts = await repo.door_week(conn, weeks[0], weeks[1], filters.door, filters.role)
        kpis = await repo.weekly_kpis(conn, weeks[0], weeks[1], filters.door)
    metrics = sorted({metric for _, _, metric, _ in kpis})
    by_week = {(door, week, metric): value for door, week, metric, value in kpis}
    keys = [(f["door"], f["role"], f["week_start"]) for f in facts]
    reasons: list[str | None] = [None] * len(facts)
    if suppressed is not None:
        reasons = await asyncio.to_thread(
            suppress, keys, [f["learners"] for f in facts], suppressed
        )
    rows = []
    for fact, reason in zip(facts, reasons, strict=True):
        door, week = fact["door"], fact["week_start"]
        measures = _measures(fact) if reason is None else (None,) * len(_MEASURES)
        figures = tuple(by_week.get((door, week, m)) for m in metrics)
        rows.append((door, fact["role"], iso_week(week), week, *measures, *figures, reason))
    columns = (*DOOR_WEEK_COLUMNS, *(f"kpi_{m}" for m in metrics), "suppressed")
    return DoorWeekTable(columns, rows)


@dataclass(frozen=True)
class CompareRequest:
    baseline: Window
    period: Window
    group_by: tuple[str, ...]
    door: str | None
    role: str | None


def parse_compare(items: Sequence[tuple[str, str]]) -> CompareRequest:
    """baseline and period: `<start>/<end>` dates (the weeks whose Monday falls within);
    group_by: door, role and/or tenure (default door,role); door and role filters."""
    values = query_values(items, COMPARE_PARAMS, ("baseline", "period"))
    baseline = parse_window(values["baseline"], "baseline")
    period = parse_window(values["period"], "period")
    if baseline.first_monday < period.until and period.first_monday < baseline.until:
        raise BadRequest("baseline and period must not share a week", path="param:period")
    names = [n.strip() for n in values.get("group_by", "door,role").split(",") if n.strip()]
    for name in names:
        if name not in GROUPS:
            raise BadRequest(
                f"cannot group by {name!r}; choose among door, role, tenure", path="param:group_by"
            )
    if len(set(names)) != len(names):
        raise BadRequest("a group is named twice", path="param:group_by")
    door, role = values.get("door"), values.get("role")
    return CompareRequest(
        baseline,
        period,
        tuple(n for n in GROUPS if n in names),
        None if door is None else check_id(door, "param:door", "door"),
        None if role is None else check_id(role, "param:role", "role"),
    )


def _window_json(window: Window) -> dict[str, Any]:
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "weeks": window.weeks,
        "first_week": iso_week(window.first_monday),
    }


def _kpi_means(
    kpis: list[tuple[str, date, str, float]], door: str, window: tuple[date, date]
) -> dict[str, float | None]:
    """The mean of the door's weekly KPI figures over the window's weeks that have one."""
    values: dict[str, list[float]] = {}
    for kpi_door, week, metric, value in kpis:
        if kpi_door == door and window[0] <= week < window[1]:
            values.setdefault(f"kpi_{metric}", []).append(value)
    return {name: round(sum(v) / len(v), 6) for name, v in sorted(values.items())}


def _group_of(row: dict[str, Any], request: CompareRequest, labels: list[str]) -> tuple[Any, ...]:
    out: list[Any] = []
    for name in request.group_by:
        value = row[name]
        out.append(labels[value] if name == "tenure" and value is not None else value)
    return tuple(out)


async def compare(
    engine: AsyncEngine, request: CompareRequest, bands: Sequence[int], *, suppressed: int | None
) -> dict[str, Any]:
    """Per group: per-week figures in each window, and their absolute and relative change."""
    await check_filter_ids(engine, Filters(door=request.door, role=request.role))
    windows = (
        (request.baseline.first_monday, request.baseline.until),
        (request.period.first_monday, request.period.until),
    )
    async with read_only(engine, timeout_ms=REPORT_TIMEOUT_MS) as conn:
        rows = await repo.compare(
            conn, request.group_by, windows, bands=bands, door=request.door, role=request.role
        )
        kpis = [
            await repo.weekly_kpis(conn, since, until, request.door)
            if "door" in request.group_by
            else []
            for since, until in windows
        ]
    labels = tenure_labels(bands)
    groups: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(_group_of(row, request, labels), {})[row["win"]] = row
    keys = list(groups)
    sizes = [min(r["learners"] for r in groups[k].values()) for k in keys]
    reasons: list[str | None] = [None] * len(keys)
    if suppressed is not None:
        reasons = await asyncio.to_thread(suppress, keys, sizes, suppressed)
    out = []
    for key, reason in zip(keys, reasons, strict=True):
        item: dict[str, Any] = dict(zip(request.group_by, key, strict=True))
        item["suppressed"] = reason
        if reason is None:
            before = per_week(groups[key].get("baseline", {}), request.baseline.weeks)
            after = per_week(groups[key].get("period", {}), request.period.weeks)
            if "door" in request.group_by:
                before.update(_kpi_means(kpis[0], item["door"], windows[0]))
                after.update(_kpi_means(kpis[1], item["door"], windows[1]))
            item.update(
                baseline=before,
                period=after,
                change={m: change(before.get(m), after.get(m)) for m in {**before, **after}},
            )
        else:
            item.update(baseline=None, period=None, change=None)
        out.append(item)
    return {
        "baseline": _window_json(request.baseline),
        "period": _window_json(request.period),
        "group_by": list(request.group_by),
        "min_group_size": suppressed,
        "groups": out,
    }


async def _in_batches(
    rows: list[tuple[Any, ...]], size: int = 2000
) -> AsyncIterator[Sequence[Sequence[object]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def open_dataset(
    engine: AsyncEngine, request: ExportRequest, *, suppressed: int | None, max_running: int
) -> AsyncGenerator[bytes, None]:
    """Any export dataset as body chunks; door_week is computed first (one row per door,
    role and week: bounded by the registry and the weeks, not by the statements)."""
    if request.dataset != "door_week":
        return await open_export(engine, request, max_running=max_running)
    check_slot(engine, max_running)
    table = await door_week_table(engine, request.weeks, request.filters, suppressed=suppressed)
    return render(table.columns, _in_batches(table.rows), request.format)
