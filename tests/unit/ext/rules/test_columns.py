"""Rendering of export rows."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import orjson

from lrs.ext.rules.columns import EXPORT_COLUMNS, csv_header, csv_rows, iso, ndjson_rows

ROW = (
    "6fbd600f-d17c-4c74-801a-2ec2e53231c7",
    datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC),
    datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))),
    "ab" * 32,
    "http://example.com/verbs/said",
    'said "hi", twice',
    "http://example.com/a",
    "Activity",
    None,
    None,
    True,
    False,
    0.5,
    10.0,
    None,
    "PAR",
    None,
    "statement",
)


def test_iso_is_utc_with_microseconds() -> None:
    assert iso(ROW[2]) == "2024-05-01T12:00:00.000000Z"


def test_csv() -> None:
    text = (csv_header() + csv_rows([ROW, ROW])).decode()
    assert text.count("\r\n") == 3
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert rows[1][5] == 'said "hi", twice'
    assert rows[1][8:13] == ["", "", "true", "false", "0.5"]
    assert rows[1][1] == "2024-05-01T12:00:00.123456Z"


def test_ndjson() -> None:
    lines = ndjson_rows([ROW]).split(b"\n")
    assert lines[1] == b""
    obj = orjson.loads(lines[0])
    assert list(obj) == list(EXPORT_COLUMNS)
    assert obj["success"] is True
    assert obj["activity_type"] is None
    assert obj["score_raw"] == 10.0
    assert obj["timestamp"] == "2024-05-01T12:00:00.000000Z"
