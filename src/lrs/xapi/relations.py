"""What the storage layer indexes so statement queries can filter (STR-Q-003..011, 025).

`statement_index_terms` reads a prepared statement (the output of
`lrs.xapi.prepare.prepare_statement`) once and returns every value a query filter or a
side table needs: agent IFI keys for ``agent`` and ``related_agents``, activity ids for
``activity`` and ``related_activities``, the verb, the registration, the StatementRef
target (STR-Q-025 and voiding), the Activities seen (canonical definitions, ST-PROC-019)
and the Agents seen (the Agents resource, AGT-001).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from lrs.xapi.ifi import ifi_key
from lrs.xapi.primitives import parse_timestamp

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"

ActivityEntry = tuple[str, dict[str, Any] | None]
KeyedAgent = tuple[Mapping[str, Any], str | None]

# Statements are plain dicts, so `dict` is tried first: an exact type match is much cheaper
# than the `Mapping` ABC check, which stays for any other mapping.
_MAPPING = (dict, Mapping)


@dataclass(frozen=True, slots=True)
class IndexTerms:
    """The normalized columns of one statement. Sequences keep first-seen order, no repeats."""

    actor_keys: tuple[str, ...]
    related_agent_keys: tuple[str, ...]
    object_activity_id: str | None
    related_activity_ids: tuple[str, ...]
    verb_id: str
    registration: str | None
    statement_ref_id: str | None
    is_voiding: bool
    activities: tuple[ActivityEntry, ...]
    agents: tuple[dict[str, Any], ...]
    timestamp: datetime
    authority_key: str | None


def _is_agent_or_group(obj: Mapping[str, Any]) -> bool:
    return bool(obj.get("objectType") in ("Agent", "Group"))


def _is_activity(obj: Mapping[str, Any]) -> bool:
    return bool(obj.get("objectType", "Activity") == "Activity")


def _with_keys(agents: Iterable[Mapping[str, Any]]) -> list[KeyedAgent]:
    """Each agent or group, then each member of a group (STR-Q-004), with its `ifi_key`.

    Computed once here because both the key columns and the Agents seen need it.
    """
    keyed: list[KeyedAgent] = []
    for agent in agents:
        keyed.append((agent, ifi_key(agent)))
        members = agent.get("member")
        if isinstance(members, list):
            keyed.extend((m, ifi_key(m)) for m in members if isinstance(m, _MAPPING))
    return keyed


def _context_agents(context: Any) -> Iterator[Mapping[str, Any]]:
    """instructor, team, contextAgents[].agent and contextGroups[].group (STR-Q-011)."""
    if not isinstance(context, _MAPPING):
        return
    for prop in ("instructor", "team"):
        if prop in context and isinstance(context[prop], _MAPPING):
            yield context[prop]
    for prop, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
        for entry in context.get(prop) or ():
            if isinstance(entry, _MAPPING) and isinstance(entry.get(inner), _MAPPING):
                yield entry[inner]


def _context_activities(context: Any) -> Iterator[Mapping[str, Any]]:
    """Every contextActivities entry of every category, single objects included."""
    if not isinstance(context, _MAPPING):
        return
    categories = context.get("contextActivities")
    if not isinstance(categories, _MAPPING):
        return
    for value in categories.values():
        for activity in value if isinstance(value, list) else (value,):
            if isinstance(activity, _MAPPING):
                yield activity


def _substatement(stmt: Mapping[str, Any]) -> Mapping[str, Any] | None:
    obj = stmt["object"]
    return obj if obj.get("objectType") == "SubStatement" else None


def _primary_agents(stmt: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """What the plain ``agent`` filter looks at: actor and an Agent/Group object."""
    yield stmt["actor"]
    if _is_agent_or_group(stmt["object"]):
        yield stmt["object"]


def _related_agents(stmt: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """What ``related_agents=true`` looks at besides the primary agents (STR-Q-011)."""
    if isinstance(stmt.get("authority"), _MAPPING):
        yield stmt["authority"]
    yield from _context_agents(stmt.get("context"))
    sub = _substatement(stmt)
    if sub is not None:
        yield from _primary_agents(sub)
        yield from _context_agents(sub.get("context"))


def _activity_objects(stmt: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The object (when an Activity), contextActivities, and the same in a SubStatement."""
    for part in (stmt, _substatement(stmt)):
        if part is None:
            continue
        if _is_activity(part["object"]):
            yield part["object"]
        yield from _context_activities(part.get("context"))


