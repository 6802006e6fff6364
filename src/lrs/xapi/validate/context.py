"""The Context object (ST-VAL-100..113)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from lrs.xapi import primitives
from lrs.xapi.jsonparse import child_path
from lrs.xapi.validate._common import (
    JsonObject,
    Keys,
    check_array,
    check_enum,
    check_extensions,
    check_iri_list,
    check_object,
    check_string,
    check_uuid,
    fail,
)
from lrs.xapi.validate.agents import validate_actor, validate_agent, validate_group
from lrs.xapi.validate.objects import validate_activity, validate_statement_ref
from lrs.xapi.versions import XapiVersion

_BASE_KEYS = (
    "registration",
    "instructor",
    "team",
    "contextActivities",
    "revision",
    "platform",
    "language",
    "statement",
    "extensions",
)
_CONTEXT_KEYS = {
    XapiVersion.V1_0_3: Keys(_BASE_KEYS),
    XapiVersion.V2_0_0: Keys((*_BASE_KEYS, "contextAgents", "contextGroups")),
}
_CONTEXT_ACTIVITIES_KEYS = Keys(("parent", "grouping", "category", "other"))


class _MemberValidator(Protocol):
    def __call__(self, obj: object, version: XapiVersion, *, path: str) -> None: ...


@dataclass(frozen=True)
class _ContextEntry:
    """One kind of contextAgents / contextGroups entry: its objectType and its member."""

    object_type: str
    member: str
    validate: _MemberValidator

    @cached_property
    def keys(self) -> Keys:
        return Keys(
            ("objectType", self.member, "relevantTypes"), required=("objectType", self.member)
        )


_CONTEXT_ENTRIES = {
    "contextAgents": _ContextEntry("contextAgent", "agent", validate_agent),
    "contextGroups": _ContextEntry("contextGroup", "group", validate_group),
}


def validate_context(
    obj: object, version: XapiVersion, *, path: str, object_is_activity: bool = True
) -> None:
    """Validate ``context``; ``object_is_activity`` feeds ST-VAL-106, applied under both
    versions as the reference suite reads it (REF-004)."""
    context = check_object(obj, path, "a Context object")
    _check_context_keys(context, version, path)
    if "registration" in context:
        check_uuid(context["registration"], f"{path}.registration")
    if "instructor" in context:
        validate_actor(context["instructor"], version, path=f"{path}.instructor")
    if "team" in context:
        validate_group(context["team"], version, path=f"{path}.team")
    if "contextActivities" in context:
        _check_context_activities(
            context["contextActivities"], version, f"{path}.contextActivities"
        )
    for key in ("revision", "platform"):
        if key in context:
            check_string(context[key], f"{path}.{key}")
            if not object_is_activity:
                fail(
                    f"context.{key} is only allowed when the object is an Activity", f"{path}.{key}"
                )
    if "language" in context:
        language = check_string(context["language"], f"{path}.language")
        if not primitives.is_language_tag(language):
            fail(f"{language!r} is not an RFC 5646 language tag", f"{path}.language")
    if "statement" in context:
        validate_statement_ref(context["statement"], version, path=f"{path}.statement")
    if "extensions" in context:
        check_extensions(context["extensions"], f"{path}.extensions")
    for key, entry in _CONTEXT_ENTRIES.items():
        if key in context:
            _check_context_entries(context[key], version, f"{path}.{key}", entry)


def _check_context_keys(context: JsonObject, version: XapiVersion, path: str) -> None:
    if version is XapiVersion.V1_0_3:
        for key in ("contextAgents", "contextGroups"):
            if key in context:
                fail(
                    f"{key!r} is an xAPI 2.0 property; it is not allowed in a 1.0.x request",
                    child_path(path, key),
                )
    _CONTEXT_KEYS[version].check(context, path)


def _check_context_activities(value: object, version: XapiVersion, path: str) -> None:
    """Keys parent/grouping/category/other, each an Activity or array (ST-VAL-104, 105)."""
    mapping = check_object(value, path, "a contextActivities object")
    _CONTEXT_ACTIVITIES_KEYS.check(mapping, path)
    for key, entry in mapping.items():
        entry_path = f"{path}.{key}"
        if isinstance(entry, list):
            for index, activity in enumerate(entry):
                validate_activity(activity, version, path=f"{entry_path}[{index}]")
        else:
            validate_activity(entry, version, path=entry_path)


def _check_context_entries(
    value: object, version: XapiVersion, path: str, entry: _ContextEntry
) -> None:
    """Each entry: ``objectType: "contextAgent"`` with an Agent (ST-VAL-109), or
    ``objectType: "contextGroup"`` with a Group (ST-VAL-110); optional relevantTypes."""
    for index, item in enumerate(check_array(value, path)):
        item_path = f"{path}[{index}]"
        obj = check_object(item, item_path, f"a {entry.object_type} object")
        entry.keys.check(obj, item_path)
        check_enum(obj["objectType"], (entry.object_type,), f"{item_path}.objectType")
        entry.validate(obj[entry.member], version, path=f"{item_path}.{entry.member}")
        if "relevantTypes" in obj:
            check_iri_list(obj["relevantTypes"], f"{item_path}.relevantTypes")
