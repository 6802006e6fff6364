"""Context (ST-VAL-100..113) under both request versions."""

from __future__ import annotations

from typing import Any

import pytest

from lrs.errors import BadRequest
from lrs.xapi.validate import validate_statement
from lrs.xapi.versions import XapiVersion
from tests.factories import (
    make_activity,
    make_agent,
    make_group,
    make_statement,
    make_statement_ref,
)

V1 = XapiVersion.V1_0_3
V2 = XapiVersion.V2_0_0
BOTH = pytest.mark.parametrize("version", [V1, V2])


def _accepted(context: Any, version: XapiVersion = V2, **stmt: Any) -> None:
    validate_statement(make_statement(context=context, **stmt), version)


def _refused(context: Any, version: XapiVersion = V2, **stmt: Any) -> BadRequest:
    with pytest.raises(BadRequest) as info:
        validate_statement(make_statement(context=context, **stmt), version)
    return info.value


def _full_context() -> dict[str, Any]:
    return {
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "instructor": make_agent(who="teacher"),
        "team": make_group(),
        "contextActivities": {
            "parent": [make_activity("http://example.com/course")],
            "grouping": make_activity("http://example.com/program"),
            "category": [{"id": "http://example.com/profile"}],
            "other": [],
        },
        "revision": "1.2",
        "platform": "Example LMS",
        "language": "en-US",
        "statement": make_statement_ref(),
        "extensions": {"http://example.com/ext": [1, 2, None]},
    }


@BOTH
def test_st_val_100_full_context(version: XapiVersion) -> None:
    _accepted(_full_context(), version)
    _accepted({}, version)


@pytest.mark.parametrize(
    ("context", "path"),
    [
        ({"registration": "abc"}, "$.context.registration"),
        ({"registration": None}, "$.context.registration"),
        ({"instructor": {"name": "x"}}, "$.context.instructor"),
        ({"team": make_agent()}, "$.context.team.objectType"),
        ({"team": {"member": [make_agent()]}}, "$.context.team"),
        ({"revision": 2}, "$.context.revision"),
        ({"platform": False}, "$.context.platform"),
        ({"language": "english language"}, "$.context.language"),
        ({"language": ""}, "$.context.language"),
        ({"statement": make_activity()}, "$.context.statement.definition"),
        ({"statement": {"id": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"}}, "$.context.statement"),
        ({"extensions": {"x": 1}}, "$.context.extensions.x"),
        ({"mood": "happy"}, "$.context.mood"),
        ({"Registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"}, "$.context.Registration"),
    ],
)
def test_st_val_100_108_context_refusals(context: dict[str, Any], path: str) -> None:
    assert _refused(context).path == path


@pytest.mark.parametrize(
    ("activities", "path"),
    [
        ({"parents": []}, "$.context.contextActivities.parents"),
        ({"Parent": []}, "$.context.contextActivities.Parent"),
        ({"parent": "http://example.com/a"}, "$.context.contextActivities.parent"),
        ({"parent": None}, "$.context.contextActivities.parent"),
        ({"parent": [{"id": "nope"}]}, "$.context.contextActivities.parent[0].id"),
        (
            {"other": [make_activity(), make_agent()]},
            "$.context.contextActivities.other[1].objectType",
        ),
        ([], "$.context.contextActivities"),
    ],
)
def test_st_val_104_105_context_activities(activities: Any, path: str) -> None:
    assert _refused({"contextActivities": activities}).path == path


def test_st_val_106_revision_platform_need_activity_object_in_1_0_3() -> None:
    agent_object = make_agent(who="bob")
    for key in ("revision", "platform"):
        error = _refused({key: "x"}, V1, object=agent_object)
        assert error.path == f"$.context.{key}"
        assert "only allowed when the object is an Activity" in error.message


def test_st_val_106_applied_in_2_0_too() -> None:
    """REF-004: the reference suite refuses revision/platform without an Activity in 2.0."""
    error = _refused({"revision": "x", "platform": "y"}, V2, object=make_agent(who="bob"))
    assert error.path == "$.context.revision"


def test_st_val_106_activity_object_without_object_type_counts_as_activity() -> None:
    _accepted({"revision": "x"}, V1, object={"id": "http://example.com/a"})


def _context_agents() -> dict[str, Any]:
    return {
        "contextAgents": [
            {
                "objectType": "contextAgent",
                "agent": make_agent(who="mentor"),
                "relevantTypes": ["http://example.com/types/mentor"],
            },
            {"objectType": "contextAgent", "agent": make_agent("account", who="x")},
        ],
        "contextGroups": [
            {"objectType": "contextGroup", "group": make_group()},
            {
                "objectType": "contextGroup",
                "group": make_group(ifi="openid"),
                "relevantTypes": ["http://example.com/types/cohort"],
            },
        ],
    }


def test_st_val_109_110_context_agents_and_groups_in_2_0() -> None:
    _accepted(_context_agents(), V2)


@pytest.mark.parametrize("key", ["contextAgents", "contextGroups"])
def test_st_val_113_context_agents_refused_in_1_0_3(key: str) -> None:
    error = _refused({key: _context_agents()[key]}, V1)
    assert error.path == f"$.context.{key}"
    assert "2.0" in error.message


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        ({"agent": make_agent()}, "$.context.contextAgents[0]"),
        (
            {"objectType": "contextagent", "agent": make_agent()},
            "$.context.contextAgents[0].objectType",
        ),
        (
            {"objectType": "contextGroup", "agent": make_agent()},
            "$.context.contextAgents[0].objectType",
        ),
        ({"objectType": "contextAgent"}, "$.context.contextAgents[0]"),
        (
            {"objectType": "contextAgent", "agent": make_group()},
            "$.context.contextAgents[0].agent.objectType",
        ),
        (
            {"objectType": "contextAgent", "agent": make_agent(), "relevantTypes": []},
            "$.context.contextAgents[0].relevantTypes",
        ),
        (
            {"objectType": "contextAgent", "agent": make_agent(), "relevantTypes": ["x"]},
            "$.context.contextAgents[0].relevantTypes[0]",
        ),
        (
            {"objectType": "contextAgent", "agent": make_agent(), "role": "x"},
            "$.context.contextAgents[0].role",
        ),
    ],
)
def test_st_val_109_111_context_agent_refusals(entry: Any, path: str) -> None:
    assert _refused({"contextAgents": [entry]}).path == path


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        (
            {"objectType": "contextGroup", "group": make_agent()},
            "$.context.contextGroups[0].group.objectType",
        ),
        ({"objectType": "contextGroup"}, "$.context.contextGroups[0]"),
        (
            {
                "objectType": "contextGroup",
                "group": make_group(),
                "relevantTypes": "http://x.example",
            },
            "$.context.contextGroups[0].relevantTypes",
        ),
        ("group", "$.context.contextGroups[0]"),
    ],
)
def test_st_val_110_111_context_group_refusals(entry: Any, path: str) -> None:
    assert _refused({"contextGroups": [entry]}).path == path


def test_context_agents_must_be_array() -> None:
    assert _refused({"contextAgents": {}}).path == "$.context.contextAgents"


def test_context_must_be_object() -> None:
    assert _refused("ctx").path == "$.context"
