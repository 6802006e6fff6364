"""Pure rules of the extension: registry entries, roster assignments, explicit tags.

Each parser takes one parsed JSON item (or a CSV row already turned into one, see `csvio`)
and the JSON path it sits at, and raises `BadRequest` naming the offending field. Nothing
here touches the database: whether a door or role id is registered is checked by the
services in one query per batch.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from lrs.fields import fail, json_object, text_field
from lrs.service_proof.hours import check_holidays, parse_opening_hours
from lrs.xapi import primitives
from lrs.xapi.ifi import ifi_key
from lrs.xapi.validate import validate_agent
from lrs.xapi.versions import XapiVersion

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
_ID = re.compile(ID_PATTERN)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

DOOR_FIELDS = (
    "id",
    "name",
    "region",
    "format",
    "timezone",
    "active",
    "opening_hours",
    "holidays_country",
    "holidays_region",
)
ROLE_FIELDS = ("id", "name", "active")
ASSIGNMENT_FIELDS = ("agent", "door", "role", "valid_from", "valid_to")
TAG_FIELDS = ("statement_id", "door", "role")


@dataclass(frozen=True)
class Door:
    id: str
    name: str
    region: str | None = None
    format: str | None = None
    timezone: str = "UTC"
    active: bool = True
    # Business hours of the service-proof rules (see `lrs.service_proof.hours`): opening
    # hours such as "mon-fri 09:00-18:00" (none: open all day) and the public holidays of
    # a country (ISO 3166-1) and region (its subdivision code).
    opening_hours: str | None = None
    holidays_country: str | None = None
    holidays_region: str | None = None


@dataclass(frozen=True)
class Role:
    id: str
    name: str
    active: bool = True


# A bound of a roster range: an instant, or a calendar date read as midnight in the door's
# timezone once the door is known.
Bound = datetime | date


@dataclass(frozen=True)
class Assignment:
    """An actor (by IFI key) at a door in a role over [valid_from, valid_to)."""

    actor_key: str
    door: str
    role: str
    valid_from: Bound
    valid_to: Bound | None
    path: str


@dataclass(frozen=True)
class ExplicitTag:
    statement_id: str
    door: str | None
    role: str | None
    path: str


def check_id(value: object, path: str, what: str) -> str:
    """A registry id: 1 to 64 letters, digits, '.', '_', ':' or '-' (no spaces, so it joins
    exactly with point-of-sale keys)."""
    if not isinstance(value, str) or _ID.fullmatch(value) is None:
        fail(f"{what} id must match {ID_PATTERN}, not {value!r}", path)
    return value


def _optional_id(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    value = obj.get(key)
    return None if value is None else check_id(value, f"{path}.{key}", key)


def _bool(obj: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        fail(f"{key} must be true or false", f"{path}.{key}")
    return value


@functools.cache
def _zone_names() -> frozenset[str]:
    """Canonical IANA names only: Python also opens files such as ``right/UTC``,
    ``posixrules`` or ``localtime`` that a PostgreSQL may not know (or reads differently)."""
    return frozenset(zoneinfo.available_timezones() - {"localtime", "Factory"})


def check_timezone(value: str, path: str) -> str:
    """An IANA timezone name such as Europe/Paris."""
    if value not in _zone_names():
        fail(f"unknown timezone {value!r}; use an IANA name such as Europe/Paris", path)
    return value


def _id_field(obj: Mapping[str, Any], path: str, what: str, given: str | None) -> str:
    if given is None:
        return check_id(obj.get("id"), f"{path}.id", what)
    if "id" in obj and obj["id"] != given:
        fail(
            f"the body id {obj['id']!r} differs from the {what} id {given!r} of the URL",
            f"{path}.id",
        )
    return check_id(given, f"{path}.id", what)


def parse_door(value: object, path: str, door_id: str | None = None) -> Door:
    """A door of the registry; `door_id` is the one of the URL for PUT."""
    obj = json_object(value, path, DOOR_FIELDS)
    timezone = text_field(obj, "timezone", path, required=False) or "UTC"
    return Door(
        id=_id_field(obj, path, "door", door_id),
        name=text_field(obj, "name", path, required=True) or "",
        region=text_field(obj, "region", path, required=False),
        format=text_field(obj, "format", path, required=False),
        timezone=check_timezone(timezone, f"{path}.timezone"),
        active=_bool(obj, "active", path, True),
        **_business_hours(obj, path),
    )


def _business_hours(obj: Mapping[str, Any], path: str) -> dict[str, str | None]:
    hours = text_field(obj, "opening_hours", path, required=False)
    if hours is not None:
        try:
            parse_opening_hours(hours)
        except ValueError as exc:
            fail(f"opening_hours: {exc}", f"{path}.opening_hours")
    country = text_field(obj, "holidays_country", path, required=False)
    region = text_field(obj, "holidays_region", path, required=False)
    if region is not None and country is None:
        fail("holidays_region needs holidays_country", f"{path}.holidays_region")
    if country is not None:
        country = country.upper()
        try:
            check_holidays(country, region)
        except ValueError as exc:
            field = (
                "holidays_region"
                if region is not None and "subdiv" in str(exc)
                else "holidays_country"
            )
            fail(f"{exc}", f"{path}.{field}")
    return {"opening_hours": hours, "holidays_country": country, "holidays_region": region}


def parse_role(value: object, path: str, role_id: str | None = None) -> Role:
    obj = json_object(value, path, ROLE_FIELDS)
    return Role(
        id=_id_field(obj, path, "role", role_id),
        name=text_field(obj, "name", path, required=True) or "",
        active=_bool(obj, "active", path, True),
    )


def parse_bound(value: object, path: str) -> Bound:
    """An ISO 8601 date-time (an offset is advised; none reads as UTC), or a calendar date
    YYYY-MM-DD meaning midnight at the door."""
    if not isinstance(value, str):
        fail("must be a date (YYYY-MM-DD) or an ISO 8601 date-time", path)
    if _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            fail(f"{value!r} is not a valid calendar date", path)
    try:
        return primitives.parse_timestamp(value)
    except ValueError as exc:
        fail(f"{value!r} {exc}", path)


def resolve_bound(bound: Bound, timezone: str, path: str = "$") -> datetime:
    """The instant of a bound: a date is midnight in the door's timezone (400 when that
    instant falls outside years 1..9999 in UTC, as 0001-01-01 in Asia/Tokyo does)."""
    if isinstance(bound, datetime):
        return bound
    local = datetime.combine(bound, time(0), tzinfo=zoneinfo.ZoneInfo(timezone))
    try:
        return local.astimezone(UTC)
    except OverflowError:
        fail(f"{bound.isoformat()} in {timezone} is out of the supported range", path)


def parse_assignment(value: object, path: str, version: XapiVersion) -> Assignment:
    """A roster row: the actor by IFI (an Agent object), door, role and validity range."""
    obj = json_object(value, path, ASSIGNMENT_FIELDS)
    if "agent" not in obj:
        fail("agent is required (an Agent object with one IFI)", f"{path}.agent")
    validate_agent(obj["agent"], version, path=f"{path}.agent")
    actor_key = ifi_key(obj["agent"])
    if actor_key is None:  # validate_agent guarantees one IFI; this keeps mypy honest
        fail("agent needs an IFI", f"{path}.agent")
    if obj.get("valid_from") is None:
        fail("valid_from is required", f"{path}.valid_from")
    valid_from = parse_bound(obj["valid_from"], f"{path}.valid_from")
    valid_to = None
    if obj.get("valid_to") is not None:
        valid_to = parse_bound(obj["valid_to"], f"{path}.valid_to")
    return Assignment(
        actor_key=actor_key,
        door=check_id(obj.get("door"), f"{path}.door", "door"),
        role=check_id(obj.get("role"), f"{path}.role", "role"),
        valid_from=valid_from,
        valid_to=valid_to,
        path=path,
    )


def check_range(start: datetime, end: datetime | None, path: str) -> None:
    if end is not None and end <= start:
        fail("valid_to must be later than valid_from", f"{path}.valid_to")


def parse_tag(value: object, path: str, statement_id: str | None = None) -> ExplicitTag:
    """An explicit tag; a null door or role leaves that field to the other sources."""
    obj = json_object(value, path, TAG_FIELDS if statement_id is None else ("door", "role"))
    if statement_id is None:
        raw = obj.get("statement_id")
        if not isinstance(raw, str) or not primitives.is_uuid(raw):
            fail(f"statement_id must be a UUID, not {raw!r}", f"{path}.statement_id")
        statement_id = raw
    return ExplicitTag(
        statement_id=statement_id.lower(),
        door=_optional_id(obj, "door", path),
        role=_optional_id(obj, "role", path),
        path=path,
    )


def carried_tags(
    payload: Mapping[str, Any], door_iri: str, role_iri: str
) -> tuple[str | None, str | None]:
    """The door and role a statement carries in its context extensions. A value that is not
    a well-formed id is ignored, never refused: extension values must not fail a statement
    (ST-VAL-171)."""
    context = payload.get("context")
    extensions = context.get("extensions") if isinstance(context, Mapping) else None
    if not isinstance(extensions, Mapping):
        return None, None
    found: list[str | None] = []
    for iri in (door_iri, role_iri):
        value = extensions.get(iri)
        found.append(value if isinstance(value, str) and _ID.fullmatch(value) else None)
    return found[0], found[1]
