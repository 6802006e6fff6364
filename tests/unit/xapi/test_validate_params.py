"""Parameter values and names (ERR-004..008, STR-Q-001/002/014/015/024, DOC-013, ST-VAL-022)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from lrs.errors import BadRequest
from lrs.xapi.validate import (
    check_param_names,
    parse_agent_param,
    parse_bool_param,
    parse_format_param,
    parse_iri_param,
    parse_limit_param,
    parse_timestamp_param,
    parse_uuid_param,
)
from lrs.xapi.versions import XapiVersion
from tests.factories import make_agent, make_group

V1 = XapiVersion.V1_0_3
V2 = XapiVersion.V2_0_0


@pytest.mark.parametrize("ifi", ["mbox", "mbox_sha1sum", "openid", "account"])
def test_str_q_001_agent_param(ifi: str) -> None:
    agent = make_agent(ifi, name="Someone")
    assert parse_agent_param(json.dumps(agent), V2) == agent


def test_str_q_001_agent_param_without_object_type() -> None:
    assert parse_agent_param('{"mbox": "mailto:a@example.com"}', V1) == {
        "mbox": "mailto:a@example.com"
    }


def test_str_q_001_identified_group_param() -> None:
    group = make_group(ifi="account")
    assert parse_agent_param(json.dumps(group), V2) == group


def test_str_q_002_anonymous_group_param_is_refused() -> None:
    with pytest.raises(BadRequest, match="identify the Group") as info:
        parse_agent_param(json.dumps(make_group()), V2)
    assert info.value.path == "param:agent"


def test_agt_002_doc_013_group_refused_when_not_allowed() -> None:
    with pytest.raises(BadRequest, match="must be an Agent, not a Group") as info:
        parse_agent_param(json.dumps(make_group(ifi="mbox")), V2, allow_identified_group=False)
    assert info.value.path == "param:agent"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("mailto:a@example.com", "malformed JSON"),
        ('{"mbox": "mailto:a@example.com"', "malformed JSON"),
        ('["mailto:a@example.com"]', "JSON object"),
        ('{"name": "x"}', "found none"),
        ('{"mbox": "a@example.com"}', "at $.mbox"),
        ('{"mbox": "mailto:a@example.com", "mbox": "mailto:b@example.com"}', "repeated"),
        ('{"mbox": "mailto:a@example.com", "openid": "http://o.example/a"}', "exactly one"),
        ('{"objectType": "Person", "mbox": "mailto:a@example.com"}', "Person"),
        ("", "malformed JSON"),
    ],
)
def test_str_q_001_invalid_agent_params(raw: str, message: str) -> None:
    with pytest.raises(BadRequest) as info:
        parse_agent_param(raw, V2, name="agent")
    assert message in info.value.message
    assert info.value.path == "param:agent"


def test_agent_param_error_path_uses_parameter_name() -> None:
    with pytest.raises(BadRequest) as info:
        parse_agent_param("{}", V2, name="related_agent")
    assert info.value.path == "param:related_agent"
    assert info.value.message.startswith("invalid related_agent parameter")


def test_st_val_022_uuid_param_is_lowercased() -> None:
    raw = "FD41C918-B88B-4B20-A0A5-A4C32391AAA0"
    assert parse_uuid_param(raw, name="statementId") == raw.lower()


@pytest.mark.parametrize(
    "raw", ["", "abc", "fd41c918b88b4b20a0a5a4c32391aaa0", " fd41c918-b88b-4b20-a0a5-a4c32391aaa0"]
)
def test_st_val_022_str_w_001_bad_uuid_param(raw: str) -> None:
    with pytest.raises(BadRequest, match="UUID") as info:
        parse_uuid_param(raw, name="statementId")
    assert info.value.path == "param:statementId"


def test_st_val_120_timestamp_param() -> None:
    assert parse_timestamp_param("2024-05-01T14:30:00+02:00", name="since") == datetime(
        2024, 5, 1, 12, 30, tzinfo=UTC
    )
    with pytest.raises(BadRequest) as info:
        parse_timestamp_param("2024-05-01", name="until")
    assert info.value.path == "param:until"


def test_err_007_iri_param() -> None:
    assert parse_iri_param("http://example.com/a", name="activityId") == "http://example.com/a"
    for raw in ("", "example.com/a", "a b"):
        with pytest.raises(BadRequest, match="absolute IRI") as info:
            parse_iri_param(raw, name="activityId")
        assert info.value.path == "param:activityId"


def test_str_q_024_bool_param() -> None:
    assert parse_bool_param("true", name="ascending") is True
    assert parse_bool_param("false", name="ascending") is False
    for raw in ("True", "1", "0", "", "yes", "FALSE"):
        with pytest.raises(BadRequest, match="'true' or 'false'") as info:
            parse_bool_param(raw, name="ascending")
        assert info.value.path == "param:ascending"


def test_str_q_014_limit_param() -> None:
    assert parse_limit_param("0") == 0
    assert parse_limit_param("25") == 25
    assert parse_limit_param("007") == 7
    for raw in ("-1", "1.5", "", "ten", "+5", " 5", "١٢", "1e3"):
        with pytest.raises(BadRequest, match="non-negative integer") as info:
            parse_limit_param(raw)
        assert info.value.path == "param:limit"


def test_str_q_015_format_param() -> None:
    for raw in ("ids", "exact", "canonical"):
        assert parse_format_param(raw) == raw
    for raw in ("IDS", "Exact", "", "full"):
        with pytest.raises(BadRequest) as info:
            parse_format_param(raw)
        assert info.value.path == "param:format"


def test_err_005_unknown_param() -> None:
    with pytest.raises(BadRequest, match="unknown parameter 'foo'") as info:
        check_param_names(["statementId", "foo"], {"statementId", "format", "attachments"})
    assert info.value.path == "param:foo"


def test_err_006_param_name_case() -> None:
    with pytest.raises(BadRequest, match="'StatementId' must be written 'statementId'") as info:
        check_param_names(["StatementId"], {"statementId"})
    assert info.value.path == "param:StatementId"


def test_err_008_missing_required_param() -> None:
    with pytest.raises(BadRequest, match="missing required parameter 'activityId'") as info:
        check_param_names(
            ["agent"], {"activityId", "agent", "stateId"}, required=["activityId", "agent"]
        )
    assert info.value.path == "param:activityId"


def test_param_names_all_fine() -> None:
    check_param_names(
        ["agent", "activityId"], ["activityId", "agent", "stateId"], required=["agent"]
    )
