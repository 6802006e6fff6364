"""PUT and POST /statements: the write rules (STR-W-*, ST-PROC-*, ERR-009, VER-004)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.factories import make_activity, make_agent, make_statement

URL = "/xAPI/statements"
THROUGH = "X-Experience-API-Consistent-Through"


async def fetch(client: httpx.AsyncClient, statement_id: str) -> dict[str, Any]:
    response = await client.get(URL, params={"statementId": statement_id})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def in_run(registration: str, **overrides: Any) -> dict[str, Any]:
    """A statement tagged with this test's registration, so counts need no clean database."""
    return make_statement(context={"registration": registration}, **overrides)


async def count(client: httpx.AsyncClient, registration: str) -> int:
    response = await client.get(URL, params={"registration": registration})
    assert response.status_code == 200, response.text
    return len(response.json()["statements"])


def _through_ok(response: httpx.Response) -> None:
    """STR-W-011, STR-R-008: an ISO 8601 instant, not in the future."""
    value = datetime.fromisoformat(response.headers[THROUGH].replace("Z", "+00:00"))
    assert value.tzinfo is not None
    assert value <= datetime.now(UTC) + timedelta(seconds=1)


# --- PUT ------------------------------------------------------------------------------------


async def test_put_stores_under_statement_id(client: httpx.AsyncClient) -> None:
    """STR-W-004: 204, stored under statementId, id filled in when absent."""
    sid = str(uuid.uuid4())
    statement = make_statement()
    del statement["id"]
    response = await client.put(URL, params={"statementId": sid}, json=statement)
    assert response.status_code == 204, response.text
    assert response.content == b""
    _through_ok(response)
    assert (await fetch(client, sid))["id"] == sid


async def test_put_accepts_matching_id_in_any_case(
    client: httpx.AsyncClient,
) -> None:
    """STR-W-003: an id equal to statementId (UUID hex is case-insensitive) is fine."""
    sid = str(uuid.uuid4())
    response = await client.put(
        URL, params={"statementId": sid.upper()}, json=make_statement(id=sid)
    )
    assert response.status_code == 204, response.text
    assert (await fetch(client, sid))["id"] == sid


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({}, "missing statementId (STR-W-001)"),
        ({"statementId": "not-a-uuid"}, "statementId not a UUID (STR-W-001)"),
        ({"statementId": "{" + str(uuid.uuid4()) + "}"}, "braced UUID (ST-VAL-022)"),
        ({"StatementId": str(uuid.uuid4())}, "wrong case (ERR-006)"),
        ({"statementId": str(uuid.uuid4()), "verb": "http://x.org/v"}, "unknown param (ERR-005)"),
    ],
)
async def test_put_parameter_errors(
    client: httpx.AsyncClient, params: dict[str, str], why: str
) -> None:
    response = await client.put(URL, params=params, json=make_statement())
    assert response.status_code == 400, why
    assert response.json()["error"]["path"].startswith("param:")


async def test_put_id_mismatch_is_400(client: httpx.AsyncClient) -> None:
    """STR-W-003."""
    reg = str(uuid.uuid4())
    response = await client.put(URL, params={"statementId": str(uuid.uuid4())}, json=in_run(reg))
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "$.id"
    assert await count(client, reg) == 0


@pytest.mark.parametrize(
    ("content", "content_type", "why"),
    [
        (b"[]", "application/json", "array body (STR-W-002)"),
        (b"", "application/json", "empty body (STR-W-012)"),
        (b"{not json", "application/json", "not JSON (STR-W-012)"),
        (b'"a string"', "application/json", "JSON but not a statement (STR-W-012)"),
        (b"{}", "text/plain", "wrong Content-Type (CT-004)"),
    ],
)
async def test_put_body_errors(
    client: httpx.AsyncClient, content: bytes, content_type: str, why: str
) -> None:
    response = await client.put(
        URL,
        params={"statementId": str(uuid.uuid4())},
        content=content,
        headers={"Content-Type": content_type},
    )
    assert response.status_code == 400, why


async def test_put_array_of_one_is_400(client: httpx.AsyncClient) -> None:
    """STR-W-002: PUT takes one statement object, never an array."""
    statement = make_statement()
    response = await client.put(URL, params={"statementId": statement["id"]}, json=[statement])
    assert response.status_code == 400


async def test_put_equivalent_resend_is_204_without_change(
    client: httpx.AsyncClient,
) -> None:
    """STR-W-005/006, ST-PROC-015: same statement again succeeds and changes nothing."""
    statement = make_statement()
    first = await client.put(URL, params={"statementId": statement["id"]}, json=statement)
    assert first.status_code == 204
    before = await fetch(client, statement["id"])
    # The same instant written in another offset is the same statement (ST-PROC-016).
    again = {**statement, "timestamp": "2024-05-01T14:30:00+02:00"}
    second = await client.put(URL, params={"statementId": statement["id"]}, json=again)
    assert second.status_code == 204, second.text
    assert await fetch(client, statement["id"]) == before


