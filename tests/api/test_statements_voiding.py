"""Voiding over HTTP (ST-VOID-001..009, STR-R-002/005, STR-Q-029)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.factories import make_activity, make_statement, make_statement_ref, make_voiding

URL = "/xAPI/statements"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def tagged(reg: str, **overrides: Any) -> dict[str, Any]:
    return make_statement(context={"registration": reg}, **overrides)


def voiding(reg: str, target: str) -> dict[str, Any]:
    return make_voiding(target, context={"registration": reg})


async def post(client: httpx.AsyncClient, *statements: dict[str, Any]) -> list[str]:
    response = await client.post(URL, json=list(statements))
    assert response.status_code == 200, response.text
    ids: list[str] = response.json()
    return ids


async def listed(client: httpx.AsyncClient, reg: str) -> set[str]:
    response = await client.get(URL, params={"registration": reg})
    return {s["id"] for s in response.json()["statements"]}


async def status(client: httpx.AsyncClient, **params: str) -> int:
    return (await client.get(URL, params=params)).status_code


async def test_voided_statement_only_via_voided_statement_id(client: httpx.AsyncClient) -> None:
    """ST-VOID-003/007/008, STR-R-002/005: the target leaves queries and statementId
    lookups; voidedStatementId returns it; the voiding statement itself is listed."""
    reg = str(uuid.uuid4())
    [target] = await post(client, tagged(reg))
    [void] = await post(client, voiding(reg, target))
    assert await listed(client, reg) == {void}
    assert await status(client, statementId=target) == 404
    response = await client.get(URL, params={"voidedStatementId": target})
    assert response.status_code == 200
    assert response.json()["id"] == target
    assert "Last-Modified" in response.headers
    assert await status(client, statementId=void) == 200


async def test_voided_statement_id_of_live_statement_is_404(client: httpx.AsyncClient) -> None:
    """ST-VOID-009: voidedStatementId names only voided statements."""
    [sid] = await post(client, make_statement())
    assert await status(client, voidedStatementId=sid) == 404
    assert await status(client, voidedStatementId=str(uuid.uuid4())) == 404


async def test_voiding_a_voiding_statement_has_no_effect(client: httpx.AsyncClient) -> None:
    """ST-VOID-004: the first voiding statement stays visible, its target stays voided."""
    reg = str(uuid.uuid4())
    [target] = await post(client, tagged(reg))
    [first] = await post(client, voiding(reg, target))
    [second] = await post(client, voiding(reg, first))
    assert await listed(client, reg) == {first, second}
    assert await status(client, statementId=first) == 200
    assert await status(client, voidedStatementId=first) == 404
    assert await status(client, voidedStatementId=target) == 200


async def test_voiding_before_target_arrives(client: httpx.AsyncClient) -> None:
    """ST-VOID-005/006: an unknown target is accepted; when it arrives it is voided."""
    reg = str(uuid.uuid4())
    target = tagged(reg)
    [void] = await post(client, voiding(reg, target["id"]))
    assert await listed(client, reg) == {void}
    await post(client, target)
    assert await listed(client, reg) == {void}
    assert await status(client, statementId=target["id"]) == 404
    assert await status(client, voidedStatementId=target["id"]) == 200


async def test_voiding_and_target_in_one_batch(client: httpx.AsyncClient) -> None:
    """ST-VOID-006: both orders inside one batch."""
    reg = str(uuid.uuid4())
    first, second = tagged(reg), tagged(reg)
    ids = await post(client, first, voiding(reg, first["id"]), voiding(reg, second["id"]), second)
    assert await listed(client, reg) == {ids[1], ids[2]}


async def test_voided_target_of_voiding_that_arrives_voided_stays(
    client: httpx.AsyncClient,
) -> None:
    """ST-VOID-004: a voiding statement that arrives after something 'voided' it is still a
    voiding statement, so it stays visible and still voids its target."""
    reg = str(uuid.uuid4())
    target = tagged(reg)
    first_void = voiding(reg, target["id"])
    [second_void] = await post(client, voiding(reg, first_void["id"]))
    await post(client, target, first_void)
    assert await listed(client, reg) == {first_void["id"], second_void}


async def test_queries_by_target_filter_return_voiding_not_target(
    client: httpx.AsyncClient,
) -> None:
    """STR-Q-025/029, ST-VOID-008: a filter matching the voided target returns the voiding
    statement (it references a match) but never the voided statement."""
    activity = make_activity(f"http://example.com/activities/{uuid.uuid4()}")
    [target] = await post(client, make_statement(object=activity))
    [void] = await post(client, make_voiding(target))
    response = await client.get(URL, params={"activity": activity["id"]})
    assert [s["id"] for s in response.json()["statements"]] == [void]


@pytest.mark.parametrize(
    ("obj", "why"),
    [
        (make_activity(), "object is an Activity (ST-VOID-001)"),
        ({"objectType": "StatementRef"}, "StatementRef without id (ST-VOID-002)"),
        ({"objectType": "StatementRef", "id": "nope"}, "StatementRef id not a UUID"),
    ],
)
async def test_malformed_voiding_is_400(
    client: httpx.AsyncClient, obj: dict[str, Any], why: str
) -> None:
    statement = make_statement(verb={"id": VOIDED}, object=obj)
    assert (await client.post(URL, json=statement)).status_code == 400, why


async def test_statement_ref_object_is_not_voiding(client: httpx.AsyncClient) -> None:
    """ST-VOID-003: only the voided verb voids; another verb on a StatementRef does not."""
    reg = str(uuid.uuid4())
    [target] = await post(client, tagged(reg))
    [ref] = await post(client, tagged(reg, object=make_statement_ref(target)))
    assert await listed(client, reg) == {target, ref}
