"""Obligation statuses: met, late, missing, open; tiers, conditions, recurring series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lrs.service_proof.evaluate import Event, evaluate
from lrs.service_proof.hours import Schedule, parse_opening_hours
from lrs.service_proof.rules import parse_rule
from tests.unit.service_proof.test_rules import V, example

RULE = parse_rule(example("delivery-delay.json"), "dd")
CASE = "https://boutique.example.com/cases/delivery-delay/1"
T0 = datetime(2026, 1, 12, 9, tzinfo=UTC)  # Monday
ALWAYS = Schedule()


def ev(verb: str, hours: float, seq: int = 0, priority: str | None = None) -> Event:
    return Event(seq, f"s{seq}", V + verb, T0 + timedelta(hours=hours), CASE, priority)


def statuses(
    events: list[Event], now_hours: float, schedule: Schedule = ALWAYS
) -> list[tuple[str, int, str]]:
    result = evaluate(RULE, "r", events, schedule, T0 + timedelta(hours=now_hours))
    assert result is not None
    return [(o.obligation, o.occurrence, o.status) for o in result.outcomes]


def test_no_trigger_no_case() -> None:
    assert evaluate(RULE, "r", [ev("contacted", 1)], ALWAYS, T0) is None


def test_other_activity_prefix_is_not_this_rule() -> None:
    other = Event(1, "s", V + "opened", T0, "https://boutique.example.com/cases/repair/1")
    assert evaluate(RULE, "r", [other], ALWAYS, T0) is None


def test_standard_tier_met_and_open_update() -> None:
    got = statuses([ev("opened", 0, 1), ev("contacted", 20, 2)], now_hours=30)
    assert got == [("first-contact", 1, "met"), ("update", 1, "open")]


def test_vip_tier_late_and_escalation_missing() -> None:
    events = [ev("opened", 0, 1, "vip"), ev("contacted", 6, 2)]
    result = evaluate(RULE, "r", events, ALWAYS, T0 + timedelta(hours=10))
    assert result is not None
    first = result.outcomes[0]
    assert (first.status, first.late_hours, first.due) == ("late", 2.0, T0 + timedelta(hours=4))
    assert first.met_by is not None
    assert first.met_by.statement_id == "s2"
    assert ("vip-escalation", 1, "missing") in statuses(events, 10)
    assert result.priority == "vip"
    assert result.status == "missing"


def test_time_sensitive_has_vip_deadline_but_no_escalation() -> None:
    got = statuses([ev("opened", 0, 1, "time-sensitive")], now_hours=5)
    assert got == [("first-contact", 1, "missing"), ("update", 1, "open")]


def test_priority_from_a_later_event_and_unknown_values() -> None:
    assert ("vip-escalation", 1, "open") in statuses(
        [ev("opened", 0, 1), ev("updated", 0.1, 2, "vip")], 0.5
    )
    got = statuses([ev("opened", 0, 1, "gold")], 0.5)
    assert got[0] == ("first-contact", 1, "open")
    assert len(got) == 2  # standard: no escalation


def test_recurring_series_until_confirmed() -> None:
    events = [
        ev("opened", 0, 1),
        ev("contacted", 1, 2),
        ev("updated", 40, 3),  # due 48: met
        ev("updated", 100, 4),  # due 88: late by 12
        ev("confirmed", 120, 5),  # before due 148: series ends
    ]
    result = evaluate(RULE, "r", events, ALWAYS, T0 + timedelta(hours=500))
    assert result is not None
    updates = [o for o in result.outcomes if o.obligation == "update"]
    assert [(o.occurrence, o.status, o.late_hours) for o in updates] == [
        (1, "met", None),
        (2, "late", 12.0),
    ]


def test_recurring_missing_then_open() -> None:
    got = statuses([ev("opened", 0, 1), ev("contacted", 1, 2)], now_hours=100)
    assert got[1:] == [("update", 1, "missing"), ("update", 2, "missing"), ("update", 3, "open")]


def test_updates_after_until_do_not_count() -> None:
    got = statuses(
        [ev("opened", 0, 1), ev("contacted", 1, 2), ev("confirmed", 50, 3), ev("updated", 60, 4)],
        now_hours=200,
    )
    assert got[1:] == [("update", 1, "missing")]


def test_late_arrival_order_does_not_matter() -> None:
    events = [ev("contacted", 3, 2), ev("opened", 0, 1, "vip"), ev("escalated", 0.5, 3)]
    assert statuses(events, 10)[0] == ("first-contact", 1, "met")
    assert ("vip-escalation", 1, "met") in statuses(events, 10)


def test_business_clock_lateness() -> None:
    paris = Schedule("Europe/Paris", parse_opening_hours("mon-fri 09:00-18:00"))
    # Opened Friday 17:00 Paris (16:00 UTC), standard: 24 business hours
    # = 1 h Friday + 9 Monday + 9 Tuesday + 5 Wednesday -> Wednesday 14:00 Paris.
    friday = datetime(2026, 1, 16, 16, tzinfo=UTC)
    events = [
        Event(1, "s1", V + "opened", friday, CASE),
        Event(2, "s2", V + "contacted", datetime(2026, 1, 22, 9, tzinfo=UTC), CASE),
    ]
    result = evaluate(RULE, "r", events, paris, friday + timedelta(days=30))
    assert result is not None
    first = result.outcomes[0]
    assert first.due == datetime(2026, 1, 21, 13, tzinfo=UTC)
    # Met Thursday 10:00 Paris: 4 h Wednesday + 1 h Thursday late.
    assert (first.status, first.late_hours) == ("late", 5.0)