async def test_put_different_resend_is_409_without_change(
    client: httpx.AsyncClient,
) -> None:
    """STR-W-005/006: another statement under a used id is a conflict; nothing changes,
    not even the canonical Activity definition it carries."""
    activity_id = f"http://example.com/activities/{uuid.uuid4()}"
    statement = make_statement(object=make_activity(activity_id))
    await client.put(URL, params={"statementId": statement["id"]}, json=statement)
    before = await fetch(client, statement["id"])
    other = make_statement(
        id=statement["id"],
        object=make_activity(activity_id, definition={"name": {"en-US": "Renamed"}}),
        verb={"id": "http://example.com/verbs/other"},
    )
    response = await client.put(URL, params={"statementId": statement["id"]}, json=other)
    assert response.status_code == 409
    assert await fetch(client, statement["id"]) == before
    activity = await client.get("/xAPI/activities", params={"activityId": activity_id})
    assert activity.json()["definition"]["name"] == {"en-US": "Lesson 1"}


# --- POST -----------------------------------------------------------------------------------


async def test_post_single_object_and_array(client: httpx.AsyncClient) -> None:
    """STR-W-007/008, ORD-003: ids (generated ones included) in submission order."""
    reg = str(uuid.uuid4())
    given = in_run(reg)
    unnamed = in_run(reg)
    del unnamed["id"]
    response = await client.post(URL, json=[given, unnamed, in_run(reg)])
    assert response.status_code == 200, response.text
    _through_ok(response)
    ids = response.json()
    assert len(ids) == 3
    assert ids[0] == given["id"]
    assert all(uuid.UUID(i) for i in ids)
    single = await client.post(URL, json=in_run(reg))
    assert single.status_code == 200
    assert len(single.json()) == 1
    assert await count(client, reg) == 4


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"[]", "empty array"),
        (b"", "empty body"),
        (b"null", "null"),
        (b"[1, 2]", "array of non-statements"),
        (b'{"actor": ', "truncated JSON"),
        (b'{"a": NaN}', "NaN is not JSON"),
    ],
)
async def test_post_body_errors(client: httpx.AsyncClient, content: bytes, why: str) -> None:
    """STR-W-012, ERR-004."""
    response = await client.post(URL, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, why


async def test_post_duplicate_ids_in_batch_is_400(
    client: httpx.AsyncClient,
) -> None:
    """STR-W-009: two statements sharing an id (in any letter case) refuse the batch."""
    reg = str(uuid.uuid4())
    first = in_run(reg)
    second = in_run(reg, id=first["id"].upper())
    response = await client.post(URL, json=[first, second])
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "$[1].id"
    assert await count(client, reg) == 0


async def test_post_one_invalid_statement_stores_none(
    client: httpx.AsyncClient,
) -> None:
    """ERR-009: one bad statement refuses the whole batch; the path names it."""
    reg = str(uuid.uuid4())
    bad = in_run(reg, actor={"mbox": "alice@example.com"})
    response = await client.post(URL, json=[in_run(reg), bad])
    assert response.status_code == 400
    assert response.json()["error"]["path"].startswith("$[1].actor")
    assert await count(client, reg) == 0


async def test_post_equivalent_resend_returns_ids(
    client: httpx.AsyncClient,
) -> None:
    """STR-W-006: an equivalent statement already stored is accepted and not stored twice,
    also inside a batch with new statements."""
    reg = str(uuid.uuid4())
    old = in_run(reg)
    await client.post(URL, json=old)
    before = await fetch(client, old["id"])
    new = in_run(reg)
    response = await client.post(URL, json=[new, old])
    assert response.status_code == 200, response.text
    assert response.json() == [new["id"], old["id"]]
    assert await fetch(client, old["id"]) == before
    assert await count(client, reg) == 2


async def test_post_conflict_in_mixed_batch_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    """STR-W-005/006, ERR-009: a 409 for one statement stores none of the batch."""
    reg = str(uuid.uuid4())
    old = in_run(reg)
    await client.post(URL, json=old)
    changed = in_run(reg, id=old["id"], actor=make_agent(who="mallory"))
    fresh = in_run(reg)
    response = await client.post(URL, json=[fresh, changed])
    assert response.status_code == 409
    assert (await client.get(URL, params={"statementId": fresh["id"]})).status_code == 404
    assert await count(client, reg) == 1


# --- LRS-assigned properties ----------------------------------------------------------------


async def test_lrs_sets_stored_authority_timestamp(
    client: httpx.AsyncClient,
) -> None:
    """ST-PROC-002/004/005/006: stored replaced, timestamp defaulted, authority from the
    credential whatever the client sent."""
    statement = make_statement(
        stored="2001-01-01T00:00:00Z",
        authority=make_agent(who="impostor"),
    )
    del statement["timestamp"]
    [sid] = (await client.post(URL, json=statement)).json()
    got = await fetch(client, sid)
    assert got["stored"] != "2001-01-01T00:00:00Z"
    assert got["timestamp"] == got["stored"]
    assert got["authority"]["account"]["name"] == "test-admin"
    stored = datetime.fromisoformat(got["stored"].replace("Z", "+00:00"))
    assert abs(stored - datetime.now(UTC)) < timedelta(minutes=1)


async def test_timestamp_converted_to_utc(client: httpx.AsyncClient) -> None:
    """ST-VAL-125, ST-PROC-016/017: an offset timestamp is kept as the same UTC instant."""
    [sid] = (
        await client.post(URL, json=make_statement(timestamp="2024-05-01T14:30:00.123+02:00"))
    ).json()
    assert (await fetch(client, sid))["timestamp"] == "2024-05-01T12:30:00.123Z"


@pytest.mark.parametrize(
    ("version_header", "expected"), [("1.0.3", "1.0.0"), ("1.0", "1.0.0"), ("2.0.0", "2.0.0")]
)
async def test_version_defaults_per_request_version(
    client: httpx.AsyncClient, version_header: str, expected: str
) -> None:
    """ST-PROC-011, VER-004: `version` is 1.0.0 for 1.0.x requests and 2.0.0 for 2.0.x."""
    response = await client.post(
        URL, json=make_statement(), headers={"X-Experience-API-Version": version_header}
    )
    assert response.status_code == 200, response.text
    [sid] = response.json()
    assert (await fetch(client, sid))["version"] == expected


async def test_supplied_version_is_kept(client_103: httpx.AsyncClient) -> None:
    """ST-PROC-011, ST-VAL-131: a 1.0.x `version` is kept; another major is refused."""
    [sid] = (await client_103.post(URL, json=make_statement(version="1.0.1"))).json()
    got = await client_103.get(URL, params={"statementId": sid})
    assert got.json()["version"] == "1.0.1"
    refused = await client_103.post(URL, json=make_statement(version="2.0.0"))
    assert refused.status_code == 400


async def test_context_agents_refused_under_1_0_3(
    client: httpx.AsyncClient, client_103: httpx.AsyncClient
) -> None:
    """ST-VAL-113: contextAgents is a 2.0 property; a 1.0.3 request carrying it is 400."""
    context = {"contextAgents": [{"objectType": "contextAgent", "agent": make_agent(who="eve")}]}
    statement = make_statement(context=context)
    assert (await client_103.post(URL, json=statement)).status_code == 400
    assert (await client.post(URL, json=statement)).status_code == 200


async def test_writes_need_the_write_scope(scoped: Any) -> None:
    """AUTH-005: a read-only credential may not store statements."""
    from lrs.auth.scopes import Scope

    async with await scoped.client(Scope.STATEMENTS_READ) as reader:
        response = await reader.post(URL, json=make_statement())
    assert response.status_code == 403


async def test_anonymous_write_is_401(anon_client: httpx.AsyncClient) -> None:
    """AUTH-003: no credentials, 401 with the version header (HDR-001)."""
    response = await anon_client.post(
        URL, json=make_statement(), headers={"X-Experience-API-Version": "1.0.3"}
    )
    assert response.status_code == 401
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


async def test_resend_without_timestamp_is_equivalent(client: httpx.AsyncClient) -> None:
    """ST-PROC-015, STR-W-006: the timestamp the LRS filled in on the first write does not
    make a resend without one a conflict; nor does member order or sub-0.01 s duration."""
    group = {"objectType": "Group", "member": [make_agent(who="m1"), make_agent(who="m2")]}
    statement = make_statement(actor=group, result={"duration": "PT1.001S"})
    del statement["timestamp"]
    first = await client.put(URL, params={"statementId": statement["id"]}, json=statement)
    assert first.status_code == 204
    again = {
        **statement,
        "actor": {**group, "member": list(reversed(group["member"]))},
        "result": {"duration": "PT1.0014S"},
    }
    second = await client.put(URL, params={"statementId": statement["id"]}, json=again)
    assert second.status_code == 204, second.text
    posted = await client.post(URL, json=[again])
    assert posted.status_code == 200, posted.text
