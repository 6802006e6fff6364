"""What the LRS sets on a statement before storing it (ST-PROC-001..014).

`prepare_statement` builds the stored form from a validated statement: a new top-level
dict, with nested objects rebuilt only along the paths it changes (``context`` and a
SubStatement object); every other value is shared with the input, never copied or
mutated, because this runs on every write.

Time rendering: ``stored`` is written with microsecond precision,
``YYYY-MM-DDTHH:MM:SS.ffffffZ``; that is PostgreSQL's ``timestamptz`` precision, so the
string and the indexed column always name the same instant (ST-VAL-123 asks for at
least milliseconds). A client ``timestamp`` keeps all of its fractional digits and is
only moved to UTC (ST-VAL-125, ST-PROC-016/017).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from lrs.xapi.primitives import parse_timestamp
from lrs.xapi.versions import XapiVersion

_UTC_FORM = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z")
_FRACTION = re.compile(r"(?<=:\d\d)[.,](\d+)")


def _new_uuid() -> str:
    """A random (version 4) UUID, as ``str(uuid.uuid4())`` writes it, at a third of the cost."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    hexa = raw.hex()
    return f"{hexa[:8]}-{hexa[8:12]}-{hexa[12:16]}-{hexa[16:20]}-{hexa[20:]}"


def format_stored(moment: datetime) -> str:
    """Render an aware datetime as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC."""
    if moment.tzinfo is None:
        raise ValueError("stored must be timezone-aware")
    return _format_utc(moment.astimezone(UTC))


@lru_cache(maxsize=16)
def _format_utc(moment: datetime) -> str:
    # Every statement of a batch shares one `stored` time, so it is rendered once. The key
    # is already in UTC, where equal datetimes are the same instant.
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def to_utc_timestamp(value: str) -> str:
    """Rewrite an ISO 8601 timestamp in UTC ``Z`` form, keeping its fractional digits.

    ST-VAL-125 (2.0) and ST-PROC-017 (1.0.3): another offset is converted, not refused;
    the instant and its precision are unchanged (ST-PROC-016). A value already in
    ``...T...Z`` form is returned as is. Other forms are read by
    `lrs.xapi.primitives.parse_timestamp` (a zone-less value is UTC); omitted seconds
    are written out. Raises ``ValueError`` for a value that is not a timestamp.
    """
    if _UTC_FORM.fullmatch(value):
        return value
    moment = parse_timestamp(value)
    match = _FRACTION.search(value)
    fraction = "." + match.group(1) if match else ""
    whole_seconds = moment.replace(tzinfo=None, microsecond=0).isoformat(timespec="seconds")
    return whole_seconds + fraction + "Z"


def wrap_context_activities(context: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``context`` whose contextActivities values are all arrays (ST-PROC-012)."""
    rebuilt = dict(context)
    activities = context.get("contextActivities")
    if isinstance(activities, Mapping):
        rebuilt["contextActivities"] = {
            category: value if isinstance(value, list) else [value]
            for category, value in activities.items()
        }
    return rebuilt


def _prepare_substatement(sub: Mapping[str, Any]) -> dict[str, Any]:
    rebuilt = dict(sub)
    if isinstance(sub.get("context"), Mapping):
        rebuilt["context"] = wrap_context_activities(sub["context"])
    if isinstance(sub.get("timestamp"), str):
        rebuilt["timestamp"] = to_utc_timestamp(sub["timestamp"])
    return rebuilt


def prepare_statement(
    stmt: Mapping[str, Any],
    *,
    version: XapiVersion,
    authority: dict[str, Any],
    stored: datetime,
    new_id: Callable[[], str] = _new_uuid,
) -> dict[str, Any]:
    """The statement as the LRS stores it; the input is left untouched.

    - ``id``: kept (lowercased: UUID hex is case-insensitive) or generated (ST-PROC-001).
    - ``stored``: the LRS time, replacing any client value (ST-PROC-002/003).
    - ``timestamp``: converted to UTC (ST-VAL-125), or ``stored`` when absent (ST-PROC-004).
    - ``authority``: always the credential's authority (ST-PROC-005/006/008/009).
    - ``version``: kept, else ``1.0.0`` under 1.0.3 and ``2.0.0`` under 2.0
      (ST-PROC-011, VER-004).
    - ``contextActivities`` values wrapped in arrays, SubStatement included (ST-PROC-012).

    Everything else is kept exactly as received (ST-PROC-013/014).
    """
    result = dict(stmt)
    supplied_id = stmt.get("id")
    result["id"] = supplied_id.lower() if isinstance(supplied_id, str) else new_id()
    stored_text = format_stored(stored)
    result["stored"] = stored_text
    supplied_ts = stmt.get("timestamp")
    result["timestamp"] = (
        to_utc_timestamp(supplied_ts) if isinstance(supplied_ts, str) else stored_text
    )
    result["authority"] = authority
    if not isinstance(stmt.get("version"), str):
        result["version"] = version.statement_version
    if isinstance(stmt.get("context"), Mapping):
        result["context"] = wrap_context_activities(stmt["context"])
    obj = stmt.get("object")
    if isinstance(obj, Mapping) and obj.get("objectType") == "SubStatement":
        result["object"] = _prepare_substatement(obj)
    return result
