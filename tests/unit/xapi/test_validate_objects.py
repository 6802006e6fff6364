"""Statement objects: Activity, definition, interactions, Agent/Group objects, StatementRef.

ST-VAL-060..076, ST-VAL-080.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from lrs.errors import BadRequest
from lrs.xapi.validate import objects, validate_statement
from lrs.xapi.validate.objects import validate_activity, validate_statement_ref
from lrs.xapi.versions import XapiVersion
from tests.factories import make_activity, make_agent, make_group, make_statement

V2 = XapiVersion.V2_0_0
BOTH = pytest.mark.parametrize("version", [XapiVersion.V1_0_3, V2])


def _accepted(obj: Any, version: XapiVersion = V2) -> None:
    validate_statement(make_statement(object=obj), version)


def _refused(obj: Any, version: XapiVersion = V2) -> BadRequest:
    with pytest.raises(BadRequest) as info:
        validate_statement(make_statement(object=obj), version)
    return info.value


def _definition(**fields: Any) -> dict[str, Any]:
    return make_activity(definition=fields)


@BOTH
def test_st_val_060_object_without_object_type_is_an_activity(version: XapiVersion) -> None:
    _accepted({"id": "http://example.com/a"}, version)


def test_st_val_061_unknown_object_type() -> None:
    error = _refused({"objectType": "Person", "id": "http://example.com/a"})
    assert error.path == "$.object.objectType"


def test_st_val_061_object_type_case() -> None:
    error = _refused({"objectType": "activity", "id": "http://example.com/a"})
    assert "exactly 'Activity'" in error.message


def test_st_val_062_activity_requires_id() -> None:
    error = _refused({"objectType": "Activity"})
    assert error.message == "missing required property 'id'"
    assert error.path == "$.object"


@pytest.mark.parametrize("activity_id", ["", "lesson-1", "/a/b", 5, None])
def test_st_val_062_activity_id_must_be_iri(activity_id: Any) -> None:
    assert _refused({"id": activity_id}).path == "$.object.id"


def test_st_val_062_activity_extra_property() -> None:
    assert _refused(make_activity(name="x")).path == "$.object.name"


def test_st_val_063_full_definition_is_accepted() -> None:
    _accepted(
        _definition(
            name={"en-US": "Name"},
            description={"en-US": "Desc"},
            type="http://adlnet.gov/expapi/activities/course",
            moreInfo="https://example.com/more",
            extensions={"http://example.com/ext": {"anything": None}},
        )
    )


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"name": "Name"}, "$.object.definition.name"),
        ({"description": {"en_US": "x"}}, "$.object.definition.description.en_US"),
        ({"type": "course"}, "$.object.definition.type"),
        ({"moreInfo": "more.html"}, "$.object.definition.moreInfo"),
        ({"extensions": {"ext": 1}}, "$.object.definition.extensions.ext"),
        ({"extensions": []}, "$.object.definition.extensions"),
        ({"Name": {"en": "x"}}, "$.object.definition.Name"),
        ({"foo": 1}, "$.object.definition.foo"),
    ],
)
def test_st_val_063_definition_refusals(fields: dict[str, Any], path: str) -> None:
    assert _refused(_definition(**fields)).path == path


def test_st_val_063_definition_must_be_object() -> None:
    activity = make_activity()
    activity["definition"] = []
    assert _refused(activity).path == "$.object.definition"


@BOTH
@pytest.mark.parametrize(
    "interaction",
    [
        {"interactionType": "true-false", "correctResponsesPattern": ["true"]},
        {
            "interactionType": "choice",
            "correctResponsesPattern": ["golf[,]tetris"],
            "choices": [
                {"id": "golf", "description": {"en-US": "Golf Example"}},
                {"id": "tetris", "description": {"en-US": "Tetris Example"}},
            ],
        },
        {"interactionType": "fill-in", "correctResponsesPattern": ["{case_matters=maybe}Bob"]},
        {"interactionType": "long-fill-in", "correctResponsesPattern": ["x" * 10_000]},
        {
            "interactionType": "matching",
            "correctResponsesPattern": ["ben[.]3"],
            "source": [{"id": "ben"}],
            "target": [{"id": "3"}],
        },
        {
            "interactionType": "performance",
            "correctResponsesPattern": ["pong[.]1:[,]dg[.]:10"],
            "steps": [{"id": "pong"}, {"id": "dg"}],
        },
        {"interactionType": "sequencing", "choices": [{"id": "a"}, {"id": "b"}]},
        {"interactionType": "likert", "scale": [{"id": "likert_0"}, {"id": "likert_1"}]},
        {"interactionType": "numeric", "correctResponsesPattern": ["4[:]"]},
        {"interactionType": "other", "correctResponsesPattern": []},
        {"interactionType": "choice"},
    ],
)
def test_st_val_070_076_valid_interactions(
    interaction: dict[str, Any], version: XapiVersion
) -> None:
    _accepted(_definition(name={"en": "Q"}, **interaction), version)


def test_st_val_070_interaction_property_without_interaction_type() -> None:
    error = _refused(_definition(choices=[{"id": "a"}]))
    assert error.path == "$.object.definition.choices"
    assert "interactionType" in error.message


@pytest.mark.parametrize("kind", ["True-False", "multiple-choice", "", "fillin"])
def test_st_val_070_unknown_interaction_type(kind: str) -> None:
    error = _refused(_definition(interactionType=kind))
    assert error.path == "$.object.definition.interactionType"


def test_st_val_071_correct_responses_pattern_must_be_string_array() -> None:
    assert (
        _refused(_definition(interactionType="other", correctResponsesPattern="a")).path
        == "$.object.definition.correctResponsesPattern"
    )
    assert (
        _refused(_definition(interactionType="numeric", correctResponsesPattern=["1", 2])).path
        == "$.object.definition.correctResponsesPattern[1]"
    )


@pytest.mark.parametrize(
    ("components", "path"),
    [
        ("golf", "$.object.definition.choices"),
        (["golf"], "$.object.definition.choices[0]"),
        ([{"description": {"en": "x"}}], "$.object.definition.choices[0]"),
        ([{"id": 1}], "$.object.definition.choices[0].id"),
        ([{"id": "a", "name": "x"}], "$.object.definition.choices[0].name"),
        ([{"id": "a", "description": "x"}], "$.object.definition.choices[0].description"),
        ([{"id": "a"}, {"id": "b"}, {"id": "a"}], "$.object.definition.choices[2].id"),
    ],
)
def test_st_val_072_073_components(components: Any, path: str) -> None:
    error = _refused(_definition(interactionType="choice", choices=components))
    assert error.path == path


def test_st_val_073_duplicate_message() -> None:
    error = _refused(_definition(interactionType="choice", choices=[{"id": "a"}, {"id": "a"}]))
    assert "'a' is repeated" in error.message


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("true-false", "choices"),
        ("choice", "scale"),
        ("likert", "choices"),
        ("matching", "steps"),
        ("performance", "source"),
        ("numeric", "target"),
        ("other", "steps"),
        ("fill-in", "choices"),
    ],
)
def test_st_val_074_component_list_must_fit_interaction_type(kind: str, key: str) -> None:
    error = _refused(_definition(interactionType=kind, **{key: [{"id": "a"}]}))
    assert error.path == f"$.object.definition.{key}"
    assert f"type {kind!r} cannot have {key!r}" in error.message


@BOTH
def test_st_val_064_agent_and_group_objects(version: XapiVersion) -> None:
    _accepted(make_agent(who="bob"), version)
    _accepted(make_group(), version)


def test_st_val_064_agent_object_without_object_type_is_read_as_activity() -> None:
    agent = make_agent()
    del agent["objectType"]
    error = _refused(agent)
    assert error.path == "$.object.mbox"
    assert error.message == "unknown property 'mbox'"


@BOTH
def test_st_val_080_statement_ref(version: XapiVersion) -> None:
    ref = {"objectType": "StatementRef", "id": "FD41C918-B88B-4B20-A0A5-A4C32391AAA0"}
    _accepted(ref, version)


@pytest.mark.parametrize(
    ("ref", "path"),
    [
        ({"objectType": "StatementRef"}, "$.object"),
        ({"objectType": "StatementRef", "id": "not-a-uuid"}, "$.object.id"),
        ({"objectType": "StatementRef", "id": 1}, "$.object.id"),
        (
            {
                "objectType": "StatementRef",
                "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
                "definition": {},
            },
            "$.object.definition",
        ),
    ],
)
def test_st_val_080_statement_ref_refusals(ref: dict[str, Any], path: str) -> None:
    assert _refused(ref).path == path


def test_validate_statement_ref_needs_object_type() -> None:
    with pytest.raises(BadRequest) as info:
        validate_statement_ref({"id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}, V2, path="$.s")
    assert info.value.message == "missing required property 'objectType'"
    with pytest.raises(BadRequest, match="must be a StatementRef"):
        validate_statement_ref(
            {"objectType": "Activity", "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}, V2, path="$"
        )


def test_validate_activity_refuses_other_object_types() -> None:
    with pytest.raises(BadRequest, match="must be an Activity") as info:
        validate_activity(make_agent(), V2, path="$.context.contextActivities.parent")
    assert info.value.path == "$.context.contextActivities.parent.objectType"


def test_object_must_be_an_object() -> None:
    assert _refused("http://example.com/a").path == "$.object"
    assert _refused(None).path == "$.object"


def test_an_activity_found_valid_is_remembered_and_an_invalid_one_never_is() -> None:
    """ST-VAL-062/063: the memory of valid Activity objects changes no answer. An identical
    object is valid wherever it appears; an invalid one is refused with its own path each
    time, however many times it is sent."""
    activity = make_activity("http://example.com/remembered")
    activity["definition"] = {"name": {"en-US": "Remembered"}, "interactionType": "choice"}
    validate_activity(activity, V2, path="$.object")
    assert orjson.dumps(activity) in objects._VALID_ACTIVITIES
    validate_activity(activity, V2, path="$.context.contextActivities.parent[0]")
    broken = {**activity, "definition": {"interactionType": "no-such-type"}}
    for path in ("$.object", "$.context.contextActivities.grouping[0]"):
        with pytest.raises(BadRequest) as info:
            validate_activity(broken, V2, path=path)
        assert info.value.path == f"{path}.definition.interactionType"
    assert orjson.dumps(broken) not in objects._VALID_ACTIVITIES


def test_the_memory_of_valid_activities_is_bounded_in_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memory = objects._ValidActivities()
    monkeypatch.setattr(objects._ValidActivities, "MAX_BYTES", 100)
    monkeypatch.setattr(objects._ValidActivities, "MAX_TEXT", 60)
    memory.add(b"x" * 61)  # past MAX_TEXT: not kept
    assert b"x" * 61 not in memory
    memory.add(b"a" * 60)
    memory.add(b"b" * 30)
    assert b"a" * 60 in memory
    assert b"b" * 30 in memory
    memory.add(b"c" * 20)  # 110 bytes in all: starts afresh
    assert b"a" * 60 not in memory
    assert b"c" * 20 in memory
