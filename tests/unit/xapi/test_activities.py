"""Canonical Activity definitions (ST-PROC-019/020, ACT-001..005)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from lrs.xapi.activities import activity_object, merge_definition

AID = "https://example.com/course"


def _definition(**extra: Any) -> dict[str, Any]:
    return {
        "name": {"en-US": "Course"},
        "description": {"en-US": "A course"},
        "type": "https://example.com/types/course",
        **extra,
    }


def test_nothing_known_and_nothing_brought() -> None:
    assert merge_definition(None, None) is None


def test_first_definition_is_taken() -> None:
    incoming = _definition()
    merged = merge_definition(None, incoming)
    assert merged == incoming
    assert merged is not incoming


def test_statement_without_definition_keeps_current() -> None:
    current = _definition()
    assert merge_definition(current, None) == current


def test_new_languages_are_added() -> None:
    """ST-PROC-019: names/descriptions in new languages join the canonical maps."""
    merged = merge_definition(
        _definition(), {"name": {"fr": "Cours"}, "description": {"de": "Ein Kurs"}}
    )
    assert merged is not None
    assert merged["name"] == {"en-US": "Course", "fr": "Cours"}
    assert merged["description"] == {"en-US": "A course", "de": "Ein Kurs"}
    assert merged["type"] == "https://example.com/types/course"


def test_existing_language_takes_incoming_text() -> None:
    """ST-PROC-020 allows small fixes such as spelling."""
    merged = merge_definition(
        _definition(name={"en-US": "Cuorse", "fr": "Cours"}), {"name": {"en-US": "Course"}}
    )
    assert merged is not None
    assert merged["name"] == {"en-US": "Course", "fr": "Cours"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("type", "https://example.com/types/module"),
        ("moreInfo", "https://example.com/info"),
        ("interactionType", "choice"),
        ("correctResponsesPattern", ["b"]),
        ("choices", [{"id": "a"}, {"id": "b"}]),
        ("scale", [{"id": "1"}]),
        ("source", [{"id": "s"}]),
        ("target", [{"id": "t"}]),
        ("steps", [{"id": "1"}]),
    ],
)
def test_scalar_and_interaction_properties_take_incoming(key: str, value: Any) -> None:
    current = _definition(
        moreInfo="https://example.com/old",
        interactionType="true-false",
        correctResponsesPattern=["true"],
        choices=[{"id": "x", "description": {"en": "X"}}],
        scale=[{"id": "0"}],
        source=[{"id": "s0"}],
        target=[{"id": "t0"}],
        steps=[{"id": "0"}],
    )
    merged = merge_definition(current, {key: value})
    assert merged is not None
    assert merged[key] == value
    assert {k: v for k, v in merged.items() if k != key} == {
        k: v for k, v in current.items() if k != key
    }


def test_properties_absent_from_incoming_are_kept() -> None:
    current = _definition(moreInfo="https://example.com/info", correctResponsesPattern=["a"])
    merged = merge_definition(current, {"name": {"en-US": "Course"}})
    assert merged == current


def test_extensions_merged_per_key() -> None:
    current = _definition(extensions={"https://example.com/a": 1, "https://example.com/b": 2})
    merged = merge_definition(
        current, {"extensions": {"https://example.com/b": 3, "https://example.com/c": None}}
    )
    assert merged is not None
    assert merged["extensions"] == {
        "https://example.com/a": 1,
        "https://example.com/b": 3,
        "https://example.com/c": None,
    }


def test_filled_when_current_lacks_a_property() -> None:
    merged = merge_definition(
        {"name": {"en": "A"}},
        {"description": {"en": "B"}, "extensions": {"https://e.example/x": 1}},
    )
    assert merged == {
        "name": {"en": "A"},
        "description": {"en": "B"},
        "extensions": {"https://e.example/x": 1},
    }


def test_inputs_not_mutated() -> None:
    current = _definition(extensions={"https://example.com/a": 1})
    incoming = {"name": {"fr": "Cours"}, "extensions": {"https://example.com/b": 2}}
    before = copy.deepcopy((current, incoming))
    merge_definition(current, incoming)
    assert (current, incoming) == before


def test_activity_object_with_definition() -> None:
    """ACT-001/004/005: objectType, id and the full canonical definition."""
    definition = _definition(name={"en-US": "Course", "fr": "Cours"})
    assert activity_object(AID, definition) == {
        "objectType": "Activity",
        "id": AID,
        "definition": definition,
    }


@pytest.mark.parametrize("definition", [None, {}])
def test_activity_object_unknown_activity(definition: dict[str, Any] | None) -> None:
    """ACT-002: an Activity object with at least its id, not a 404."""
    assert activity_object(AID, definition) == {"objectType": "Activity", "id": AID}
