"""The pure rules of forwarding: target bodies, filters, retry classes, backoff, signature."""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import UTC, datetime

import pytest

from lrs.errors import BadRequest
from lrs.services.forwarding_rules import (
    Facts,
    backoff,
    classify,
    matches,
    parse_target,
    retry_after,
    signature,
)

FACTS = Facts(
    verb="http://adlnet.gov/expapi/verbs/completed",
    activity="http://example.com/a",
    activity_type="http://adlnet.gov/expapi/activities/course",
    door="PAR",
    role=None,
    version="1.0.0",
)


def test_update_keeps_what_is_left_out() -> None:
    created = parse_target(
        {"type": "xapi", "url": "http://h/xAPI", "username": "u", "password": "p"}
    )
    assert created.xapi_version == "1.0.3"
    assert created.secret == "p"
    updated = parse_target({"paused": True}, current=created)
    assert updated.paused is True
    assert updated.username == "u"
    assert updated.secret is None  # keep the stored one


def test_credentials_in_the_url_are_refused() -> None:
    with pytest.raises(BadRequest, match="credentials"):
        parse_target({"type": "webhook", "url": "https://u:p@h/hook", "secret": "s"})


def test_paused_is_an_update_field_only() -> None:
    with pytest.raises(BadRequest):
        parse_target({"type": "webhook", "url": "http://h", "secret": "s", "paused": True})


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, True),
        ({"verb": ["http://adlnet.gov/expapi/verbs/completed"]}, True),
        ({"verb": ["http://other"]}, False),
        ({"door": ["NYC", "PAR"], "xapi_version": ["1.0.3"]}, True),
        ({"door": ["PAR"], "xapi_version": ["2.0.0"]}, False),
        ({"role": ["cashier"]}, False),  # no role: a role filter does not pass it
        ({"activity_type": ["http://adlnet.gov/expapi/activities/course"]}, True),
        ({"activity": ["http://example.com/b"]}, False),
    ],
)
def test_filters(filters: dict[str, list[str]], expected: bool) -> None:
    assert matches(filters, FACTS) is expected


@pytest.mark.parametrize(
    ("status", "verdict"),
    [(200, "delivered"), (204, "delivered"), (400, "permanent"), (401, "permanent"),
     (404, "permanent"), (408, "retry"), (409, "retry"), (429, "retry"), (500, "retry"),
     (503, "retry")],
)  # fmt: skip
def test_classify(status: int, verdict: str) -> None:
    assert classify(status) == verdict


def test_retry_after_seconds_date_and_cap() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after("7", now, 60) == 7
    assert retry_after("7000", now, 60) == 60
    assert retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now, 60) == 30
    assert retry_after("soon", now, 60) is None
    assert retry_after(None, now, 60) is None


def test_backoff_grows_is_capped_and_jittered() -> None:
    rng = random.Random(1)
    delays = [backoff(n, 1.0, 30.0, rng) for n in range(1, 9)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(30.0, 2.0 ** (n - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)


def test_signature_is_hmac_sha256_of_timestamp_and_body() -> None:
    body = b'[{"id": "x"}]'
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("k", "1700000000", body) == "sha256=" + expected
    assert signature("other", "1700000000", body) != "sha256=" + expected
