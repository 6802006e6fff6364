"""Pure rules of the BI data products: KPI rows, week windows, tenure bands and the
small-group suppression that keeps aggregates from naming anyone.

Suppression (README "No one named"): a cell whose group holds fewer distinct learners than
the minimum is suppressed (``min_group_size``). Then, for every line of cells that a coarser
query could total (the cells that share all dimensions but one, and all cells together), the
suppressed cells of the line must be at least two and hold at least the minimum of learners
together; until they do, the smallest visible cell of the line is suppressed too
(``complementary``). A margin minus the visible cells then only ever gives the sum of a group
of at least the minimum, never one small cell.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from lrs.ext.rules.model import check_id
from lrs.fields import fail, json_object, text_field

PERIODS = ("day", "week", "month")
AGGREGATES = ("sum", "mean")
KPI_FIELDS = ("door", "period_start", "period", "metric", "value", "aggregate")
METRIC_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"
_METRIC = re.compile(METRIC_PATTERN)
PRIMARY = "min_group_size"
COMPLEMENTARY = "complementary"


@dataclass(frozen=True)
class Kpi:
    door: str
    period: str
    period_start: date
    metric: str
    value: float
    aggregate: str
    path: str


def _date(value: object, path: str) -> date:
    if not isinstance(value, str):
        fail("must be a date YYYY-MM-DD", path)
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{value!r} is not a date YYYY-MM-DD", path)


def _number(value: object, path: str) -> float:
    if isinstance(value, bool):
        fail("value must be a number", path)
    if isinstance(value, str):
        try:
            value = float(value.replace(",", ".") if value.count(",") == 1 else value)
        except ValueError:
            fail(f"value must be a number, not {value!r}", path)
    if not isinstance(value, int | float) or not math.isfinite(value):
        fail("value must be a finite number", path)
    return float(value)


def _period_start(start: date, period: str, path: str) -> date:
    if period == "week" and start.isoweekday() != 1:
        fail(f"a week starts on a Monday; {start.isoformat()} is not one", path)
    if period == "month" and start.day != 1:
        fail(f"a month starts on its first day, not {start.isoformat()}", path)
    return start


def parse_kpi(value: object, path: str) -> Kpi:
    """One KPI row: door, period (day|week|month) starting on period_start (a Monday for a
    week, the 1st for a month), metric (lower-case name), value, aggregate (sum|mean: how
    daily figures roll up into a week; sum by default)."""
    obj = json_object(value, path, KPI_FIELDS)
    period = text_field(obj, "period", path, required=True)
    if period not in PERIODS:
        fail(f"period must be one of {', '.join(PERIODS)}, not {period!r}", f"{path}.period")
    if obj.get("period_start") is None:
        fail("period_start is required", f"{path}.period_start")
    start = _period_start(
        _date(obj["period_start"], f"{path}.period_start"), period, f"{path}.period_start"
    )
    metric = text_field(obj, "metric", path, required=True) or ""
    if _METRIC.fullmatch(metric) is None:
        fail(f"metric must match {METRIC_PATTERN}, not {metric!r}", f"{path}.metric")
    if obj.get("value") is None:
        fail("value is required", f"{path}.value")
    aggregate = text_field(obj, "aggregate", path, required=False) or "sum"
    if aggregate not in AGGREGATES:
        fail(f"aggregate must be 'sum' or 'mean', not {aggregate!r}", f"{path}.aggregate")
    return Kpi(
        door=check_id(obj.get("door"), f"{path}.door", "door"),
        period=period,
        period_start=start,
        metric=metric,
        value=_number(obj["value"], f"{path}.value"),
        aggregate=aggregate,
        path=path,
    )


@dataclass(frozen=True)
class Window:
    """The ISO weeks whose Monday falls in [start, end] (both dates inclusive)."""

    start: date
    end: date

    @property
    def first_monday(self) -> date:
        return self.start + timedelta(days=(7 - self.start.weekday()) % 7)

    @property
    def until(self) -> date:
        """The exclusive bound on week_start."""
        return self.end + timedelta(days=1)

    @property
    def weeks(self) -> int:
        return max(0, (self.until - self.first_monday + timedelta(days=6)).days // 7)


def parse_window(raw: str, name: str) -> Window:
    """`<start>/<end>`: two dates YYYY-MM-DD; the window holds the weeks starting within."""
    parts = raw.split("/")
    if len(parts) != 2:
        fail(f"{name} must be <start>/<end>, two dates YYYY-MM-DD", f"param:{name}")
    start, end = (_date(p, f"param:{name}") for p in parts)
    window = Window(start, end)
    if window.weeks == 0:
        fail(f"{name} holds no week (no Monday between {start} and {end})", f"param:{name}")
    return window


def tenure_labels(bands: Sequence[int]) -> list[str]:
    """Labels of the buckets PostgreSQL's width_bucket gives for these month limits."""
    limits = list(bands)
    if not limits:
        return ["all"]
    labels = [f"<{limits[0]}"]
    labels += [f"{a}-{b}" for a, b in itertools.pairwise(limits)]
    return [*labels, f">={limits[-1]}"]


