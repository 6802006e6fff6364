"""LRS-assigned statement properties (ST-PROC-001..014, ST-VAL-125, VER-004)."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from lrs.xapi.prepare import format_stored, prepare_statement, to_utc_timestamp
from lrs.xapi.versions import XapiVersion

STORED = datetime(2024, 5, 1, 12, 30, 45, 123456, tzinfo=UTC)
STORED_TEXT = "2024-05-01T12:30:45.123456Z"
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example", "name": "k"}}


def _statement(**extra: Any) -> dict[str, Any]:
    stmt: dict[str, Any] = {
        "actor": {"mbox": "mailto:ann@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "https://example.com/a"},
    }
    stmt.update(extra)
    return stmt


def _prepare(stmt: dict[str, Any], version: XapiVersion = XapiVersion.V2_0_0) -> dict[str, Any]:
    return prepare_statement(
        stmt, version=version, authority=AUTHORITY, stored=STORED, new_id=lambda: "generated-id"
    )


def test_missing_id_is_generated() -> None:
    """ST-PROC-001."""
    assert _prepare(_statement())["id"] == "generated-id"


def test_default_id_generator_makes_uuid4() -> None:
    """ST-PROC-001: the default generator gives a lowercase version-4 UUID."""
    out = prepare_statement(
        _statement(), version=XapiVersion.V2_0_0, authority=AUTHORITY, stored=STORED
    )
    parsed = uuid.UUID(out["id"])
    assert parsed.version == 4
    assert out["id"] == str(parsed)


def test_default_ids_are_distinct_version_4_uuids() -> None:
    """ST-PROC-001: random, lowercase, hyphenated, RFC 4122 variant."""
    ids = [
        prepare_statement(
            _statement(), version=XapiVersion.V2_0_0, authority=AUTHORITY, stored=STORED
        )["id"]
        for _ in range(500)
    ]
    assert len(set(ids)) == len(ids)
    for value in ids:
        parsed = uuid.UUID(value)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert value == str(parsed)


def test_supplied_id_is_kept_lowercased() -> None:
    """ST-PROC-001, ST-VAL-020: a supplied id stays; hex case is not significant."""
    out = _prepare(_statement(id="AB3F2F38-6A1B-4C8E-9D52-0F1E2D3C4B5A"))
    assert out["id"] == "ab3f2f38-6a1b-4c8e-9d52-0f1e2d3c4b5a"


def test_stored_replaces_client_value() -> None:
    """ST-PROC-002: the LRS's stored wins over the client's."""
    out = _prepare(_statement(stored="2000-01-01T00:00:00Z"))
    assert out["stored"] == STORED_TEXT


def test_stored_rendered_in_utc_with_microseconds() -> None:
    """ST-VAL-123: at least millisecond precision; we keep microseconds, in UTC."""
    plus_two = timezone(timedelta(hours=2))
    moment = datetime(2024, 5, 1, 14, 0, 0, tzinfo=plus_two)
    assert format_stored(moment) == "2024-05-01T12:00:00.000000Z"
    assert format_stored(datetime(9, 1, 2, tzinfo=UTC)) == "0009-01-02T00:00:00.000000Z"


def test_stored_rendering_tells_instants_apart() -> None:
    """One instant renders alike from any zone; distinct instants never share a rendering."""
    plus_two = timezone(timedelta(hours=2))
    first = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert format_stored(first) == "2024-05-01T12:00:00.000000Z"
    assert format_stored(first.astimezone(plus_two)) == "2024-05-01T12:00:00.000000Z"
    assert format_stored(first + timedelta(microseconds=1)) == "2024-05-01T12:00:00.000001Z"
    assert format_stored(first) == "2024-05-01T12:00:00.000000Z"


def test_stored_rendering_keeps_a_repeated_wall_clock_hour_apart() -> None:
    """The two 01:30 of a daylight-saving fold compare equal but are an hour apart."""
    try:
        new_york = ZoneInfo("America/New_York")
    except ZoneInfoNotFoundError:  # pragma: no cover - depends on the system's tz database
        pytest.skip("no time-zone database")
    early = datetime(2024, 11, 3, 1, 30, tzinfo=new_york)
    late = early.replace(fold=1)
    assert format_stored(early) == "2024-11-03T05:30:00.000000Z"
    assert format_stored(late) == "2024-11-03T06:30:00.000000Z"


def test_naive_stored_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_stored(datetime(2024, 1, 1))


def test_missing_timestamp_defaults_to_stored() -> None:
    """ST-PROC-004."""
    out = _prepare(_statement())
    assert out["timestamp"] == out["stored"] == STORED_TEXT


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00Z"),
        ("2024-05-01T12:00:00.1Z", "2024-05-01T12:00:00.1Z"),
        ("2024-05-01T14:00:00.123456789+02:00", "2024-05-01T12:00:00.123456789Z"),
        ("2024-05-01T00:30:00.500-05:30", "2024-05-01T06:00:00.500Z"),
        ("2024-05-01T12:00:00+00:00", "2024-05-01T12:00:00Z"),
        ("2024-05-01T12:00:00-00:00", "2024-05-01T12:00:00Z"),
        ("2024-05-01T13:00:00,25+0100", "2024-05-01T12:00:00.25Z"),
        ("2024-05-01T13:00:00+01", "2024-05-01T12:00:00Z"),
        ("2024-05-01t12:00:00z", "2024-05-01T12:00:00Z"),
        ("2024-05-01T12:00Z", "2024-05-01T12:00:00Z"),
        ("2024-05-01T12:00:00", "2024-05-01T12:00:00Z"),
        ("2024-01-01T01:00:00+02:00", "2023-12-31T23:00:00Z"),
        ("2016-12-31T23:59:60.5Z", "2016-12-31T23:59:60.5Z"),
        ("2016-12-31T23:59:60.5+00:00", "2017-01-01T00:00:00.5Z"),
    ],
)
def test_timestamp_converted_to_utc_keeping_fraction(given: str, expected: str) -> None:
    """ST-VAL-125, ST-PROC-016/017: same instant, UTC `Z` form, fractional digits kept."""
    assert to_utc_timestamp(given) == expected
    assert _prepare(_statement(timestamp=given))["timestamp"] == expected


def test_to_utc_timestamp_refuses_non_timestamps() -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        to_utc_timestamp("yesterday")


def test_authority_always_replaced() -> None:
    """ST-PROC-006/008/009: the credential's authority, whatever the client sent."""
    client = {"mbox": "mailto:forged@example.com"}
    assert _prepare(_statement(authority=client))["authority"] == AUTHORITY
    assert _prepare(_statement())["authority"] == AUTHORITY


