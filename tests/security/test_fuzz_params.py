"""Fuzzing of what the attack suite found beyond statement bodies: `more` tokens, extension
parameters, extreme dates and timezones, and Authorization headers. Whatever the input, the
answer is a JSON error below 500 (or a success), never a 500."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

TEXT = st.text(max_size=60)
DATES = (
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-12:00",
            "2024-02-30",
            "2024-01-01T25:00:00Z",
            "1970-01-01T00:00:00Z",
        ]
    )
    | TEXT
)
ZONES = (
    st.sampled_from(
        [
            "right/UTC",
            "localtime",
            "posixrules",
            "Factory",
            "Asia/Tokyo",
            "Pacific/Kiritimati",
            "Etc/GMT+12",
            "UTC",
            "../etc",
            "",
        ]
    )
    | TEXT
)
STATES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


SEQS = st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.booleans() | st.none()
CURSORS = st.lists(DATES | SEQS, min_size=0, max_size=3) | st.tuples(DATES, SEQS).map(list)
TOKEN_STATES = (
    STATES
    | st.fixed_dictionaries({"p": STATES, "c": CURSORS})
    | st.fixed_dictionaries({"q": STATES | st.dictionaries(TEXT, TEXT), "after": CURSORS})
)


def _token(state: Any, signed: bool, mac: bytes) -> str:
    text = json.dumps(state, allow_nan=True)
    raw = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    return f"{raw}.{base64.urlsafe_b64encode(mac).decode()}" if signed else raw


def _no_500(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.request.url, response.text[:300])
    if response.status_code >= 400:
        assert response.json()["error"]["status"] == response.status_code


@SETTINGS
@given(state=TOKEN_STATES, signed=st.booleans(), mac=st.binary(max_size=40))
async def test_more_tokens_never_500(
    client: httpx.AsyncClient, state: Any, signed: bool, mac: bytes
) -> None:
    token = _token(state, signed, mac)
    for path in ("/xAPI/statements", "/xAPI/extensions/statements"):
        _no_500(await client.get(path, params={"more": token}))


@SETTINGS
@given(
    since=DATES,
    until=DATES,
    timezone=ZONES,
    group_by=st.sampled_from(["day", "week", "door,day", "verb,week", "", "day,day"]) | TEXT,
    limit=TEXT,
)
async def test_extension_parameters_never_500(
    client: httpx.AsyncClient, since: str, until: str, timezone: str, group_by: str, limit: str
) -> None:
    summary = {"since": since, "until": until, "timezone": timezone, "group_by": group_by}
    _no_500(await client.get("/xAPI/extensions/summary", params=summary))
    _no_500(
        await client.get("/xAPI/extensions/statements", params={"since": since, "limit": limit})
    )
    _no_500(await client.get("/xAPI/extensions/export", params={"until": until, "format": limit}))


@SETTINGS
@given(
    value=st.binary(max_size=80), scheme=st.sampled_from([b"Basic ", b"basic ", b"Bearer ", b""])
)
async def test_authorization_headers_never_500(
    anon_client: httpx.AsyncClient, value: bytes, scheme: bytes
) -> None:
    for header in (scheme + value, scheme + base64.b64encode(value)):
        response = await anon_client.get(
            "/xAPI/statements",
            headers=[(b"Authorization", header), (b"X-Experience-API-Version", b"2.0.0")],
        )
        assert response.status_code == 401, (header, response.text[:200])
