"""Query parameters of the tagged query, export and summary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lrs.errors import BadRequest
from lrs.ext.rules.filters import SUMMARY_PARAMS, parse_filters, parse_summary
from lrs.xapi.validate import query_values as single_values


def test_single_values_refuse_repeats_and_unknown_names() -> None:
    assert single_values([("door", "PAR")], ("door",)) == {"door": "PAR"}
    for items in ([("door", "A"), ("door", "B")], [("shop", "A")], [("DOOR", "A")]):
        with pytest.raises(BadRequest) as caught:
            single_values(items, ("door",))
        assert caught.value.path == f"param:{items[-1][0]}"


def test_filters_take_timestamps_and_with_a_zone_dates() -> None:
    filters = parse_filters({"since": "2024-05-01T00:00:00+02:00", "door": "PAR"})
    assert filters.since == datetime(2024, 4, 30, 22, tzinfo=UTC)
    with pytest.raises(BadRequest):
        parse_filters({"since": "2024-05-01"})
    filters = parse_filters({"since": "2024-05-01"}, dates_in="Asia/Tokyo")
    assert filters.since == datetime(2024, 4, 30, 15, tzinfo=UTC)


def test_summary_group_by_and_bucket() -> None:
    request = parse_summary({"group_by": "door, role,week"})
    assert (request.group_by, request.bucket, request.timezone) == (("door", "role"), "week", "UTC")
    request = parse_summary({"bucket": "day", "group_by": "day"})
    assert request.bucket == "day"
    assert parse_summary({}).group_by == ()
    assert "group_by" in SUMMARY_PARAMS
