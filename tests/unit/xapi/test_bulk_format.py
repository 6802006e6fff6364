"""The attachment lines of `lrs export` / `lrs import` (lrs.xapi.bulk_format)."""

from __future__ import annotations

import base64
import hashlib

import orjson
import pytest

from lrs.errors import BadRequest
from lrs.xapi.bulk_format import (
    ATTACHMENT_KEY,
    attachment_line,
    encode_attachment_line,
    is_attachment_line,
)

DATA = bytes(range(256))
SHA2 = hashlib.sha256(DATA).hexdigest()


def test_round_trip_keeps_bytes_type_and_hash() -> None:
    line = encode_attachment_line(SHA2, "image/png", DATA)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    parsed = orjson.loads(line)
    assert is_attachment_line(parsed)
    part = attachment_line(parsed, 7)
    assert (part.sha2, part.content_type, part.data, part.index) == (SHA2, "image/png", DATA, 7)


def test_a_statement_is_no_attachment_line() -> None:
    assert not is_attachment_line({"actor": {}, "verb": {}, "object": {}})
    assert not is_attachment_line([])


def _line(**changes: object) -> dict[str, object]:
    body = orjson.loads(encode_attachment_line(SHA2, "text/plain", DATA))[ATTACHMENT_KEY]
    body.update(changes)
    return {ATTACHMENT_KEY: body}


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (_line(data=base64.b64encode(b"other").decode()), "ATT-008"),
        (_line(sha2="abc"), "ATT-013"),
        (_line(data="not base64!"), "base64"),
        (_line(length=3), "length 3"),
        (_line(sha2=5), "string sha2"),
        ({ATTACHMENT_KEY: _line()[ATTACHMENT_KEY], "id": "x"}, "one object"),
    ],
)
def test_bad_attachment_lines_are_refused(line: dict[str, object], fragment: str) -> None:
    with pytest.raises(BadRequest) as caught:
        attachment_line(line, 1)
    assert fragment in caught.value.message
