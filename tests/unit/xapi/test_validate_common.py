"""Shared checks: keys, JSON types, enums, maps (ST-VAL-002..008, ST-VAL-150..171)."""

from __future__ import annotations

import pytest

from lrs.errors import BadRequest
from lrs.xapi.validate import _common as c


def _refused(call: object, *args: object) -> BadRequest:
    assert callable(call)
    with pytest.raises(BadRequest) as info:
        call(*args)
    return info.value


KEYS = c.Keys(("id", "display"), required=("id",))


def test_keys_accepts_allowed_and_required() -> None:
    KEYS.check({"id": 1}, "$.verb")
    KEYS.check({"id": 1, "display": {}}, "$.verb")


def test_st_val_008_unknown_property() -> None:
    error = _refused(KEYS.check, {"id": 1, "foo": 2}, "$.verb")
    assert error.message == "unknown property 'foo'"
    assert error.path == "$.verb.foo"


def test_st_val_005_case_mismatch_names_the_right_spelling() -> None:
    error = _refused(KEYS.check, {"ID": 1}, "$.verb")
    assert "'ID' must be written 'id'" in error.message
    assert "case-sensitive" in error.message
    assert error.path == "$.verb.ID"


def test_missing_required_property() -> None:
    error = _refused(KEYS.check, {"display": {}}, "$.verb")
    assert error.message == "missing required property 'id'"
    assert error.path == "$.verb"


@pytest.mark.parametrize(
    ("check", "value", "expected"),
    [
        (c.check_string, 1, "must be a string, not a number"),
        (c.check_string, None, "null is not allowed"),
        (c.check_bool, "true", "must be a boolean"),
        (c.check_bool, 1, "must be a boolean"),
        (c.check_bool, 0, "must be a boolean"),
        (c.check_number, True, "must be a number, not a boolean"),
        (c.check_number, "1", "must be a number, not a string"),
        (c.check_number, float("nan"), "finite"),
        (c.check_number, float("inf"), "finite"),
        (c.check_array, {}, "must be an array, not an object"),
        (c.check_object, [], "must be an object, not an array"),
    ],
)
def test_st_val_002_003_wrong_json_types(check: object, value: object, expected: str) -> None:
    error = _refused(check, value, "$.x")
    assert expected in error.message
    assert error.path == "$.x"


def test_right_json_types_pass_through() -> None:
    assert c.check_string("", "$") == ""
    assert c.check_bool(False, "$") is False
    assert c.check_number(0, "$") == 0
    assert c.check_number(-2.5, "$") == -2.5
    assert c.check_array([], "$") == []
    assert c.check_object({}, "$") == {}


def test_st_val_006_enum_exact_match() -> None:
    assert c.check_enum("Agent", ("Agent", "Group"), "$.o") == "Agent"


def test_st_val_006_enum_case_mismatch() -> None:
    error = _refused(c.check_enum, "agent", ("Agent", "Group"), "$.o")
    assert "'agent' must be written exactly 'Agent'" in error.message


def test_st_val_006_enum_unknown_value() -> None:
    error = _refused(c.check_enum, "Person", ("Agent", "Group"), "$.o")
    assert error.message == "'Person' is not one of 'Agent', 'Group'"


def test_st_val_150_151_language_map() -> None:
    c.check_language_map({"en-US": "Hello", "fr": "Bonjour", "zh-Hant-TW": ""}, "$.d")
    c.check_language_map({}, "$.d")
    assert _refused(c.check_language_map, {"en-": "x"}, "$.d").path == "$.d['en-']"
    assert _refused(c.check_language_map, {"en": 1}, "$.d").path == "$.d.en"
    assert _refused(c.check_language_map, {"en": None}, "$.d").path == "$.d.en"
    assert _refused(c.check_language_map, ["en"], "$.d").path == "$.d"


def test_st_val_170_171_extensions() -> None:
    c.check_extensions({"http://example.com/ext": None, "urn:x:y": {"any": [1, None]}}, "$.e")
    error = _refused(c.check_extensions, {"not-an-iri": 1}, "$.e")
    assert error.path == "$.e['not-an-iri']"
    assert "IRI" in error.message


def test_st_val_004_formats_refuse_empty_string() -> None:
    for check in (c.check_iri, c.check_irl, c.check_uuid, c.check_timestamp):
        assert _refused(check, "", "$.f").path == "$.f"


def test_st_val_111_iri_list() -> None:
    c.check_iri_list(["http://a.example/t"], "$.r")
    assert "non-empty" in _refused(c.check_iri_list, [], "$.r").message
    assert _refused(c.check_iri_list, ["http://ok.example", "bad"], "$.r").path == "$.r[1]"


def test_describe_unknown_python_type() -> None:
    assert c.describe(object()) == "object"
