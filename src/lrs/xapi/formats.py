"""The three statement formats of GET /statements (STR-Q-015..023) and StatementResult.

Every format is derived from the stored statement; ``exact`` returns it unchanged.
Only the paths a format changes are rebuilt, the rest is shared with the stored dict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from lrs.xapi.ifi import ifi_of
from lrs.xapi.languages import pick_language

StatementFormat = Literal["exact", "ids", "canonical"]
Json = dict[str, Any]
_Rewrite = Callable[[Any], Any]

_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


def render_statement(
    stmt: Mapping[str, Any],
    fmt: StatementFormat,
    *,
    canonical: Mapping[str, Json] | None = None,
    languages: Sequence[str] = (),
    verb_displays: Mapping[str, Json] | None = None,
) -> Json:
    """A stored statement in the requested format.

    - ``exact``: as stored (STR-Q-016/017).
    - ``ids``: Agents/Groups reduced to objectType + IFI (an Anonymous Group keeps its
      members' IFIs; an identified Group drops its members), Activities and Verbs to
      ``{"id"}`` alone, everywhere in the statement, SubStatements included (STR-Q-018/019,
      REF-006).
    - ``canonical``: each Activity definition replaced by ``canonical[id]`` when known,
      the verb display by ``verb_displays[id]`` when known, and every language map of
      those (name, description, interaction component descriptions, verb display) cut
      to the one language `languages` prefers (STR-Q-020..023). Agents stay as stored.

    `languages` are Accept-Language ranges, most preferred first
    (`lrs.xapi.languages.parse_accept_language`).
    """
    if fmt == "exact":
        return dict(stmt)
    if fmt == "ids":
        return _rewrite_statement(stmt, agent=_agent_ids, activity=_activity_ids, verb=_verb_ids)
    canon = _Canonical(canonical or {}, verb_displays or {}, languages)
    return _rewrite_statement(stmt, agent=_same, activity=canon.activity, verb=canon.verb)


def format_statement_result(statements: Iterable[Json], more: str) -> Json:
    """A StatementResult: ``statements`` and ``more`` ("" when nothing remains), nothing
    else (STR-M-001/002/009)."""
    return {"statements": list(statements), "more": more}


def _same(value: Any) -> Any:
    return value


def _agent_ids(agent: Any) -> Any:
    if not isinstance(agent, Mapping):
        return agent
    out: Json = {"objectType": agent.get("objectType", "Agent")}
    ifi = ifi_of(agent)
    if ifi:
        out.update(ifi)
    elif isinstance(agent.get("member"), list):
        out["member"] = [_agent_ids(member) for member in agent["member"]]
    return out


def _activity_ids(activity: Any) -> Any:
    if not isinstance(activity, Mapping):
        return activity
    return {"id": activity.get("id")}


def _verb_ids(verb: Any) -> Any:
    return {"id": verb.get("id")} if isinstance(verb, Mapping) else verb


class _Canonical:
    """Rewrites Activities and Verbs for ``format=canonical``."""

    def __init__(
        self,
        definitions: Mapping[str, Json],
        verb_displays: Mapping[str, Json],
        languages: Sequence[str],
    ) -> None:
        self.definitions = definitions
        self.verb_displays = verb_displays
        self.languages = languages

    def activity(self, activity: Any) -> Any:
        return _with_known(activity, "definition", self.definitions, self.definition)

    def definition(self, definition: Mapping[str, Any]) -> Json:
        out = dict(definition)
        for key in ("name", "description"):
            if isinstance(definition.get(key), Mapping):
                out[key] = self.language(definition[key])
        for key in _COMPONENT_LISTS:
            if isinstance(definition.get(key), list):
                out[key] = [self.component(c) for c in definition[key]]
        return out

    def component(self, component: Any) -> Any:
        if not isinstance(component, Mapping) or not isinstance(
            component.get("description"), Mapping
        ):
            return component
        return {**component, "description": self.language(component["description"])}

    def verb(self, verb: Any) -> Any:
        return _with_known(verb, "display", self.verb_displays, self.language)

    def language(self, language_map: Mapping[str, Any]) -> Json:
        return pick_language(language_map, self.languages)


def _with_known(
    item: Any,
    name: str,
    known: Mapping[str, Json],
    render: Callable[[Mapping[str, Any]], Json],
) -> Any:
    """``item`` with its ``name`` object rendered: the one ``known`` holds for the item's id,
    else the item's own; unchanged when neither is an object."""
    if not isinstance(item, Mapping):
        return item
    value = known.get(item.get("id", ""), item.get(name))
    if not isinstance(value, Mapping):
        return item
    return {**item, name: render(value)}


def _rewrite_object(obj: Any, agent: _Rewrite, activity: _Rewrite, verb: _Rewrite) -> Any:
    if not isinstance(obj, Mapping):
        return obj
    kind = obj.get("objectType", "Activity")
    if kind in ("Agent", "Group"):
        return agent(obj)
    if kind == "SubStatement":
        return _rewrite_statement(obj, agent=agent, activity=activity, verb=verb)
    if kind == "Activity":
        return activity(obj)
    return obj


def _rewrite_context(context: Any, agent: _Rewrite, activity: _Rewrite) -> Any:
    if not isinstance(context, Mapping):
        return context
    out = dict(context)
    for key in ("instructor", "team"):
        if key in context:
            out[key] = agent(context[key])
    categories = context.get("contextActivities")
    if isinstance(categories, Mapping):
        out["contextActivities"] = {
            category: [activity(a) for a in value] if isinstance(value, list) else activity(value)
            for category, value in categories.items()
        }
    for key, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
        if isinstance(context.get(key), list):
            out[key] = [
                {**entry, inner: agent(entry.get(inner))} if isinstance(entry, Mapping) else entry
                for entry in context[key]
            ]
    return out


def _rewrite_statement(
    stmt: Mapping[str, Any], *, agent: _Rewrite, activity: _Rewrite, verb: _Rewrite
) -> Json:
    out = dict(stmt)
    for key in ("actor", "authority"):
        if key in stmt:
            out[key] = agent(stmt[key])
    if "verb" in stmt:
        out["verb"] = verb(stmt["verb"])
    if "object" in stmt:
        out["object"] = _rewrite_object(stmt["object"], agent, activity, verb)
    if "context" in stmt:
        out["context"] = _rewrite_context(stmt["context"], agent, activity)
    return out
