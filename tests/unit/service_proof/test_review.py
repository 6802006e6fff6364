"""The weekly review: week parsing, door-timezone weeks, shares, delays, CSV safety."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lrs.errors import BadRequest
from lrs.service_proof.evaluate import Event, evaluate
from lrs.service_proof.hours import Schedule
from lrs.service_proof.page import render_page
from lrs.service_proof.review import (
    ReviewCase,
    build_review,
    in_week,
    parse_week,
    review_csv,
    safe_cell,
)
from lrs.service_proof.rules import parse_rule
from tests.unit.service_proof.test_rules import V, example

RULE = parse_rule(example("delivery-delay.json"), "dd")
CASE = "https://boutique.example.com/cases/delivery-delay/"
MONDAY = date(2026, 1, 12)


def case(
    reg: str, opened: datetime, contact_after: float | None, door: str, role: str
) -> ReviewCase:
    events = [Event(1, f"{reg}-o", V + "opened", opened, CASE + reg)]
    if contact_after is not None:
        events.append(
            Event(2, f"{reg}-c", V + "contacted", opened + timedelta(hours=contact_after), CASE)
        )
    result = evaluate(RULE, reg, events, Schedule(), opened + timedelta(hours=30))
    assert result is not None
    return ReviewCase(result, door, role, "Europe/Paris", "=cmd|pseudonym")


def test_parse_week() -> None:
    assert parse_week("2026-W03") == MONDAY
    for bad in ("2026-3", "2026-W54", "x"):
        with pytest.raises(BadRequest) as caught:
            parse_week(bad)
        assert caught.value.path == "param:week"


def test_week_is_local_to_the_door() -> None:
    sunday_night_utc = datetime(2026, 1, 18, 23, 30, tzinfo=UTC)  # Monday 00:30 in Paris
    assert not in_week(sunday_night_utc, "Europe/Paris", MONDAY)
    assert in_week(sunday_night_utc, "America/New_York", MONDAY)


def test_review_numbers() -> None:
    t = datetime(2026, 1, 13, 9, tzinfo=UTC)
    cases = [
        case("a", t, 2, "PAR", "advisor"),
        case("b", t, 30, "PAR", "advisor"),
        case("c", t, None, "PAR", "cashier"),
        case("d", datetime(2026, 1, 30, tzinfo=UTC), 1, "PAR", "advisor"),  # other week
    ]
    review = build_review("2026-W03", MONDAY, cases, t)
    (door,) = review["doors"]
    assert door["door"] == "PAR"
    assert door["cases"] == 3
    advisor = door["teams"][0]
    first = advisor["obligations"][0]
    assert first["obligation"] == "dd/first-contact"
    assert (first["met"], first["late"], first["on_time_share"]) == (1, 1, 0.5)
    assert (first["median_delay_hours"], first["worst_delay_hours"]) == (3.0, 6.0)
    assert [(e["case"], e["status"]) for e in door["exceptions"]][:2] == [
        ("b", "late"),
        ("c", "missing"),
    ]
    assert door["pattern"]["obligation"] == "dd/first-contact"
    assert door["exceptions"][0]["actor"] == "=cmd|pseudonym"

    text = review_csv(review, cases, MONDAY)
    lines = text.splitlines()
    assert lines[0].startswith("week,door,role,rule,case")
    assert "'=cmd|pseudonym" in text
    assert len(lines) == 1 + 3 * 2  # 3 cases of the week, 2 obligations each

    page = render_page(review)
    assert "Door PAR" in page
    assert "&#39;" not in page
    assert "=cmd|pseudonym"[:10] in page
    assert "http" not in page.split("<body>")[0]  # no external resources


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_safe_cell_neutralises_formulas(text: str) -> None:
    assert safe_cell(text) == "'" + text


def test_safe_cell_leaves_plain_values() -> None:
    assert safe_cell("PAR") == "PAR"
    assert safe_cell(None) == ""
    assert safe_cell(2.5) == "2.5"
