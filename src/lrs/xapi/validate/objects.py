"""Statement objects other than SubStatement: Activity, Agent/Group, StatementRef.

Covers ST-VAL-060..076 and ST-VAL-080. SubStatements are handled in ``statement`` because
they reuse the whole statement rule set.
"""

from __future__ import annotations

import orjson

from lrs.xapi.validate._common import (
    Check,
    JsonObject,
    Keys,
    check_array,
    check_enum,
    check_extensions,
    check_iri,
    check_irl,
    check_language_map,
    check_object,
    check_properties,
    check_string,
    check_uuid,
    fail,
)
from lrs.xapi.validate.agents import validate_agent, validate_group
from lrs.xapi.versions import XapiVersion

OBJECT_TYPES = ("Activity", "Agent", "Group", "StatementRef", "SubStatement")
INTERACTION_TYPES = (
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
)
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
# ST-VAL-074: which component lists each interaction type may carry.
_ALLOWED_LISTS: dict[str, frozenset[str]] = {
    "choice": frozenset({"choices"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
}
_INTERACTION_KEYS = frozenset(("interactionType", "correctResponsesPattern", *COMPONENT_LISTS))

_ACTIVITY_KEYS = Keys(("objectType", "id", "definition"), required=("id",))
# The Definition properties other than the interaction ones, all optional, with their checks.
_DEFINITION_PROPERTIES: dict[str, Check] = {
    "name": check_language_map,
    "description": check_language_map,
    "type": check_iri,
    "moreInfo": check_irl,
    "extensions": check_extensions,
}
_DEFINITION_KEYS = Keys((*_DEFINITION_PROPERTIES, *_INTERACTION_KEYS))
_COMPONENT_KEYS = Keys(("id", "description"), required=("id",))
_STATEMENT_REF_KEYS = Keys(("objectType", "id"), required=("objectType", "id"))


def object_type(obj: JsonObject, path: str) -> str:
    """The object's ``objectType``; absent means Activity (ST-VAL-060, ST-VAL-061)."""
    if "objectType" not in obj:
        return "Activity"
    return check_enum(obj["objectType"], OBJECT_TYPES, f"{path}.objectType")


def validate_simple_object(obj: JsonObject, kind: str, version: XapiVersion, path: str) -> None:
    """Validate an object whose ``objectType`` is anything but SubStatement (ST-VAL-064)."""
    if kind == "Activity":
        validate_activity(obj, version, path=path)
    elif kind == "Agent":
        validate_agent(obj, version, path=path)
    elif kind == "Group":
        validate_group(obj, version, path=path)
    elif kind == "StatementRef":
        validate_statement_ref(obj, version, path=path)
    else:  # pragma: no cover - object_type() only returns the known names
        fail(f"unexpected objectType {kind!r}", f"{path}.objectType")


class _ValidActivities:
    """Activity objects found valid, by their JSON text, across requests: authoring tools
    send the same lesson, module and course (each with its definition) in statement after
    statement, and a batch repeats them too. Checking such objects again was half the
    validation of a realistic statement (11 of 22 µs of the server's CPU, 4 activities).
    Bounded in bytes: past the bound it starts afresh; a text past MAX_TEXT is not kept.
    Sets are safe to share with the worker threads that validate large batches."""

    MAX_BYTES = 4 * 1024 * 1024
    MAX_TEXT = 16 * 1024

    def __init__(self) -> None:
        self._texts: set[bytes] = set()
        self._bytes = 0

    def __contains__(self, text: bytes) -> bool:
        return text in self._texts

    def add(self, text: bytes) -> None:
        if len(text) > self.MAX_TEXT:
            return
        if self._bytes + len(text) > self.MAX_BYTES:
            self._texts = set()
            self._bytes = 0
        self._texts.add(text)
        self._bytes += len(text)


_VALID_ACTIVITIES = _ValidActivities()


def validate_activity(obj: object, version: XapiVersion, *, path: str) -> None:
    """An Activity: IRI ``id``, optional ``definition``, nothing else (ST-VAL-062, ST-VAL-063).
    One identical (same JSON text) to an Activity found valid before is not checked again;
    an invalid one is checked, and answered with its own path, every time."""
    try:
        text = orjson.dumps(obj)
    except orjson.JSONEncodeError:  # an integer past 64 bits, say: checked as it is
        _validate_activity(obj, path)
        return
    if text not in _VALID_ACTIVITIES:
        _validate_activity(obj, path)
        _VALID_ACTIVITIES.add(text)


def _validate_activity(obj: object, path: str) -> None:
    activity = check_object(obj, path, "an Activity object")
    if "objectType" in activity:
        kind = check_enum(activity["objectType"], OBJECT_TYPES, f"{path}.objectType")
        if kind != "Activity":
            fail(f"must be an Activity here, not {kind!r}", f"{path}.objectType")
    _ACTIVITY_KEYS.check(activity, path)
    check_iri(activity["id"], f"{path}.id")
    if "definition" in activity:
        validate_definition(activity["definition"], f"{path}.definition")


def validate_statement_ref(obj: object, version: XapiVersion, *, path: str) -> None:
    """``objectType: "StatementRef"`` and a UUID ``id``, nothing else (ST-VAL-080)."""
    ref = check_object(obj, path, "a StatementRef object")
    _STATEMENT_REF_KEYS.check(ref, path)
    kind = check_enum(ref["objectType"], OBJECT_TYPES, f"{path}.objectType")
    if kind != "StatementRef":
        fail(f"must be a StatementRef here, not {kind!r}", f"{path}.objectType")
    check_uuid(ref["id"], f"{path}.id")


def validate_definition(value: object, path: str) -> None:
    """An Activity Definition (ST-VAL-063) with its interaction properties (ST-VAL-070..076)."""
    definition = check_object(value, path, "an Activity definition object")
    _DEFINITION_KEYS.check(definition, path)
    check_properties(definition, _DEFINITION_PROPERTIES, path)
    if not _INTERACTION_KEYS.isdisjoint(definition):
        _check_interaction(definition, path)


def _check_interaction(definition: JsonObject, path: str) -> None:
    if "interactionType" not in definition:
        used = sorted(_INTERACTION_KEYS.intersection(definition))[0]
        fail(f"{used!r} needs an 'interactionType' in the same definition", f"{path}.{used}")
    kind = check_enum(definition["interactionType"], INTERACTION_TYPES, f"{path}.interactionType")
    if "correctResponsesPattern" in definition:
        pattern_path = f"{path}.correctResponsesPattern"
        # ST-VAL-075/076: no limit on count or length, no parsing of the patterns themselves.
        for index, pattern in enumerate(
            check_array(definition["correctResponsesPattern"], pattern_path)
        ):
            check_string(pattern, f"{pattern_path}[{index}]")
    allowed = _ALLOWED_LISTS.get(kind, frozenset())
    for key in COMPONENT_LISTS:
        if key in definition:
            if key not in allowed:
                fail(f"an interaction of type {kind!r} cannot have {key!r}", f"{path}.{key}")
            _check_components(definition[key], f"{path}.{key}")


def _check_components(value: object, path: str) -> None:
    """Components with a string ``id``, unique in their list (ST-VAL-072, ST-VAL-073)."""
    seen: set[str] = set()
    for index, item in enumerate(check_array(value, path)):
        item_path = f"{path}[{index}]"
        component = check_object(item, item_path, "an interaction component object")
        _COMPONENT_KEYS.check(component, item_path)
        component_id = check_string(component["id"], f"{item_path}.id")
        if component_id in seen:
            fail(f"interaction component id {component_id!r} is repeated", f"{item_path}.id")
        seen.add(component_id)
        if "description" in component:
            check_language_map(component["description"], f"{item_path}.description")
