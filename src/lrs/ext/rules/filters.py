"""Query parameters of the tagged query, the export and the summary (pure).

Names are case-sensitive, unknown or repeated ones are refused (ERR-005, ERR-006, ERR-008),
and every refusal names its parameter (``param:since``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from lrs.errors import BadRequest
from lrs.ext.rules.model import check_id, check_timezone, parse_bound, resolve_bound
from lrs.xapi.validate import parse_iri_param, parse_timestamp_param

FILTER_PARAMS = ("since", "until", "door", "role", "verb", "activity")
QUERY_PARAMS = (*FILTER_PARAMS, "limit")
EXPORT_PARAMS = (*FILTER_PARAMS, "format", "identities")
SUMMARY_PARAMS = (*FILTER_PARAMS, "group_by", "bucket", "timezone")
DIMENSIONS = ("door", "role", "verb", "activity")
BUCKETS = ("day", "week")


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    door: str | None = None
    role: str | None = None
    verb: str | None = None
    activity: str | None = None


@dataclass(frozen=True)
class SummaryRequest:
    filters: Filters
    group_by: tuple[str, ...]
    bucket: str | None
    timezone: str


def date_param(values: dict[str, str], name: str, default: date, *, reason: str = "") -> date:
    """Parameter ``name`` as a calendar date (YYYY-MM-DD), or ``default`` when absent;
    ``reason`` ends the refusal (" for dataset door_week")."""
    raw = values.get(name)
    if raw is None:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        message = f"{name} must be a date YYYY-MM-DD{reason}"
        raise BadRequest(message, path=f"param:{name}") from None


def _moment(values: dict[str, str], name: str, timezone: str | None) -> datetime | None:
    raw = values.get(name)
    if raw is None:
        return None
    if timezone is None:
        return parse_timestamp_param(raw, name=name)
    return resolve_bound(parse_bound(raw, f"param:{name}"), timezone, f"param:{name}")


def parse_filters(values: dict[str, str], *, dates_in: str | None = None) -> Filters:
    """since/until (ISO 8601 date-times; with `dates_in`, also dates at midnight in that
    timezone), door and role ids, verb and activity IRIs."""
    door = values.get("door")
    role = values.get("role")
    verb = values.get("verb")
    activity = values.get("activity")
    return Filters(
        since=_moment(values, "since", dates_in),
        until=_moment(values, "until", dates_in),
        door=None if door is None else check_id(door, "param:door", "door"),
        role=None if role is None else check_id(role, "param:role", "role"),
        verb=None if verb is None else parse_iri_param(verb, name="verb"),
        activity=None if activity is None else parse_iri_param(activity, name="activity"),
    )


def _group_by(raw: str | None) -> tuple[list[str], list[str]]:
    dims: list[str] = []
    buckets: list[str] = []
    for part in (raw or "").split(","):
        name = part.strip()
        if not name:
            continue
        if name not in (*DIMENSIONS, *BUCKETS):
            raise BadRequest(
                f"cannot group by {name!r}; choose among {', '.join((*DIMENSIONS, *BUCKETS))}",
                path="param:group_by",
            )
        target = buckets if name in BUCKETS else dims
        if name in target:
            raise BadRequest(f"{name!r} is named twice", path="param:group_by")
        target.append(name)
    return dims, buckets


def parse_summary(values: dict[str, str]) -> SummaryRequest:
    """group_by: any of door, role, verb, activity, day, week (comma separated); bucket:
    day or week (the same as naming it in group_by); timezone of the buckets and of date-only
    since/until: an IANA name, UTC by default."""
    timezone = check_timezone(values.get("timezone", "UTC"), "param:timezone")
    dims, buckets = _group_by(values.get("group_by"))
    if "bucket" in values:
        if values["bucket"] not in BUCKETS:
            raise BadRequest("bucket must be 'day' or 'week'", path="param:bucket")
        if values["bucket"] not in buckets:
            buckets.append(values["bucket"])
    if len(buckets) > 1:
        raise BadRequest("group by day or by week, not both", path="param:bucket")
    return SummaryRequest(
        filters=parse_filters(values, dates_in=timezone),
        group_by=tuple(dims),
        bucket=buckets[0] if buckets else None,
        timezone=timezone,
    )
