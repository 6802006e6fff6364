"""Pure rules: registry entries, roster bounds, explicit tags, carried tags."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lrs.errors import BadRequest
from lrs.ext.rules.model import (
    carried_tags,
    check_id,
    parse_assignment,
    parse_bound,
    parse_door,
    parse_tag,
    resolve_bound,
)
from lrs.xapi.versions import XapiVersion

DOOR = "https://example.com/door"
ROLE = "https://example.com/role"


def test_door_defaults_and_url_id() -> None:
    door = parse_door({"name": " Paris "}, "$", "PAR")
    assert (door.id, door.name, door.timezone, door.active) == ("PAR", "Paris", "UTC", True)


@pytest.mark.parametrize("bad", ["", "a b", "-lead", "x" * 65, "é", 7])
def test_ids_are_join_safe(bad: object) -> None:
    with pytest.raises(BadRequest):
        check_id(bad, "$.id", "door")


def test_bounds() -> None:
    assert parse_bound("2024-05-01", "$") == date(2024, 5, 1)
    assert parse_bound("2024-05-01T10:00:00+02:00", "$") == datetime(2024, 5, 1, 8, tzinfo=UTC)
    assert resolve_bound(date(2024, 1, 15), "Europe/Paris") == datetime(2024, 1, 14, 23, tzinfo=UTC)
    assert resolve_bound(date(2024, 7, 15), "Europe/Paris") == datetime(2024, 7, 14, 22, tzinfo=UTC)
    for bad in ("2024-02-30", "01/05/2024", "2024-05-01T25:00:00Z", 20240501):
        with pytest.raises(BadRequest) as caught:
            parse_bound(bad, "$[0].valid_from")
        assert caught.value.path == "$[0].valid_from"


def test_assignment_needs_an_agent_with_one_ifi() -> None:
    row = {"door": "PAR", "role": "advisor", "valid_from": "2024-01-01"}
    item = parse_assignment(
        {**row, "agent": {"mbox": "mailto:a@example.com"}}, "$[0]", XapiVersion.V2_0_0
    )
    assert item.actor_key == "mbox:mailto:a@example.com"
    with pytest.raises(BadRequest) as caught:
        parse_assignment(
            {**row, "agent": {"mbox": "mailto:a@example.com", "openid": "http://x"}},
            "$[0]",
            XapiVersion.V2_0_0,
        )
    assert caught.value.path == "$[0].agent"
    with pytest.raises(BadRequest) as caught:
        parse_assignment(
            {k: v for k, v in row.items() if k != "valid_from"} | {"agent": {}},
            "$[0]",
            XapiVersion.V2_0_0,
        )


def test_tags() -> None:
    tag = parse_tag({"statement_id": "6FBD600F-D17C-4C74-801A-2EC2E53231C7", "door": "PAR"}, "$")
    assert (tag.statement_id, tag.door, tag.role) == (
        "6fbd600f-d17c-4c74-801a-2ec2e53231c7",
        "PAR",
        None,
    )
    with pytest.raises(BadRequest) as caught:
        parse_tag({"door": "PAR", "statement_id": "x"}, "$[2]")
    assert caught.value.path == "$[2].statement_id"
    with pytest.raises(BadRequest) as caught:
        parse_tag({"statement_id": "x"}, "$", "6fbd600f-d17c-4c74-801a-2ec2e53231c7")
    assert caught.value.path == "$.statement_id"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"context": {"extensions": {DOOR: "PAR", ROLE: "advisor"}}}, ("PAR", "advisor")),
        ({"context": {"extensions": {DOOR: "PAR"}}}, ("PAR", None)),
        ({"context": {"extensions": {DOOR: 42, ROLE: "with space"}}}, (None, None)),
        ({"context": {"extensions": {DOOR: None}}}, (None, None)),
        ({"context": {}}, (None, None)),
        ({}, (None, None)),
        ({"result": {"extensions": {DOOR: "PAR"}}}, (None, None)),
    ],
)
def test_carried_tags_never_refuse(
    payload: dict[str, object], expected: tuple[object, object]
) -> None:
    """ST-VAL-171: extension values that are not ids are ignored, not refused."""
    assert carried_tags(payload, DOOR, ROLE) == expected
