"""The one `more` token codec: signed, bound to its resource, strict about what it reads."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from lrs.errors import BadRequest
from lrs.xapi.paging import Position, TokenCodec, more_link, more_token

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
CODEC = TokenCodec(b"k" * 32, legacy_until=NOW)
PARAMS = (("verb", "http://example.com/v"), ("limit", "2"))


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_a_token_round_trips_on_its_resource_only() -> None:
    token = CODEC.encode("/a", PARAMS, Position(NOW, 7))
    assert CODEC.decode("/a", token) == (PARAMS, Position(NOW, 7))
    with pytest.raises(BadRequest, match="not one this LRS issued"):
        CODEC.decode("/b", token)
    with pytest.raises(BadRequest):
        TokenCodec(b"other" * 8).decode("/a", token)


def test_an_altered_token_is_refused() -> None:
    token = CODEC.encode("/a", PARAMS, Position(NOW, 7))
    payload, mac = token.split(".")
    state = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    state["c"][1] = 8
    with pytest.raises(BadRequest):
        CODEC.decode("/a", f"{_b64(json.dumps(state))}.{mac}")


@pytest.mark.parametrize(
    "state",
    [
        '{"p": [], "c": ["0001-01-01T00:00:00+14:00", 1]}',
        '{"p": [], "c": ["2020-01-01T00:00:00", 1]}',
        '{"p": [], "c": ["2020-01-01T00:00:00Z", 1180591620717411303424]}',
        '{"p": [], "c": ["2020-01-01T00:00:00Z", 1e300]}',
        '{"p": [], "c": ["2020-01-01T00:00:00Z", true]}',
        '{"p": [], "c": ["2020-01-01T00:00:00Z", -1]}',
        '{"p": [["more", "x"]], "c": ["2020-01-01T00:00:00Z", 1]}',
        '{"p": [[1, "x"]], "c": ["2020-01-01T00:00:00Z", 1]}',
        '{"q": ["a"], "after": ["2020-01-01T00:00:00Z", 1]}',
        '{"q": null}',
        "[]",
        "nonsense",
    ],
)
def test_malformed_states_are_400_even_when_signed(state: str) -> None:
    payload = state.encode()
    signed = f"{_b64(state)}.{base64.urlsafe_b64encode(CODEC._mac('/a', payload)).decode()}"
    for token in (signed, _b64(state)):
        with pytest.raises(BadRequest, match="not one this LRS issued"):
            CODEC.decode("/a", token)


def test_unsigned_tokens_from_before_the_key_still_page() -> None:
    before = (NOW - timedelta(days=1)).isoformat()
    legacy = _b64(json.dumps({"p": [list(p) for p in PARAMS], "c": [before, 3]}))
    assert CODEC.decode("/a", legacy)[1].seq == 3
    old_ext = _b64(json.dumps({"q": {"door": "D"}, "after": [before, 3]}))
    assert CODEC.decode("/a", old_ext)[0] == (("door", "D"),)
    after = (NOW + timedelta(seconds=1)).isoformat()
    with pytest.raises(BadRequest):
        CODEC.decode("/a", _b64(json.dumps({"p": [], "c": [after, 3]})))
    with pytest.raises(BadRequest):
        TokenCodec(b"k" * 32).decode("/a", legacy)  # no legacy window: unsigned is foreign


def test_more_stands_alone_and_links_are_relative() -> None:
    assert more_token([("verb", "x")]) is None
    assert more_token([("more", "t")]) == "t"
    with pytest.raises(BadRequest, match="cannot be combined"):
        more_token([("more", "t"), ("limit", "1")])
    assert more_link("/xAPI/statements", "a.b") == "/xAPI/statements?more=a.b"