def _keys(keyed: list[KeyedAgent]) -> dict[str, None]:
    return {key: None for _, key in keyed if key is not None}


def _identified_agents(keyed: list[KeyedAgent]) -> tuple[dict[str, Any], ...]:
    """Agents (not Groups) with an IFI, members included, one per (IFI, name)."""
    seen: dict[tuple[str, Any], dict[str, Any]] = {}
    for one, key in keyed:
        if key is None or one.get("objectType") == "Group":
            continue
        identity = (key, one.get("name"))
        if identity not in seen:
            seen[identity] = dict(one)
    return tuple(seen.values())


def _activities(stmt: Mapping[str, Any]) -> tuple[ActivityEntry, ...]:
    """Each (id, definition) once, in first-seen order.

    Usually each id appears once and there is nothing to compare. Otherwise entries are
    keyed by the definition's sorted JSON so the work stays linear in the number of entries
    (a list-membership test made a 30,000-entry grouping take 25 s)."""
    found = [(activity["id"], activity.get("definition")) for activity in _activity_objects(stmt)]
    if len({activity_id for activity_id, _ in found}) == len(found):
        return tuple(found)
    entries: dict[tuple[str, bytes], ActivityEntry] = {}
    for activity_id, definition in found:
        key = (activity_id, orjson.dumps(definition, option=orjson.OPT_SORT_KEYS))
        entries.setdefault(key, (activity_id, definition))
    return tuple(entries.values())


def _lower(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) else None


def statement_index_terms(stmt: Mapping[str, Any]) -> IndexTerms:
    """Index terms of a prepared statement.

    - ``actor_keys``: actor, an Agent/Group object, and their group members
      (STR-Q-003/004).
    - ``related_agent_keys``: those plus authority, instructor, team, contextAgents,
      contextGroups and the same places in a SubStatement, members included (STR-Q-011).
    - ``related_activity_ids``: the Activity object, every contextActivities entry and
      the same in a SubStatement (STR-Q-010); ``context.statement`` is never followed
      (STR-Q-027).
    - ``registration`` and ``statement_ref_id`` are lowercased: UUID hex is
      case-insensitive (ST-VAL-020).
    - ``authority_key``: the authority's IFI key (the statements' ``authority_key``
      column), None for an authority without one (an OAuth pair of agents).
    """
    obj = stmt["object"]
    primary = _with_keys(_primary_agents(stmt))
    related = _with_keys(_related_agents(stmt))
    actor_keys = _keys(primary)
    related_keys = dict(actor_keys)
    related_keys.update(_keys(related))
    activities = _activities(stmt)
    related_ids = dict.fromkeys(activity_id for activity_id, _ in activities)
    context = stmt.get("context")
    registration = context.get("registration") if isinstance(context, _MAPPING) else None
    verb_id: str = stmt["verb"]["id"]
    authority = stmt.get("authority")
    return IndexTerms(
        actor_keys=tuple(actor_keys),
        related_agent_keys=tuple(related_keys),
        object_activity_id=obj["id"] if _is_activity(obj) else None,
        related_activity_ids=tuple(related_ids),
        verb_id=verb_id,
        registration=_lower(registration),
        statement_ref_id=_lower(obj["id"]) if obj.get("objectType") == "StatementRef" else None,
        is_voiding=verb_id == VOIDED_VERB,
        activities=activities,
        agents=_identified_agents(primary + related),
        timestamp=parse_timestamp(stmt.get("timestamp") or stmt["stored"]),
        authority_key=ifi_key(authority) if isinstance(authority, _MAPPING) else None,
    )
