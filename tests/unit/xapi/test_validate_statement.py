"""Statements, SubStatements, voiding, version and batch bodies.

ST-VAL-001..011, ST-VAL-020, ST-VAL-082..086, ST-VAL-120..132, ST-VOID-001/002,
STR-W-002/007/009/012.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from lrs.errors import BadRequest
from lrs.xapi.jsonparse import loads_strict
from lrs.xapi.validate import parse_statements_body, validate_statement
from lrs.xapi.versions import XapiVersion
from tests.factories import (
    DROP,
    make_activity,
    make_agent,
    make_attachment,
    make_statement,
    make_statement_ref,
    make_substatement,
    make_voiding,
)

V1 = XapiVersion.V1_0_3
V2 = XapiVersion.V2_0_0
BOTH = pytest.mark.parametrize("version", [V1, V2])


def _refused(stmt: Any, version: XapiVersion = V2) -> BadRequest:
    with pytest.raises(BadRequest) as info:
        validate_statement(stmt, version)
    return info.value


@BOTH
def test_minimal_and_full_statements_are_accepted(version: XapiVersion) -> None:
    validate_statement(make_statement(id=DROP, timestamp=DROP), version)
    validate_statement(
        make_statement(
            result={"success": True},
            context={"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"},
            stored="2024-05-01T12:30:01.123Z",
            authority=make_agent("account", who="lms"),
            version="1.0.0",
            attachments=[make_attachment()],
        ),
        version,
    )


def test_validation_does_not_modify_the_statement() -> None:
    stmt = make_statement(
        object=make_substatement(), context={"contextActivities": {"parent": make_activity()}}
    )
    before = copy.deepcopy(stmt)
    validate_statement(stmt, V2)
    assert stmt == before


@pytest.mark.parametrize("key", ["actor", "verb", "object"])
def test_st_val_001_required_properties(key: str) -> None:
    error = _refused(make_statement(**{key: DROP}))
    assert error.message == f"missing required property {key!r}"
    assert error.path == "$"


def test_statement_must_be_an_object() -> None:
    assert _refused([make_statement()]).path == "$"
    assert "statement object" in _refused("{}").message


@pytest.mark.parametrize("key", ["foo", "objectType", "Actor", "context_activities"])
def test_st_val_005_007_008_top_level_keys(key: str) -> None:
    stmt = make_statement()
    stmt[key] = {}
    assert _refused(stmt).path == f"$.{key}"


def test_st_val_005_case_message_at_top_level() -> None:
    stmt = make_statement()
    stmt["Verb"] = stmt.pop("verb")
    assert "'Verb' must be written 'verb'" in _refused(stmt).message


@pytest.mark.parametrize(
    "key",
    [
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    ],
)
def test_st_val_002_null_refused_for_every_top_level_property(key: str) -> None:
    stmt = make_statement()
    stmt[key] = None
    error = _refused(stmt)
    assert error.path == f"$.{key}"
    assert "null" in error.message


@pytest.mark.parametrize(
    "statement_id",
    ["", "abc", "fd41c918b88b4b20a0a5a4c32391aaa0", "{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}", 1],
)
def test_st_val_020_id_must_be_uuid(statement_id: Any) -> None:
    error = _refused(make_statement(id=statement_id))
    assert error.path == "$.id"


def test_st_val_020_uppercase_uuid_is_accepted() -> None:
    validate_statement(make_statement(id="FD41C918-B88B-4B20-A0A5-A4C32391AAA0"), V2)


@BOTH
@pytest.mark.parametrize("key", ["timestamp", "stored"])
@pytest.mark.parametrize("value", ["2024-05-01", "May 1st", "2024-02-30T00:00:00Z", ""])
def test_st_val_120_124_timestamp_and_stored_format(
    key: str, value: str, version: XapiVersion
) -> None:
    error = _refused(make_statement(**{key: value}), version)
    assert error.path == f"$.{key}"


def test_st_val_122_future_timestamp_is_accepted() -> None:
    validate_statement(make_statement(timestamp="2999-01-01T00:00:00Z"), V2)


@pytest.mark.parametrize("version_value", ["1.0.0", "1.0.3", "1.0.99"])
def test_st_val_131_1_0_3_accepts_1_0_x(version_value: str) -> None:
    validate_statement(make_statement(version=version_value), V1)


@pytest.mark.parametrize("version_value", ["2.0.0", "1.1.0", "0.95.0"])
def test_st_val_131_1_0_3_refuses_other_versions(version_value: str) -> None:
    error = _refused(make_statement(version=version_value), V1)
    assert error.path == "$.version"
    assert "must start with '1.0.'" in error.message


@pytest.mark.parametrize("version_value", ["1.0.0", "1.0.3", "2.0.0", "2.0.1-rc.1"])
def test_st_val_131_2_0_accepts_1_0_x_and_2_0_x(version_value: str) -> None:
    validate_statement(make_statement(version=version_value), V2)


@pytest.mark.parametrize("version_value", ["2.1.0", "3.0.0"])
def test_st_val_131_2_0_refuses_unknown_versions(version_value: str) -> None:
    assert "1.0.x or 2.0.x" in _refused(make_statement(version=version_value), V2).message


@BOTH
@pytest.mark.parametrize("version_value", ["1.0.x", "v1.0.0", "", 1.0, "1", "1.0.0.0"])
def test_st_val_132_version_must_be_semver(version_value: Any, version: XapiVersion) -> None:
    assert _refused(make_statement(version=version_value), version).path == "$.version"


@BOTH
def test_st_val_082_086_substatement_with_result_context_timestamp_attachments(
    version: XapiVersion,
) -> None:
    sub = make_substatement(
        result={"completion": True},
        context={"platform": "x", "contextActivities": {"parent": [make_activity()]}},
        timestamp="2999-01-01T00:00:00Z",
        attachments=[make_attachment()],
    )
    validate_statement(make_statement(object=sub), version)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("id", "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"),
        ("stored", "2024-05-01T12:30:00Z"),
        ("version", "1.0.0"),
        ("authority", make_agent()),
    ],
)
def test_st_val_083_substatement_forbidden_properties(key: str, value: Any) -> None:
    sub = make_substatement(**{key: value})
    error = _refused(make_statement(object=sub))
    assert error.path == f"$.object.{key}"
    assert "SubStatement must not have" in error.message


@pytest.mark.parametrize("key", ["actor", "verb", "object"])
def test_st_val_082_substatement_required_parts(key: str) -> None:
    error = _refused(make_statement(object=make_substatement(**{key: DROP})))
    assert error.path == "$.object"


def test_st_val_082_substatement_parts_are_fully_validated() -> None:
    sub = make_substatement(actor={"mbox": "nope"})
    assert _refused(make_statement(object=sub)).path == "$.object.actor.mbox"


def test_st_val_084_nested_substatement() -> None:
    sub = make_substatement(object=make_substatement())
    error = _refused(make_statement(object=sub))
    assert error.path == "$.object.object.objectType"


@BOTH
def test_st_val_106_applies_to_substatement_object(version: XapiVersion) -> None:
    """ST-VAL-106 under both versions (REF-004)."""
    sub = make_substatement(object=make_agent(who="x"), context={"revision": "1"})
    assert _refused(make_statement(object=sub), version).path == "$.object.context.revision"


@BOTH
def test_st_val_106_statement_with_substatement_object(version: XapiVersion) -> None:
    """ST-VAL-106 under both versions (REF-004)."""
    stmt = make_statement(object=make_substatement(), context={"platform": "x"})
    assert _refused(stmt, version).path == "$.context.platform"


@BOTH
def test_ref_002_version_without_patch_level(version: XapiVersion) -> None:
    validate_statement(make_statement(version="1.0"), version)
    if version is V2:
        validate_statement(make_statement(version="2.0"), version)
    else:
        assert "1.0." in _refused(make_statement(version="2.0"), version).message


@BOTH
@pytest.mark.parametrize("offset", ["-00", "-0000", "-00:00"])
def test_ref_003_negative_zero_offset_refused(version: XapiVersion, offset: str) -> None:
    stamp = f"2024-05-01T12:30:00.000{offset}"
    assert _refused(make_statement(timestamp=stamp), version).path == "$.timestamp"
    sub = make_substatement(timestamp=stamp)
    assert _refused(make_statement(object=sub), version).path == "$.object.timestamp"
    validate_statement(make_statement(timestamp="2024-05-01T12:30:00-05:00"), version)


def test_st_val_113_substatement_context_agents_in_1_0_3() -> None:
    entry = {"objectType": "contextAgent", "agent": make_agent()}
    sub = make_substatement(context={"contextAgents": [entry]})
    assert _refused(make_statement(object=sub), V1).path == "$.object.context.contextAgents"
    validate_statement(make_statement(object=sub), V2)


@BOTH
def test_st_void_voiding_statement_is_accepted(version: XapiVersion) -> None:
    validate_statement(make_voiding("fd41c918-b88b-4b20-a0a5-a4c32391aaa0"), version)


@pytest.mark.parametrize(
    "target", [make_activity(), make_agent(), make_substatement(), {"id": "http://example.com/a"}]
)
def test_st_void_001_voiding_needs_statement_ref(target: dict[str, Any]) -> None:
    stmt = make_voiding("fd41c918-b88b-4b20-a0a5-a4c32391aaa0", object=target)
    error = _refused(stmt)
    assert error.path == "$.object"
    assert "StatementRef" in error.message


def test_st_void_002_voiding_statement_ref_needs_id() -> None:
    stmt = make_voiding("fd41c918-b88b-4b20-a0a5-a4c32391aaa0")
    del stmt["object"]["id"]
    error = _refused(stmt)
    assert error.path == "$.object"
    assert "'id'" in error.message


def test_statement_ref_object_with_other_verb_is_fine() -> None:
    validate_statement(make_statement(object=make_statement_ref()), V2)


# --- parse_statements_body (STR-W-002, 007, 009, 012) ---


def test_str_w_007_post_single_object() -> None:
    stmt = make_statement()
    assert parse_statements_body(stmt, V2) == [stmt]


def test_str_w_007_post_array() -> None:
    batch = [make_statement(), make_statement(id=DROP), make_statement(id=DROP)]
    result = parse_statements_body(batch, V2)
    assert result == batch
    assert result[0] is batch[0]


def test_str_w_002_put_single_object() -> None:
    stmt = make_statement()
    assert parse_statements_body(stmt, V1, single=True) == [stmt]


def test_str_w_002_put_refuses_array() -> None:
    with pytest.raises(BadRequest, match="single statement object") as info:
        parse_statements_body([make_statement()], V2, single=True)
    assert info.value.path == "$"


@pytest.mark.parametrize("body", ["statement", 1, None, True])
def test_str_w_012_body_of_wrong_shape(body: Any) -> None:
    with pytest.raises(BadRequest, match="statement object or an array") as info:
        parse_statements_body(body, V2)
    assert info.value.path == "$"


def test_str_w_012_empty_array_is_refused() -> None:
    with pytest.raises(BadRequest, match="empty array"):
        parse_statements_body([], V2)


def test_batch_error_paths_index_the_statement() -> None:
    batch = [make_statement(), make_statement(), make_statement(actor={"mbox": "bad"})]
    with pytest.raises(BadRequest) as info:
        parse_statements_body(batch, V2)
    assert info.value.path == "$[2].actor.mbox"
    with pytest.raises(BadRequest) as info:
        parse_statements_body([make_statement(), "x"], V2)
    assert info.value.path == "$[1]"


def test_str_w_009_duplicate_ids_in_batch() -> None:
    first = make_statement()
    duplicate = make_statement(id=first["id"].upper())
    with pytest.raises(BadRequest, match="appears twice") as info:
        parse_statements_body([first, make_statement(), duplicate], V2)
    assert info.value.path == "$[2].id"


def test_single_statement_error_path_is_root() -> None:
    with pytest.raises(BadRequest) as info:
        parse_statements_body(make_statement(verb={"id": "x"}), V2)
    assert info.value.path == "$.verb.id"


def test_st_val_011_property_order_does_not_matter() -> None:
    stmt = make_statement(result={"success": True})
    reordered = dict(reversed(list(stmt.items())))
    validate_statement(reordered, V2)


def test_parsed_json_round_trip() -> None:
    body = loads_strict(
        b'{"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://example.com/v"},'
        b' "object": {"id": "http://example.com/a"}, "result": {"score": {"raw": 1.5}}}'
    )
    assert parse_statements_body(body, V2) == [body]


# A batch checks each distinct Activity object once (lrs.xapi.validate.objects): the answers
# must be those of checking every one.


def _batch_refused(batch: list[dict[str, Any]]) -> BadRequest:
    with pytest.raises(BadRequest) as info:
        parse_statements_body(batch, V2)
    return info.value


def _with_parent(parent: dict[str, Any]) -> dict[str, Any]:
    return make_statement(context={"contextActivities": {"parent": [parent]}})


def test_a_repeated_activity_is_accepted_and_a_different_one_still_checked() -> None:
    parent = make_activity("http://example.com/module-1")
    assert len(parse_statements_body([_with_parent(parent), _with_parent(parent)], V2)) == 2
    broken = {**parent, "definition": {"name": "not a language map"}}
    error = _batch_refused([_with_parent(parent), _with_parent(parent), _with_parent(broken)])
    assert error.path == "$[2].context.contextActivities.parent[0].definition.name"


def test_an_invalid_activity_is_refused_at_its_first_place_in_every_batch() -> None:
    broken = make_activity("not an iri")
    for _ in range(2):  # nothing is remembered from one batch to the next
        error = _batch_refused([make_statement(), _with_parent(broken), _with_parent(broken)])
        assert error.path == "$[1].context.contextActivities.parent[0].id"
    assert _refused(make_statement(object=broken)).path == "$.object.id"


def test_an_activity_orjson_cannot_write_is_still_checked() -> None:
    huge = make_activity(definition={"extensions": {"http://example.com/n": 2**70}})
    assert len(parse_statements_body([_with_parent(huge), _with_parent(huge)], V2)) == 2
    bad = {**huge, "unexpected": 2**70}
    error = _batch_refused([_with_parent(huge), _with_parent(bad)])
    assert error.path == "$[1].context.contextActivities.parent[0].unexpected"
