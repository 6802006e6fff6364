"""The Person object of the Agents resource (AGT-001..006)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from lrs.xapi.ifi import normalize_mbox

Json = dict[str, Any]


def _account_key(account: Any) -> Any:
    if not isinstance(account, Mapping) or "homePage" not in account or "name" not in account:
        return None
    return (account["homePage"], account["name"])


def _account_value(account: Any) -> Json:
    return {"homePage": account["homePage"], "name": account["name"]}


def _same(value: Any) -> Any:
    return value


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _mbox_key(value: Any) -> Any:
    return normalize_mbox(value) if isinstance(value, str) else value


# property, dedup key, rendered value
_PROPERTIES: tuple[tuple[str, Callable[[Any], Any], Callable[[Any], Any]], ...] = (
    ("name", _same, _same),
    ("mbox", _mbox_key, _same),
    ("mbox_sha1sum", _lower, _same),
    ("openid", _same, _same),
    ("account", _account_key, _account_value),
)


def person_from_agents(requested: Mapping[str, Any], known: Iterable[Mapping[str, Any]]) -> Json:
    """Merge what the LRS knows of one person into a Person object (AGT-003..006).

    `known` are the Agent objects the caller decided belong to the same person (for
    example every stored Agent sharing `requested`'s IFI). The requested agent comes
    first and is always present, even for an agent never seen (AGT-005). Each property
    is an array of values valid for the Agent property of that name (AGT-004), without
    repeats (the same rules as IFI matching: ``mailto:`` and hex case do not count),
    in first-seen order; empty arrays and properties outside the list are left out
    (AGT-006).
    """
    person: Json = {"objectType": "Person"}
    agents = [requested, *known]
    for prop, key_of, render in _PROPERTIES:
        values: dict[Any, Any] = {}
        for agent in agents:
            value = agent.get(prop)
            if value is None or (prop == "account" and key_of(value) is None):
                continue
            values.setdefault(key_of(value), render(value))
        if values:
            person[prop] = list(values.values())
    return person
