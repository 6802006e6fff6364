"""Query and document parameter values and names (ERR-004..008, ERR-007, STR-Q-*, DOC-013).

Parameter values follow the rules of statement values of the same type (ERR-007). Errors carry
``path="param:<name>"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from lrs.errors import BadRequest
from lrs.xapi import primitives
from lrs.xapi.jsonparse import loads_strict
from lrs.xapi.validate._common import check_identifier_size, fail
from lrs.xapi.validate.agents import is_group, is_identified, validate_agent, validate_group
from lrs.xapi.versions import XapiVersion

Format = Literal["ids", "exact", "canonical"]

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_FORMATS: tuple[Format, ...] = ("ids", "exact", "canonical")


def parse_agent_param(
    raw: str, version: XapiVersion, *, name: str = "agent", allow_identified_group: bool = True
) -> dict[str, Any]:
    """An Agent, or an Identified Group when allowed, given as JSON (STR-Q-001/002, DOC-013).

    An Anonymous Group has no identifier to match on, so it is always refused (STR-Q-002).
    """
    try:
        value: object = loads_strict(raw, path="$")
        if not isinstance(value, dict):
            fail("must be a JSON object describing an Agent", "$")
        if is_group(value):
            if not allow_identified_group:
                fail("must be an Agent, not a Group", "$")
            validate_group(value, version, path="$")
            if not is_identified(value):
                fail("must identify the Group (mbox, mbox_sha1sum, openid or account)", "$")
        else:
            validate_agent(value, version, path="$")
    except BadRequest as exc:
        where = "" if exc.path in (None, "$") else f" (at {exc.path})"
        raise BadRequest(
            f"invalid {name} parameter: {exc.message}{where}", path=f"param:{name}"
        ) from None
    return value


def parse_uuid_param(raw: str, *, name: str) -> str:
    """A UUID in 8-4-4-4-12 form, returned in lower case (ST-VAL-022, STR-W-001)."""
    if not primitives.is_uuid(raw):
        fail(f"{name} must be a UUID in 8-4-4-4-12 form, not {raw!r}", f"param:{name}")
    return raw.lower()


def parse_timestamp_param(raw: str, *, name: str) -> datetime:
    """An ISO 8601 date-time as an aware UTC datetime (ST-VAL-120, ERR-007)."""
    try:
        return primitives.parse_timestamp(raw)
    except ValueError as exc:
        fail(f"{name} {raw!r} {exc}", f"param:{name}")


def parse_iri_param(raw: str, *, name: str) -> str:
    """An absolute IRI such as ``activityId`` or ``verb`` (ST-VAL-009, ERR-007)."""
    check_identifier_size(raw, f"param:{name}")
    if not primitives.is_iri(raw):
        fail(f"{name} must be an absolute IRI (with a scheme), not {raw!r}", f"param:{name}")
    return raw


def parse_bool_param(raw: str, *, name: str) -> bool:
    """Exactly ``true`` or ``false`` (STR-Q-024)."""
    if raw == "true":
        return True
    if raw == "false":
        return False
    fail(f"{name} must be 'true' or 'false', not {raw!r}", f"param:{name}")


def parse_limit_param(raw: str, *, name: str = "limit") -> int:
    """A non-negative decimal integer; 0 means the server maximum (STR-Q-014)."""
    if _DIGITS.fullmatch(raw) is None:
        fail(f"{name} must be a non-negative integer, not {raw!r}", f"param:{name}")
    return int(raw)


def parse_format_param(raw: str, *, name: str = "format") -> Format:
    """One of ``ids``, ``exact``, ``canonical``, matched case-sensitively (STR-Q-015)."""
    for option in _FORMATS:
        if raw == option:
            return option
    fail(f"{name} must be 'ids', 'exact' or 'canonical', not {raw!r}", f"param:{name}")


def query_values(
    items: Sequence[tuple[str, str]], allowed: Iterable[str], required: Iterable[str] = ()
) -> dict[str, str]:
    """The one query-parameter grammar of every resource: refuse a repeated name, then
    unknown, wrongly cased and missing ones (ERR-005, ERR-006, ERR-008); the values by name."""
    values: dict[str, str] = {}
    for name, value in items:
        if name in values:
            fail(f"parameter {name!r} is given more than once", f"param:{name}")
        values[name] = value
    check_param_names(values, allowed, required=required)
    return values


def check_param_names(
    names: Iterable[str], allowed: Iterable[str], *, required: Iterable[str] = ()
) -> None:
    """Refuse unknown, wrongly cased and missing parameters (ERR-005, ERR-006, ERR-008)."""
    known = frozenset(allowed)
    folded = {option.lower(): option for option in known}
    given: set[str] = set()
    for name in names:
        given.add(name)
        if name in known:
            continue
        match = folded.get(name.lower())
        if match is not None:
            fail(
                f"parameter {name!r} must be written {match!r}: names are case-sensitive",
                f"param:{name}",
            )
        fail(f"unknown parameter {name!r}", f"param:{name}")
    for name in required:
        if name not in given:
            fail(f"missing required parameter {name!r}", f"param:{name}")