@pytest.mark.parametrize(
    ("version", "expected"), [(XapiVersion.V1_0_3, "1.0.0"), (XapiVersion.V2_0_0, "2.0.0")]
)
def test_missing_version_defaults_per_rule_set(version: XapiVersion, expected: str) -> None:
    """ST-PROC-011, VER-004."""
    assert _prepare(_statement(), version)["version"] == expected


@pytest.mark.parametrize("given", ["1.0.3", "1.0.0", "2.0.0"])
def test_supplied_version_kept(given: str) -> None:
    """ST-PROC-011: statements come back with the version they were accepted with."""
    assert _prepare(_statement(version=given), XapiVersion.V1_0_3)["version"] == given


def test_context_activities_wrapped_in_arrays() -> None:
    """ST-PROC-012: a single Activity becomes a one-element array; arrays stay."""
    parent = {"id": "https://example.com/p"}
    grouping = [{"id": "https://example.com/g1"}, {"id": "https://example.com/g2"}]
    stmt = _statement(
        context={
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "contextActivities": {"parent": parent, "grouping": grouping},
        }
    )
    ctx = _prepare(stmt)["context"]
    assert ctx["contextActivities"] == {"parent": [parent], "grouping": grouping}
    assert ctx["registration"] == "ec531277-b57b-4c15-8d91-d292c5b2b8f7"


def test_substatement_context_activities_wrapped_and_timestamp_converted() -> None:
    """ST-PROC-012 inside a SubStatement; its timestamp is moved to UTC, never defaulted."""
    sub = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:bob@example.com"},
        "verb": {"id": "https://example.com/v"},
        "object": {"id": "https://example.com/a"},
        "timestamp": "2024-05-01T14:00:00.5+02:00",
        "context": {"contextActivities": {"category": {"id": "https://example.com/c"}}},
    }
    out = _prepare(_statement(object=sub))["object"]
    assert out["timestamp"] == "2024-05-01T12:00:00.5Z"
    assert out["context"]["contextActivities"] == {"category": [{"id": "https://example.com/c"}]}
    no_ts = {key: value for key, value in sub.items() if key != "timestamp"}
    assert "timestamp" not in _prepare(_statement(object=no_ts))["object"]


def test_input_is_not_mutated() -> None:
    """The caller's statement stays as received (ST-PROC-013)."""
    stmt = _statement(
        id="AB3F2F38-6A1B-4C8E-9D52-0F1E2D3C4B5A",
        timestamp="2024-05-01T14:00:00+02:00",
        context={"contextActivities": {"parent": {"id": "https://example.com/p"}}},
        object={
            "objectType": "SubStatement",
            "actor": {"mbox": "mailto:bob@example.com"},
            "verb": {"id": "https://example.com/v"},
            "object": {"id": "https://example.com/a"},
            "context": {"contextActivities": {"other": {"id": "https://example.com/o"}}},
        },
    )
    before = copy.deepcopy(stmt)
    _prepare(stmt)
    assert stmt == before


def test_everything_else_kept_exactly_and_shared() -> None:
    """ST-PROC-013/014: untouched parts are the very same objects (no copies per write)."""
    result = {"duration": "PT1M30.0001S", "extensions": {"https://example.com/x": None}}
    attachments = [{"usageType": "https://example.com/u", "sha2": "00"}]
    stmt = _statement(result=result, attachments=attachments)
    out = _prepare(stmt)
    assert out["result"] is result
    assert out["result"]["duration"] == "PT1M30.0001S"
    assert out["attachments"] is attachments
    assert out["actor"] is stmt["actor"]
    assert out["object"] is stmt["object"]
    assert out is not stmt


def test_property_order_of_input_kept() -> None:
    """Keys the client sent keep their order; LRS-set ones are appended."""
    stmt = _statement(id="ab3f2f38-6a1b-4c8e-9d52-0f1e2d3c4b5a")
    assert list(_prepare(stmt))[:4] == ["actor", "verb", "object", "id"]