def iso_week(week_start: date) -> str:
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"


def _lines(keys: Sequence[tuple[Any, ...]]) -> list[list[int]]:
    """Every set of cells a coarser grouping adds up: all cells, and per dimension the cells
    sharing every other dimension."""
    lines: list[list[int]] = [list(range(len(keys)))] if len(keys) > 1 else []
    width = len(keys[0]) if keys else 0
    for dim in range(width if width > 1 else 0):
        groups: dict[tuple[Any, ...], list[int]] = {}
        for index, key in enumerate(keys):
            groups.setdefault(key[:dim] + key[dim + 1 :], []).append(index)
        lines.extend(members for members in groups.values() if len(members) > 1)
    return lines


def suppress(
    keys: Sequence[tuple[Any, ...]], learners: Sequence[int], minimum: int
) -> list[str | None]:
    """Why each cell is suppressed (None: shown). `keys` are the cells' dimension values.

    The complement of an unsafe line is its smallest visible cell, preferring one that also
    lies in another unsafe line, so that hidden cells pair up across lines (a rectangle)
    instead of spreading over the whole table."""
    reasons: list[str | None] = [PRIMARY if n < minimum else None for n in learners]
    if not any(reasons):
        return reasons
    lines = _lines(keys)
    member_of: dict[int, list[int]] = {i: [] for i in range(len(keys))}
    for number, line in enumerate(lines):
        for index in line:
            member_of[index].append(number)
    hidden = [0] * len(lines)
    hidden_learners = [0] * len(lines)

    def hide(index: int, why: str) -> None:
        reasons[index] = why
        for number in member_of[index]:
            hidden[number] += 1
            hidden_learners[number] += learners[index]

    def unsafe(number: int) -> bool:
        return hidden[number] > 0 and (hidden[number] < 2 or hidden_learners[number] < minimum)

    for index, reason in enumerate(reasons):
        if reason is not None:
            hide(index, reason)
    # First in, first out: the all-cells line first, then each dimension's lines in turn.
    pending = deque(n for n in range(len(lines)) if unsafe(n))
    while pending:
        number = pending.popleft()
        shown = [i for i in lines[number] if reasons[i] is None] if unsafe(number) else []
        if not shown:
            continue

        def rank(i: int, here: int = number) -> tuple[int, int, int]:
            elsewhere = any(unsafe(n) for n in member_of[i] if n != here)
            return (0 if elsewhere else 1, learners[i], i)

        chosen = min(shown, key=rank)
        hide(chosen, COMPLEMENTARY)
        pending.extend(member_of[chosen])
    return reasons


def change(baseline: float | None, period: float | None) -> dict[str, float | None]:
    """Absolute and relative change (relative: None when the baseline is 0 or missing)."""
    if baseline is None or period is None:
        return {"absolute": None, "relative": None}
    absolute = period - baseline
    relative = None if baseline == 0 else absolute / baseline
    return {
        "absolute": round(absolute, 6),
        "relative": None if relative is None else round(relative, 6),
    }


def window_metrics(row: Mapping[str, Any], weeks: int) -> dict[str, float | None]:
    """Per-week figures of one group over a window of `weeks` calendar weeks: person-weeks
    and counts divided by the weeks, the practice rate weighted by weekly headcount."""
    head_weeks = row.get("head_weeks") or 0
    return {
        "headcount": round(head_weeks / weeks, 6),
        "active_learners": round((row.get("active_weeks") or 0) / weeks, 6),
        "practice_rate": (
            round((row.get("practiced_weeks") or 0) / head_weeks, 6) if head_weeks else None
        ),
        "statements": round((row.get("statements") or 0) / weeks, 6),
        "completions": round((row.get("completions") or 0) / weeks, 6),
        "passes": round((row.get("passes") or 0) / weeks, 6),
        "activity_minutes": round((row.get("activity_s") or 0.0) / 60.0 / weeks, 6),
    }
