"""Bulk bodies: JSON arrays and CSV turned into the same items."""

from __future__ import annotations

import pytest

from lrs.errors import BadRequest
from lrs.ext.rules.csvio import DOORS, ROSTER, TAGS, read_bulk
from lrs.ext.rules.model import parse_door


def test_json_array() -> None:
    bulk = read_bulk(b'[{"id": "PAR", "name": "Paris"}]', "application/json", DOORS)
    assert bulk.items == [{"id": "PAR", "name": "Paris"}]
    assert bulk.lines is None
    assert bulk.where(0) == ""


def test_csv_lines_skip_blank_rows_and_keep_quoted_newlines() -> None:
    body = b'id,name\r\n\r\nPAR,"Paris\nRive Gauche"\r\nLON,London\r\n'
    bulk = read_bulk(body, "text/csv; charset=utf-8", DOORS)
    assert bulk.items == [
        {"id": "PAR", "name": "Paris\nRive Gauche"},
        {"id": "LON", "name": "London"},
    ]
    assert bulk.lines == [4, 5]


def test_csv_booleans_and_empty_cells() -> None:
    bulk = read_bulk(b"id,name,region,active\nPAR,Paris,,No\n", "text/csv", DOORS)
    assert bulk.items == [{"id": "PAR", "name": "Paris", "active": False}]


def test_roster_ifi_columns_become_an_agent() -> None:
    body = b"mbox,door,role,valid_from\nalice@example.com,PAR,advisor,2024-01-01\n"
    [item] = read_bulk(body, "text/csv", ROSTER).items
    assert item["agent"] == {"mbox": "mailto:alice@example.com"}
    body = b"account_homepage,account_name,door\nhttps://hr.example.com,E1,PAR\n"
    [item] = read_bulk(body, "text/csv", ROSTER).items
    assert item == {
        "agent": {"account": {"homePage": "https://hr.example.com", "name": "E1"}},
        "door": "PAR",
    }


@pytest.mark.parametrize(
    ("body", "content_type", "path", "needle"),
    [
        (b"\xff\xfe", "text/csv", "$", "UTF-8"),
        (b"id,name\nPAR,Paris\n\xff,x\n", "text/csv", "$", "CSV line 3"),
        (b"statement_id,shop\n", "text/csv", "$", "unknown column 'shop'"),
        (b"door,Door\n", "text/csv", "$", "twice"),
        (b'statement_id\n"abc\n', "text/csv", "$[0]", "CSV line"),
        (b"{}", "application/json", "$", "array"),
        (b"[", "application/json", "$", ""),
        (b"a", "application/xml", "header:Content-Type", "text/csv"),
    ],
)
def test_refusals(body: bytes, content_type: str, path: str, needle: str) -> None:
    with pytest.raises(BadRequest) as caught:
        read_bulk(body, content_type, TAGS)
    assert caught.value.path == path
    assert needle in caught.value.message


def test_parse_each_names_the_csv_line() -> None:
    bulk = read_bulk(b"id,name\nPAR,Paris\nLON\n".replace(b"LON\n", b"LON,\n"), "text/csv", DOORS)
    with pytest.raises(BadRequest) as caught:
        bulk.parse_each(parse_door)
    assert caught.value.path == "$[1].name"
    assert caught.value.message.startswith("CSV line 3: ")
