"""Canonical Activity definitions (ST-PROC-018..020, ACT-001..005).

The LRS keeps one definition per Activity id and folds into it the definition carried
by each statement it accepts (`merge_definition`); the Activities resource and
``format=canonical`` serve that definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Json = dict[str, Any]

_LANGUAGE_MAPS = ("name", "description")
_MERGED_MAPS = (*_LANGUAGE_MAPS, "extensions")


def merge_definition(
    current: Mapping[str, Any] | None, incoming: Mapping[str, Any] | None
) -> Json | None:
    """The canonical definition after a statement brings `incoming` (ST-PROC-019/020).

    Policy: every credential allowed to write statements may describe an Activity
    (ST-PROC-018: one id is one Activity, whoever sends it), and the latest statement
    is the best available description, so:

    - ``name``, ``description``: per language; languages the incoming map holds take
      its text (spelling fixes, ST-PROC-020), languages it lacks are kept.
    - ``extensions``: per key the same way; keys it lacks are kept.
    - ``type``, ``moreInfo`` and the interaction properties (``interactionType``,
      ``correctResponsesPattern``, ``choices``, ``scale``, ``source``, ``target``,
      ``steps``) and any other property: the incoming value when present, else kept.

    Neither argument is modified; the result is a new dict (or None when both are None).
    """
    if incoming is None:
        return dict(current) if current is not None else None
    if current is None:
        return dict(incoming)
    merged = dict(current)
    for key, value in incoming.items():
        old = current.get(key)
        if key in _MERGED_MAPS and isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = {**old, **value}
        else:
            merged[key] = value
    return merged


def activity_object(activity_id: str, definition: Mapping[str, Any] | None) -> Json:
    """The Activity object the Activities resource returns (ACT-001/002/004/005).

    An unknown or undescribed Activity still yields ``objectType`` and ``id``; the
    definition keeps every language (ACT-005).
    """
    activity: Json = {"objectType": "Activity", "id": activity_id}
    if definition:
        activity["definition"] = dict(definition)
    return activity
