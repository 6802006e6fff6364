"""Pure rules of the BI data products: KPI rows, windows, tenure labels, suppression."""

from __future__ import annotations

from datetime import date
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrs.errors import BadRequest
from lrs.ext.rules.bi_model import (
    COMPLEMENTARY,
    PRIMARY,
    Window,
    change,
    iso_week,
    parse_kpi,
    parse_window,
    suppress,
    tenure_labels,
    window_metrics,
)


def test_kpi_defaults_and_decimal_comma() -> None:
    kpi = parse_kpi(
        {
            "door": "D1",
            "period_start": "2024-03-04",
            "period": "week",
            "metric": "atv",
            "value": "41,5",
        },
        "$[0]",
    )
    assert (kpi.value, kpi.aggregate, kpi.period_start) == (41.5, "sum", date(2024, 3, 4))


@pytest.mark.parametrize(
    ("change_", "path"),
    [
        ({"value": float("nan")}, "$[0].value"),
        ({"value": True}, "$[0].value"),
        ({"period": "week", "period_start": "2024-03-05"}, "$[0].period_start"),
        ({"period": "month", "period_start": "2024-03-04"}, "$[0].period_start"),
        ({"period_start": "2024-02-30"}, "$[0].period_start"),
        ({"metric": "9lives"}, "$[0].metric"),
        ({"door": "a door"}, "$[0].door"),
        ({"extra": 1}, "$[0].extra"),
    ],
)
def test_kpi_refusals_name_the_field(change_: dict[str, object], path: str) -> None:
    row = {"door": "D1", "period_start": "2024-03-04", "period": "day", "metric": "atv", "value": 1}
    with pytest.raises(BadRequest) as error:
        parse_kpi({**row, **change_}, "$[0]")
    assert error.value.path == path


def test_windows_count_the_mondays_within() -> None:
    assert parse_window("2024-03-04/2024-03-17", "baseline").weeks == 2
    window = Window(date(2024, 3, 5), date(2024, 3, 25))
    assert (window.first_monday, window.weeks, window.until) == (
        date(2024, 3, 11),
        3,
        date(2024, 3, 26),
    )
    for raw in ("2024-03-05/2024-03-10", "2024-03-04", "2024-03-04/later"):
        with pytest.raises(BadRequest):
            parse_window(raw, "period")


def test_labels_and_iso_weeks() -> None:
    assert tenure_labels([3, 12]) == ["<3", "3-12", ">=12"]
    assert tenure_labels([]) == ["all"]
    assert iso_week(date(2024, 12, 30)) == "2025-W01"
    assert change(0.0, 1.0) == {"absolute": 1.0, "relative": None}
    assert change(None, 1.0) == {"absolute": None, "relative": None}
    assert window_metrics({"head_weeks": 0}, 2)["practice_rate"] is None


def test_one_small_cell_takes_a_complement_in_each_line() -> None:
    keys = [("A", "x"), ("A", "y"), ("B", "x"), ("B", "y")]
    reasons = suppress(keys, [1, 9, 8, 7], 5)
    assert reasons == [PRIMARY, COMPLEMENTARY, COMPLEMENTARY, COMPLEMENTARY]
    assert suppress(keys, [5, 9, 8, 7], 5) == [None] * 4


def _safe(keys: list[tuple[int, int]], sizes: list[int], reasons: list[str | None], k: int) -> None:
    lines: list[list[int]] = [list(range(len(keys)))]
    for dim in (0, 1):
        groups: dict[int, list[int]] = {}
        for i, key in enumerate(keys):
            groups.setdefault(key[1 - dim], []).append(i)
        lines += list(groups.values())
    for line in lines:
        hidden = [i for i in line if reasons[i]]
        shown = [i for i in line if not reasons[i]]
        if hidden and shown:
            assert len(hidden) >= 2
            assert sum(sizes[i] for i in hidden) >= k


@given(st.lists(st.integers(min_value=1, max_value=12), min_size=6, max_size=6))
def test_no_line_leaves_a_hidden_cell_recoverable(sizes: list[int]) -> None:
    keys = list(product(range(2), range(3)))
    reasons = suppress(keys, sizes, 5)
    assert all((r == PRIMARY) == (n < 5) for r, n in zip(reasons, sizes, strict=True))
    _safe(keys, sizes, reasons, 5)
