"""Service proof use cases: rules, the ingest hook, cases, the weekly review, recompute.

Evaluation is a pure function of the indexed statements that still count, the door
registry, the rules and the clock: it runs when cases or a review are read (off the event
loop), so a voiding statement, a re-tag or a late-arriving statement shows at once, and the
stored state (the index) is all that `recompute` rebuilds.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lrs.errors import BadRequest, NotFound
from lrs.ext.rules.model import check_id
from lrs.service_proof.evaluate import STATUSES, CaseResult, Event, evaluate, find_trigger
from lrs.service_proof.hours import Schedule, parse_opening_hours
from lrs.service_proof.page import render_page
from lrs.service_proof.review import (
    ReviewCase,
    build_review,
    iso,
    parse_week,
    review_csv,
    week_window,
)
from lrs.service_proof.rules import PRIORITY_IRI, SERVICE_CASE, Rule, parse_rule
from lrs.services.statements import SelectiveHook
from lrs.storage import service_proof as repo
from lrs.storage.database import REPORT_TIMEOUT_MS, read_only, transaction
from lrs.storage.statements import NewStatement
from lrs.xapi.validate import query_values
from lrs.xapi.validate.params import parse_timestamp_param

CASE_PARAMS = ("rule", "door", "status", "since", "until", "limit")
REPORT_PARAMS = ("week", "door", "format")
REPORT_MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
DEFAULT_DAYS = 30
MAX_DAYS = 400
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10000


# ---- the ingest hook -------------------------------------------------------------------


def index_row(row: NewStatement, seq: int) -> repo.IndexRow | None:
    """The index entry of a service-case statement (the selection `rebuild_index` repeats
    in SQL), or None for any other statement: a few dict look-ups per statement."""
    if row.registration is None:
        return None
    obj = row.payload.get("object")
    if not isinstance(obj, Mapping) or obj.get("objectType", "Activity") != "Activity":
        return None
    definition = obj.get("definition")
    if not isinstance(definition, Mapping) or definition.get("type") != SERVICE_CASE:
        return None
    context = row.payload.get("context")
    extensions = context.get("extensions") if isinstance(context, Mapping) else None
    priority = extensions.get(PRIORITY_IRI) if isinstance(extensions, Mapping) else None
    return repo.IndexRow(
        seq=seq,
        registration=row.registration,
        verb_id=row.verb_id,
        timestamp=row.timestamp,
        activity_id=str(obj.get("id")),
        priority=priority if isinstance(priority, str) else None,
    )


class ServiceProofHook(SelectiveHook):
    """Indexes the service-case statements of a stored batch inside its transaction, in one
    command (none when the batch holds no such statement)."""

    def applies_to(self, rows: Sequence[NewStatement]) -> bool:
        return any(index_row(row, 0) is not None for row in rows)

    async def __call__(
        self, conn: AsyncConnection, stored: Sequence[NewStatement], seqs: Mapping[str, int]
    ) -> None:
        rows = [
            entry
            for row in stored
            if row.id in seqs and (entry := index_row(row, seqs[row.id])) is not None
        ]
        await repo.index_events(conn, rows)


async def recompute(engine: AsyncEngine) -> int:
    """Rebuild the index from every stored statement (what the hook would have written)."""
    async with transaction(engine) as conn:
        return await repo.rebuild_index(conn)


async def index_snapshot(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with read_only(engine) as conn:
        return await repo.index_rows(conn)


# ---- rules -------------------------------------------------------------------------------


def _rule_json(rule_id: str, body: Mapping[str, Any], updated: datetime) -> dict[str, Any]:
    return {**body, "id": rule_id, "updated": iso(updated)}


async def put_rule(engine: AsyncEngine, rule_id: str, body: object) -> dict[str, Any]:
    check_id(rule_id, "param:id", "rule")
    parse_rule(body, rule_id)
    # parse_rule refused anything but a JSON object.
    stored = {k: v for k, v in cast(dict[str, Any], body).items() if k != "id"}
    async with transaction(engine) as conn:
        updated = await repo.put_rule(conn, rule_id, stored)
    return _rule_json(rule_id, stored, updated)


async def get_rule(engine: AsyncEngine, rule_id: str) -> dict[str, Any]:
    async with read_only(engine) as conn:
        found = await repo.get_rule(conn, rule_id)
    if found is None:
        raise NotFound(f"no service-proof rule with id {rule_id!r}")
    return _rule_json(rule_id, found[0], found[1])


async def list_rules(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with read_only(engine) as conn:
        rows = await repo.list_rules(conn)
    return [_rule_json(ident, body, updated) for ident, body, updated in rows]


async def delete_rule(engine: AsyncEngine, rule_id: str) -> None:
    async with transaction(engine) as conn:
        if not await repo.delete_rule(conn, rule_id):
            raise NotFound(f"no service-proof rule with id {rule_id!r}")


# ---- evaluation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    rules: list[Rule]
    doors: dict[str, Schedule]
    rows: list[tuple[Any, ...]]


def _schedule(door: repo.DoorHours) -> Schedule:
    week = parse_opening_hours(door.opening_hours) if door.opening_hours else None
    return Schedule(door.timezone, week, door.holidays_country, door.holidays_region)


async def _load(
    conn: AsyncConnection, rule_id: str | None, since: datetime, until: datetime
) -> Loaded:
    stored = await repo.list_rules(conn)
    if rule_id is not None and rule_id not in {r[0] for r in stored}:
        raise NotFound(f"no service-proof rule with id {rule_id!r}")
    rules = [parse_rule(body, ident) for ident, body, _ in stored if rule_id in (None, ident)]
    doors = {d.id: _schedule(d) for d in await repo.door_hours(conn)}
    rows = (
        await repo.case_events(conn, [r.trigger_verb for r in rules], since, until) if rules else []
    )
    return Loaded(rules, doors, rows)


def _judge(loaded: Loaded, since: datetime, until: datetime, now: datetime) -> list[ReviewCase]:
    """Evaluate every case of every rule (pure and CPU-bound: run in a thread)."""
    cases: dict[str, list[Event]] = defaultdict(list)
    for reg, seq, sid, verb, ts, activity, priority, actor, door, role in loaded.rows:
        cases[reg].append(Event(seq, sid, verb, ts, activity, priority, actor, door, role))
    out: list[ReviewCase] = []
    for reg, events in cases.items():
        events.sort(key=lambda e: (e.timestamp, e.seq))
        for rule in loaded.rules:
            trigger = find_trigger(rule, events)
            if trigger is None or not since <= trigger.timestamp < until:
                continue
            schedule = loaded.doors.get(trigger.door or "", Schedule())
            result = evaluate(rule, reg, events, schedule, now)
            if result is not None:
                out.append(
                    ReviewCase(
                        result, trigger.door, trigger.role, schedule.timezone, trigger.actor_key
                    )
                )
    out.sort(key=lambda c: (c.result.trigger.timestamp, c.result.registration, c.result.rule))
    return out


async def _evaluate(
    engine: AsyncEngine, rule_id: str | None, since: datetime, until: datetime
) -> list[ReviewCase]:
    # The weekly review reads every case of a week, across doors: a report's time bound.
    async with read_only(engine, timeout_ms=REPORT_TIMEOUT_MS) as conn:
        loaded = await _load(conn, rule_id, since, until)
    return await asyncio.to_thread(_judge, loaded, since, until, datetime.now(UTC))


def _outcome_json(case: ReviewCase) -> list[dict[str, Any]]:
    return [
        {
            "obligation": o.obligation,
            "occurrence": o.occurrence,
            "verb": o.verb,
            "status": o.status,
            "due": iso(o.due),
            "met_at": iso(o.met_by.timestamp) if o.met_by else None,
            "statement": o.met_by.statement_id if o.met_by else None,
            "late_hours": o.late_hours,
        }
        for o in case.result.outcomes
    ]


def case_json(case: ReviewCase) -> dict[str, Any]:
    result: CaseResult = case.result
    return {
        "rule": result.rule,
        "case": result.registration,
        "activity": result.trigger.activity_id,
        "door": case.door,
        "role": case.role,
        "priority": result.priority,
        "opened": iso(result.trigger.timestamp),
        "opened_by": result.trigger.statement_id,
        "actor": case.actor,
        "status": result.status,
        "obligations": _outcome_json(case),
    }


@dataclass(frozen=True)
class CaseQuery:
    rule: str | None
    door: str | None
    status: str | None
    since: datetime
    until: datetime
    limit: int


def parse_case_query(items: Sequence[tuple[str, str]], now: datetime) -> CaseQuery:
    values = query_values(items, CASE_PARAMS)
    until = parse_timestamp_param(values["until"], name="until") if "until" in values else now
    since = (
        parse_timestamp_param(values["since"], name="since")
        if "since" in values
        else until - timedelta(days=DEFAULT_DAYS)
    )
    if not since < until or until - since > timedelta(days=MAX_DAYS):
        raise BadRequest(
            f"since must be before until, at most {MAX_DAYS} days apart", path="param:since"
        )
    status = values.get("status")
    if status is not None and status not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}", path="param:status")
    raw_limit = values.get("limit", str(DEFAULT_LIMIT))
    if not raw_limit.isdigit() or not 0 < int(raw_limit) <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer from 1 to {MAX_LIMIT}", path="param:limit")
    rule = values.get("rule")
    door = values.get("door")
    return CaseQuery(
        rule=None if rule is None else check_id(rule, "param:rule", "rule"),
        door=None if door is None else check_id(door, "param:door", "door"),
        status=status,
        since=since,
        until=until,
        limit=int(raw_limit),
    )


async def list_cases(engine: AsyncEngine, items: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The cases opened in [since, until) (by trigger timestamp), evaluated now."""
    query = parse_case_query(items, datetime.now(UTC))
    cases = await _evaluate(engine, query.rule, query.since, query.until)
    chosen = [
        c
        for c in cases
        if (query.door is None or c.door == query.door)
        and (query.status is None or c.result.status == query.status)
    ]
    return {
        "cases": [case_json(c) for c in chosen[: query.limit]],
        "truncated": len(chosen) > query.limit,
    }


async def report(engine: AsyncEngine, items: Sequence[tuple[str, str]]) -> tuple[Any, str]:
    """The weekly review as (JSON object or text, media type)."""
    values = query_values(items, REPORT_PARAMS, required=("week",))
    fmt = values.get("format", "json")
    if fmt not in REPORT_MEDIA:
        raise BadRequest("format must be json, csv or html", path="param:format")
    door = values.get("door")
    if door is not None:
        check_id(door, "param:door", "door")
    monday = parse_week(values["week"])
    since, until = week_window(monday)
    cases = await _evaluate(engine, None, since, until)
    if door is not None:
        cases = [c for c in cases if c.door == door]
    return await asyncio.to_thread(_render, values["week"], monday, cases, fmt)


def _render(week: str, monday: date, cases: list[ReviewCase], fmt: str) -> tuple[Any, str]:
    review = build_review(week, monday, cases, datetime.now(UTC))
    if fmt == "csv":
        return review_csv(review, cases, monday), REPORT_MEDIA[fmt]
    if fmt == "html":
        return render_page(review), REPORT_MEDIA[fmt]
    return review, REPORT_MEDIA[fmt]
