"""The dashboard's week window, its weeks parameter and per-week totals."""

from __future__ import annotations

from datetime import date

import pytest

from lrs.console.dashboard import DEFAULT_WEEKS, MAX_WEEKS, parse_weeks, week_range, weekly_totals


def test_week_range_ends_after_this_week() -> None:
    # Thursday 26 November 2026: this week starts Monday the 23rd.
    assert week_range(1, date(2026, 11, 26)) == (date(2026, 11, 23), date(2026, 11, 30))
    assert week_range(8, date(2026, 11, 23)) == (date(2026, 10, 5), date(2026, 11, 30))


@pytest.mark.parametrize(
    ("raw", "weeks"),
    [
        ("4", 4),
        ("", DEFAULT_WEEKS),
        ("0", DEFAULT_WEEKS),
        ("-3", DEFAULT_WEEKS),
        ("x", DEFAULT_WEEKS),
        ("99", MAX_WEEKS),
    ],
)
def test_parse_weeks(raw: str, weeks: int) -> None:
    assert parse_weeks(raw) == weeks


def test_weekly_totals_skip_suppressed_figures() -> None:
    columns = ("door", "week", "active_learners")
    rows = [("PAR", "2026-W02", 4), ("NYC", "2026-W02", None), ("PAR", "2026-W01", 3)]
    assert weekly_totals(columns, rows, "active_learners") == [("2026-W01", 3.0), ("2026-W02", 4.0)]
