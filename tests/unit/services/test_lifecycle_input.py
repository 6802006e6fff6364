"""The erasure and purge bodies (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lrs.errors import BadRequest
from lrs.services.lifecycle_input import parse_erasure, parse_purge
from lrs.xapi.versions import XapiVersion

V2 = XapiVersion("2.0.0")


def test_erasure_by_agent_gives_its_ifi_key() -> None:
    parsed = parse_erasure({"agent": {"mbox": "mailto:e@example.com"}}, V2)
    assert parsed.agent_key == "mbox:mailto:e@example.com"
    assert parsed.pseudonym is None
    assert parsed.dry_run is False


def test_erasure_by_identified_group_and_pseudonym() -> None:
    group = {"objectType": "Group", "account": {"homePage": "https://h.example", "name": "g"}}
    assert parse_erasure({"agent": group}, V2).agent_key == "account:https://h.example g"
    parsed = parse_erasure({"actor_key": "a" * 64, "dry_run": True}, V2)
    assert parsed.pseudonym == "a" * 64
    assert parsed.dry_run is True


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "$"),
        ({"agent": {"mbox": "mailto:e@example.com"}, "actor_key": "a" * 64}, "$"),
        ({"actor_key": "A" * 64}, "$.actor_key"),
        ({"actor_key": 5}, "$.actor_key"),
        ({"agent": {"objectType": "Group", "member": []}}, "param:agent"),
        ({"agent": {"mbox": "mailto:e@example.com"}, "dry_run": 1}, "$.dry_run"),
        ({"agent": {"mbox": "mailto:e@example.com"}, "extra": 1}, "$.extra"),
        ("not an object", "$"),
    ],
)
def test_bad_erasure_bodies(body: Any, path: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_erasure(body, V2)
    assert caught.value.path == path


def test_purge_body() -> None:
    parsed = parse_purge({"before": "2024-01-01T00:00:00+01:00"})
    assert parsed.before == datetime(2023, 12, 31, 23, tzinfo=UTC)
    assert parsed.dry_run is False


@pytest.mark.parametrize(
    "body",
    [{}, {"before": None}, {"before": "tomorrow"}, {"before": "2024-01-01T00:00:00Z", "x": 1}],
)
def test_bad_purge_bodies(body: Any) -> None:
    with pytest.raises(BadRequest):
        parse_purge(body)
