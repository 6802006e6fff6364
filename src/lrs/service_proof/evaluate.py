"""Give every obligation of a case its status: met (on time), late (met after its due
time), missing (due time passed, not met) or open (not yet due).

Everything is judged by statement `timestamp`, so a statement that arrives late still counts
when it happened. The caller passes only statements that count (voided ones left out) and
the case's door schedule; the result depends on nothing else but `now`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from lrs.service_proof.hours import Schedule, add_business, business_between
from lrs.service_proof.rules import DEFAULT_PRIORITY, PRIORITIES, Obligation, Rule, Span

# A recurring obligation yields at most this many occurrences per case (bounded work).
MAX_OCCURRENCES = 200
STATUSES = ("met", "late", "missing", "open")


@dataclass(frozen=True)
class Event:
    """One service-case statement of a case (its registration)."""

    seq: int
    statement_id: str
    verb: str
    timestamp: datetime
    activity_id: str
    priority: str | None = None
    actor_key: str | None = None
    door: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class Outcome:
    obligation: str
    occurrence: int
    verb: str
    status: str
    due: datetime | None
    met_by: Event | None = None
    # Hours past due (in the obligation's clock) when met late, else None.
    late_hours: float | None = None


@dataclass(frozen=True)
class CaseResult:
    rule: str
    registration: str
    trigger: Event
    priority: str
    outcomes: tuple[Outcome, ...]

    @property
    def status(self) -> str:
        """The worst status of its obligations: missing > late > open > met."""
        found = {o.status for o in self.outcomes}
        for status in ("missing", "late", "open"):
            if status in found:
                return status
        return "met"


def _due(schedule: Schedule, start: datetime, span: Span) -> datetime | None:
    if span.clock == "calendar":
        return start + timedelta(hours=span.hours)
    return add_business(schedule, start, span.hours)


def _late_hours(schedule: Schedule, due: datetime, met: datetime, clock: str) -> float:
    gap = met - due if clock == "calendar" else business_between(schedule, due, met)
    return round(gap.total_seconds() / 3600, 4)


def _outcome(
    schedule: Schedule,
    ob: Obligation,
    occurrence: int,
    due: datetime | None,
    meeting: Event | None,
    clock: str,
    now: datetime,
) -> Outcome:
    if meeting is not None and (due is None or meeting.timestamp <= due):
        return Outcome(ob.id, occurrence, ob.verb, "met", due, meeting)
    if meeting is not None and due is not None:
        late = _late_hours(schedule, due, meeting.timestamp, clock)
        return Outcome(ob.id, occurrence, ob.verb, "late", due, meeting, late)
    status = "missing" if due is not None and now > due else "open"
    return Outcome(ob.id, occurrence, ob.verb, status, due)


def _first(events: Sequence[Event], verb: str, after: datetime, strict: bool) -> Event | None:
    for event in events:
        if event.verb == verb and (
            event.timestamp > after or (not strict and event.timestamp == after)
        ):
            return event
    return None


def _once(
    schedule: Schedule,
    ob: Obligation,
    span: Span,
    trigger: Event,
    events: Sequence[Event],
    now: datetime,
) -> list[Outcome]:
    due = _due(schedule, trigger.timestamp, span)
    meeting = _first(events, ob.verb, trigger.timestamp, strict=False)
    return [_outcome(schedule, ob, 1, due, meeting, span.clock, now)]


def _recurring(
    schedule: Schedule,
    ob: Obligation,
    span: Span,
    trigger: Event,
    events: Sequence[Event],
    now: datetime,
) -> list[Outcome]:
    """Each occurrence is due one span after the previous meeting statement (or the trigger,
    or the previous missed due time); the first `until` verb ends the series."""
    stop = next(
        (e.timestamp for e in events if e.verb in ob.until and e.timestamp >= trigger.timestamp),
        None,
    )
    outcomes: list[Outcome] = []
    anchor = trigger.timestamp
    for occurrence in range(1, MAX_OCCURRENCES + 1):
        due = _due(schedule, anchor, span)
        if due is None or (stop is not None and stop <= due):
            break
        meeting = _first(events, ob.verb, anchor, strict=True)
        if meeting is not None and stop is not None and meeting.timestamp > stop:
            meeting = None
        outcome = _outcome(schedule, ob, occurrence, due, meeting, span.clock, now)
        outcomes.append(outcome)
        if outcome.status == "open":
            break
        anchor = meeting.timestamp if meeting is not None else due
    return outcomes


def case_priority(trigger: Event, events: Sequence[Event]) -> str:
    """The trigger's priority, else the first the case states; unknown values are standard."""
    for event in (trigger, *events):
        if event.priority is not None:
            return event.priority if event.priority in PRIORITIES else DEFAULT_PRIORITY
    return DEFAULT_PRIORITY


def find_trigger(rule: Rule, events: Sequence[Event]) -> Event | None:
    prefix = rule.activity_id_prefix
    for event in events:
        if event.verb == rule.trigger_verb and (
            prefix is None or event.activity_id.startswith(prefix)
        ):
            return event
    return None


def evaluate(
    rule: Rule, registration: str, events: Sequence[Event], schedule: Schedule, now: datetime
) -> CaseResult | None:
    """The case of `rule` among `events` (all counting statements of one registration), or
    None when none of them opens a case of this rule. The earliest trigger opens the case."""
    ordered = sorted(events, key=lambda e: (e.timestamp, e.seq))
    trigger = find_trigger(rule, ordered)
    if trigger is None:
        return None
    priority = case_priority(trigger, ordered)
    outcomes: list[Outcome] = []
    for ob in rule.obligations:
        if not ob.applies_to(priority):
            continue
        span = ob.span_for(priority)
        judge = _recurring if ob.recurring else _once
        outcomes.extend(judge(schedule, ob, span, trigger, ordered, now))
    return CaseResult(rule.id, registration, trigger, priority, tuple(outcomes))
