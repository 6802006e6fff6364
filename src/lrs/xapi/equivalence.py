"""Statement comparison for id conflicts and signatures (ST-PROC-015, STR-W-006, SIG-004).

Two statements are equivalent when they differ only in ways the immutability exceptions
explain (D 2.3.1 Statement Immutability; L2 4.2); any other difference is a mismatch.

Ignored:

- ``id``, ``authority``, ``stored``, ``version``, ``attachments`` (top level), and
  ``attachments`` inside a SubStatement;
- ``timestamp`` when only one side has it (the LRS fills a missing one, ST-PROC-004);
  when both have it they must name the same instant, whatever the offset or trailing
  zeros (ST-PROC-016);
- verb ``display`` and every Activity ``definition`` (they follow the ``format``
  parameter, STR-Q-020); since every language map lives in one of these or in an
  attachment, language-map key case never reaches the comparison;
- the order of Group ``member`` lists;
- case in case-insensitive parts: the ``mailto:`` scheme of ``mbox``, the hex of
  ``mbox_sha1sum`` and of UUIDs (registration, StatementRef ids), ``context.language``;
- a contextActivities value given as one object instead of a one-element array
  (ST-PROC-012), and an omitted default ``objectType`` (Agent for actors, Activity for
  objects, ST-VAL-030/060);
- duration precision finer than 0.01 s (ST-VAL-144). Durations are otherwise compared
  component by component (``PT1M`` and ``PT60S`` differ: no unit conversion, ST-PROC-014).

JSON values are compared by type as well as value, so ``true`` never equals ``1``.
Input need not be valid: a signed payload is compared before anything else looks at it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from decimal import ROUND_DOWN, Decimal
from functools import partial
from typing import Any

from lrs.xapi.ifi import normalize_mbox
from lrs.xapi.prepare import to_utc_timestamp

_TOP_IGNORED = frozenset({"id", "authority", "stored", "timestamp", "version", "attachments"})
_SUB_IGNORED = frozenset({"attachments"})
_Normalize = Callable[[Any], Any]
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"^P(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$"
)
_DESIGNATORS = ("Y", "M", "W", "D", "H", "M", "S")
_HUNDREDTH = Decimal("0.01")


def statements_equivalent(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True when `a` and `b` are the same statement under ST-PROC-015 (symmetric)."""
    if not isinstance(a, Mapping) or not isinstance(b, Mapping):
        return False
    ts_a, ts_b = a.get("timestamp"), b.get("timestamp")
    if ts_a is not None and ts_b is not None and _instant(ts_a) != _instant(ts_b):
        return False
    return json_equal(_statement(a, _TOP_IGNORED), _statement(b, _TOP_IGNORED))


def json_equal(a: Any, b: Any) -> bool:
    """Deep JSON equality that keeps booleans apart from numbers (``1 == 1.0`` still holds)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping):
        return (
            isinstance(b, Mapping)
            and a.keys() == b.keys()
            and all(json_equal(value, b[key]) for key, value in a.items())
        )
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(json_equal, a, b))
    if isinstance(a, int | float):
        return isinstance(b, int | float) and a == b
    return type(a) is type(b) and bool(a == b)


def _instant(value: Any) -> Any:
    """A timestamp as UTC ``Z`` text without trailing fractional zeros."""
    if not isinstance(value, str):
        return value
    try:
        text = to_utc_timestamp(value)
    except ValueError:
        return value
    if "." in text:
        text = text[:-1].rstrip("0").rstrip(".") + "Z"
    return text


def _duration(value: Any) -> Any:
    """A duration reduced to its component values, seconds truncated to 0.01 s."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        return value
    parts = []
    for designator, raw in zip(_DESIGNATORS, match.groups(), strict=True):
        number = Decimal(raw.replace(",", ".")) if raw else Decimal(0)
        if designator == "S" and raw:
            number = number.quantize(_HUNDREDTH, rounding=ROUND_DOWN)
        parts.append(format(number.normalize(), "f") + designator)
    return "P" + "".join(parts[:4]) + "T" + "".join(parts[4:])


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _agent(agent: Any) -> Any:
    if not isinstance(agent, Mapping):
        return agent
    out = dict(agent)
    out.setdefault("objectType", "Agent")
    if isinstance(agent.get("mbox"), str):
        out["mbox"] = normalize_mbox(agent["mbox"])
    if "mbox_sha1sum" in agent:
        out["mbox_sha1sum"] = _lower(agent["mbox_sha1sum"])
    members = agent.get("member")
    if isinstance(members, list):
        normalized = [_agent(member) for member in members]
        out["member"] = sorted(normalized, key=lambda m: json.dumps(m, sort_keys=True))
    return out


def _activity(activity: Any) -> Any:
    if not isinstance(activity, Mapping):
        return activity
    out = {key: value for key, value in activity.items() if key != "definition"}
    out.setdefault("objectType", "Activity")
    return out


def _statement_ref(ref: Any) -> Any:
    if not isinstance(ref, Mapping):
        return ref
    return {**ref, "id": _lower(ref.get("id"))}


def _object(obj: Any) -> Any:
    if not isinstance(obj, Mapping):
        return obj
    kind = obj.get("objectType", "Activity")
    if kind in ("Agent", "Group"):
        return _agent(obj)
    if kind == "StatementRef":
        return _statement_ref(obj)
    if kind == "SubStatement":
        sub = _statement(obj, _SUB_IGNORED)
        if "timestamp" in obj:
            sub["timestamp"] = _instant(obj["timestamp"])
        return sub
    return _activity(obj)


def _context_activities(categories: Any) -> Any:
    if not isinstance(categories, Mapping):
        return categories
    return {
        category: [_activity(a) for a in (value if isinstance(value, list) else [value])]
        for category, value in categories.items()
    }


def _context_entries(entries: Any, inner: str) -> Any:
    if not isinstance(entries, list):
        return entries
    return [
        {**entry, inner: _agent(entry.get(inner))} if isinstance(entry, Mapping) else entry
        for entry in entries
    ]


_CONTEXT_PARTS: dict[str, _Normalize] = {
    "registration": _lower,
    "language": _lower,
    "instructor": _agent,
    "team": _agent,
    "statement": _statement_ref,
    "contextActivities": _context_activities,
    "contextAgents": partial(_context_entries, inner="agent"),
    "contextGroups": partial(_context_entries, inner="group"),
}


def _context(context: Any) -> Any:
    if not isinstance(context, Mapping):
        return context
    return _normalized(context, dict(context), _CONTEXT_PARTS)


def _verb(verb: Any) -> Any:
    if not isinstance(verb, Mapping):
        return verb
    return {key: value for key, value in verb.items() if key != "display"}


def _result(result: Any) -> Any:
    if not isinstance(result, Mapping) or "duration" not in result:
        return result
    return {**result, "duration": _duration(result["duration"])}


_STATEMENT_PARTS: dict[str, _Normalize] = {
    "actor": _agent,
    "verb": _verb,
    "object": _object,
    "context": _context,
    "result": _result,
}


def _statement(stmt: Mapping[str, Any], ignored: frozenset[str]) -> dict[str, Any]:
    out = {key: value for key, value in stmt.items() if key not in ignored}
    return _normalized(stmt, out, _STATEMENT_PARTS)


def _normalized(
    source: Mapping[str, Any], out: dict[str, Any], parts: Mapping[str, _Normalize]
) -> dict[str, Any]:
    """``out`` with each part ``source`` has replaced by its normalized form."""
    for key, normalize in parts.items():
        if key in source:
            out[key] = normalize(source[key])
    return out
