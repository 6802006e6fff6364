"""The weekly exception review: per door and team (role), how each obligation was kept.

A case belongs to the ISO week in which its trigger happened, in its door's timezone.
Delays are hours past due in the obligation's clock over the obligations met (on time: 0);
missing ones are counted and listed, not averaged. Actors appear only as pseudonyms.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from lrs.errors import BadRequest
from lrs.service_proof.evaluate import CaseResult, Outcome

_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
CSV_COLUMNS = (
    "week",
    "door",
    "role",
    "rule",
    "case",
    "priority",
    "opened",
    "actor",
    "obligation",
    "occurrence",
    "status",
    "due",
    "met_at",
    "late_hours",
    "statement_id",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ReviewCase:
    result: CaseResult
    door: str | None
    role: str | None
    timezone: str
    # Pseudonym of the actor who opened the case.
    actor: str | None


def parse_week(value: str) -> date:
    """The Monday of an ISO week written YYYY-Www."""
    match = _WEEK.fullmatch(value)
    if match is None:
        raise BadRequest("week must be an ISO week such as 2026-W05", path="param:week")
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise BadRequest(f"{value!r} is not a week of that year", path="param:week") from None


def week_window(monday: date) -> tuple[datetime, datetime]:
    """UTC bounds wide enough for the week in every timezone (UTC-12 to UTC+14)."""
    start = datetime.combine(monday, time(0), tzinfo=UTC)
    return start - timedelta(hours=14), start + timedelta(days=7, hours=12)


def in_week(moment: datetime, timezone: str, monday: date) -> bool:
    local = moment.astimezone(zoneinfo.ZoneInfo(timezone)).date()
    return monday <= local < monday + timedelta(days=7)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _judged(outcomes: Sequence[Outcome]) -> list[float]:
    return [o.late_hours or 0.0 for o in outcomes if o.status in ("met", "late")]


def _obligation_stats(name: str, outcomes: Sequence[Outcome]) -> dict[str, Any]:
    counts = Counter(o.status for o in outcomes)
    decided = counts["met"] + counts["late"] + counts["missing"]
    delays = _judged(outcomes)
    return {
        "obligation": name,
        "met": counts["met"],
        "late": counts["late"],
        "missing": counts["missing"],
        "open": counts["open"],
        "on_time_share": round(counts["met"] / decided, 4) if decided else None,
        "median_delay_hours": round(statistics.median(delays), 2) if delays else None,
        "worst_delay_hours": round(max(delays), 2) if delays else None,
    }


def _team(role: str | None, cases: Sequence[ReviewCase]) -> dict[str, Any]:
    by_obligation: dict[str, list[Outcome]] = defaultdict(list)
    for case in cases:
        for outcome in case.result.outcomes:
            by_obligation[f"{case.result.rule}/{outcome.obligation}"].append(outcome)
    return {
        "role": role,
        "cases": len(cases),
        "obligations": [_obligation_stats(k, v) for k, v in sorted(by_obligation.items())],
    }


def _exception(case: ReviewCase, outcome: Outcome) -> dict[str, Any]:
    return {
        "case": case.result.registration,
        "door": case.door,
        "role": case.role,
        "rule": case.result.rule,
        "obligation": outcome.obligation,
        "occurrence": outcome.occurrence,
        "priority": case.result.priority,
        "status": outcome.status,
        "due": iso(outcome.due),
        "met_at": iso(outcome.met_by.timestamp if outcome.met_by else None),
        "late_hours": outcome.late_hours,
        "actor": case.actor,
    }


def _door(door: str | None, cases: Sequence[ReviewCase]) -> dict[str, Any]:
    teams: dict[str | None, list[ReviewCase]] = defaultdict(list)
    for case in cases:
        teams[case.role].append(case)
    exceptions = [
        _exception(case, o)
        for case in cases
        for o in case.result.outcomes
        if o.status in ("late", "missing")
    ]
    exceptions.sort(key=lambda e: (e["due"] or "", e["case"], e["obligation"], e["occurrence"]))
    missed = Counter(f"{e['rule']}/{e['obligation']}" for e in exceptions)
    top = min(missed.items(), key=lambda kv: (-kv[1], kv[0])) if missed else None
    return {
        "door": door,
        "cases": len(cases),
        "teams": [_team(role, teams[role]) for role in sorted(teams, key=lambda r: r or "")],
        "exceptions": exceptions,
        "pattern": None if top is None else {"obligation": top[0], "missed": top[1]},
    }


def build_review(
    week: str, monday: date, cases: Iterable[ReviewCase], now: datetime
) -> dict[str, Any]:
    """The review of the cases opened in the week (each in its door's timezone)."""
    doors: dict[str | None, list[ReviewCase]] = defaultdict(list)
    for case in cases:
        if in_week(case.result.trigger.timestamp, case.timezone, monday):
            doors[case.door].append(case)
    return {
        "week": week,
        "from": monday.isoformat(),
        "to": (monday + timedelta(days=6)).isoformat(),
        "generated": iso(now),
        "doors": [_door(door, doors[door]) for door in sorted(doors, key=lambda d: d or "")],
    }


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def review_csv(review: dict[str, Any], cases: Iterable[ReviewCase], monday: date) -> str:
    """One row per obligation occurrence of the week's cases (a fact table for BI)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    rows = []
    for case in cases:
        if not in_week(case.result.trigger.timestamp, case.timezone, monday):
            continue
        for o in case.result.outcomes:
            rows.append(
                (
                    review["week"],
                    case.door,
                    case.role,
                    case.result.rule,
                    case.result.registration,
                    case.result.priority,
                    iso(case.result.trigger.timestamp),
                    case.actor,
                    o.obligation,
                    o.occurrence,
                    o.status,
                    iso(o.due),
                    iso(o.met_by.timestamp if o.met_by else None),
                    o.late_hours,
                    o.met_by.statement_id if o.met_by else None,
                )
            )
    rows.sort(key=lambda r: tuple("" if v is None else str(v) for v in r[1:5] + r[8:10]))
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buffer.getvalue()
