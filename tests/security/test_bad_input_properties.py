"""Property tests over HTTP: valid statements round-trip exactly, invalid ones are refused
and never stored (ST-VAL-*, ST-PROC-013/014, STR-W-007, ERR-004, ERR-009).

The statement strategies are the validator's own (tests/unit/xapi), here sent through the
whole stack: JSON text, validation, storage as jsonb, and the exact format back.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrs.xapi.primitives import parse_timestamp
from lrs.xapi.versions import XapiVersion
from tests.factories import make_statement
from tests.unit.xapi.test_validate_properties import VERSIONS, _locations, _set, statements

Json = dict[str, Any]
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


INT64 = range(-(2**63), 2**63)


def _fits_int64(node: Any) -> bool:
    """False when an integer beyond 64 bits hides anywhere (such input is refused; see below)."""
    if isinstance(node, dict):
        return all(_fits_int64(v) for v in node.values())
    if isinstance(node, list):
        return all(_fits_int64(v) for v in node)
    return not isinstance(node, int) or isinstance(node, bool) or node in INT64


def _valid(version: XapiVersion) -> st.SearchStrategy[Json]:
    return statements(version).filter(_fits_int64)


def _sendable(stmt: Json) -> Json:
    """What a client may send as application/json: a fresh id, attachments by fileUrl only;
    ``authority`` and ``stored`` are the LRS's to set (ST-PROC-002/005)."""
    out = copy.deepcopy(stmt)
    out["id"] = str(uuid.uuid4())
    out.pop("stored", None)
    out.pop("authority", None)
    for holder in (out, out["object"]):
        for attachment in holder.get("attachments", []):
            attachment.setdefault("fileUrl", "https://files.example.org/a")
    return out


def _wrapped(context: Json) -> Json:
    """ST-PROC-012: the one rewrite inside a context, every contextActivities value a list."""
    activities = context.get("contextActivities")
    if isinstance(activities, dict):
        context = {
            **context,
            "contextActivities": {
                k: v if isinstance(v, list) else [v] for k, v in activities.items()
            },
        }
    return context


def _same_instant(sent: str, got: str) -> None:
    assert parse_timestamp(sent) == parse_timestamp(got), (sent, got)


def _assert_round_trip(sent: Json, got: Json, version: XapiVersion) -> None:
    """Everything the client sent comes back as sent, but for what ST-PROC-001..012 set."""
    assert got["id"] == sent["id"]
    assert {"stored", "authority", "timestamp"} <= set(got)
    assert got["version"] == sent.get("version", version.statement_version)
    if "timestamp" in sent:
        _same_instant(sent["timestamp"], got["timestamp"])
    expected = {k: v for k, v in sent.items() if k not in ("timestamp", "version")}
    actual = {
        k: v for k, v in got.items() if k not in ("timestamp", "version", "stored", "authority")
    }
    if "context" in expected:
        expected["context"] = _wrapped(expected["context"])
    obj = expected["object"]
    if obj.get("objectType") == "SubStatement":
        obj = expected["object"] = dict(obj)
        if "context" in obj:
            obj["context"] = _wrapped(obj["context"])
        if "timestamp" in obj:
            _same_instant(obj["timestamp"], actual["object"]["timestamp"])
            obj["timestamp"] = actual["object"]["timestamp"]
    assert actual == expected


def _headers(version: XapiVersion) -> dict[str, str]:
    return {"X-Experience-API-Version": version.value}


@SETTINGS
@given(version=VERSIONS, data=st.data())
async def test_valid_statements_round_trip_exactly(
    client: httpx.AsyncClient, version: XapiVersion, data: st.DataObject
) -> None:
    sent = _sendable(data.draw(_valid(version)))
    posted = await client.post("/xAPI/statements", json=sent, headers=_headers(version))
    assert posted.status_code == 200, posted.text
    assert posted.json() == [sent["id"]]
    got = await client.get(
        "/xAPI/statements",
        params={"statementId": sent["id"], "format": "exact"},
        headers=_headers(version),
    )
    assert got.status_code == 200, got.text
    _assert_round_trip(sent, got.json(), version)


@SETTINGS
@given(version=VERSIONS, data=st.data())
async def test_invalid_statements_are_refused_and_never_stored(
    client: httpx.AsyncClient, version: XapiVersion, data: st.DataObject
) -> None:
    """A null (ST-VAL-002) or an unknown property (ST-VAL-008) anywhere: 400, and the batch
    it was part of leaves no trace (ERR-009)."""
    sent = _sendable(data.draw(_valid(version)))
    spots = [loc for loc, _ in _locations(sent) if loc and loc != ("id",)]
    loc = data.draw(st.sampled_from(spots))
    if data.draw(st.booleans()):
        broken = _set(sent, loc, None)
    else:
        parent = loc[:-1] if not isinstance(_get(sent, loc), dict) else loc
        broken = copy.deepcopy(sent)
        target = _get(broken, parent) if parent else broken
        if not isinstance(target, dict):
            return
        target["zzUnknown"] = 1
    neighbour = _sendable(data.draw(_valid(version)))
    posted = await client.post(
        "/xAPI/statements", json=[neighbour, broken], headers=_headers(version)
    )
    assert posted.status_code == 400, (loc, posted.text)
    assert posted.json()["error"]["status"] == 400
    for statement_id in (sent["id"], neighbour["id"]):
        got = await client.get(
            "/xAPI/statements", params={"statementId": statement_id}, headers=_headers(version)
        )
        assert got.status_code == 404, got.text


def _get(node: Any, loc: tuple[str | int, ...]) -> Any:
    for step in loc:
        node = node[step]
    return node


async def test_integers_beyond_64_bits_are_stored_or_refused_cleanly(
    client: httpx.AsyncClient,
) -> None:
    """ST-VAL-171, ERR-016: extension values are any JSON; a huge integer is stored (or at
    worst refused with a 400), never a 500."""
    sent = make_statement(result={"extensions": {"http://example.com/big": -(2**63) - 1}})
    posted = await client.post("/xAPI/statements", json=sent)
    assert posted.status_code in (200, 400), posted.text
