"""The dashboard's pure rules: which weeks to show, and the per-week totals its chart draws
from the door-week table (suppressed rows count for nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from lrs.ext.services.door_week import DoorWeekTable

MAX_WEEKS = 52
DEFAULT_WEEKS = 8


def week_range(weeks: int, today: date) -> tuple[date, date]:
    """[the Monday `weeks - 1` weeks before this one, next Monday)."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=weeks - 1), monday + timedelta(weeks=1)


def parse_weeks(raw: str) -> int:
    """1..52 from a form field; anything else: the default."""
    return min(int(raw), MAX_WEEKS) if raw.isdigit() and int(raw) > 0 else DEFAULT_WEEKS


def weekly_totals(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], measure: str
) -> list[tuple[str, float]]:
    """(ISO week, the sum of `measure` over its shown rows), in week order."""
    at_week, at_measure = columns.index("week"), columns.index(measure)
    totals: dict[str, float] = {}
    for row in rows:
        value = row[at_measure]
        totals[row[at_week]] = totals.get(row[at_week], 0.0) + (value or 0.0)
    return sorted(totals.items())


def in_doors(table: DoorWeekTable, doors: set[str]) -> DoorWeekTable:
    """The rows of `table` whose door is one of `doors` (a region's)."""
    at = table.columns.index("door")
    return DoorWeekTable(table.columns, [row for row in table.rows if row[at] in doors])
