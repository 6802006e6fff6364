"""StatementRef expansion in queries (STR-Q-025..029)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.factories import make_activity, make_agent, make_statement, make_statement_ref

URL = "/xAPI/statements"


def fresh_activity() -> dict[str, Any]:
    return make_activity(f"http://example.com/activities/{uuid.uuid4()}")


def referrer(target: str, **overrides: Any) -> dict[str, Any]:
    return make_statement(
        object=make_statement_ref(target),
        verb={"id": "http://example.com/verbs/liked"},
        actor=make_agent(who=f"r{uuid.uuid4().hex[:8]}"),
        **overrides,
    )


async def post(client: httpx.AsyncClient, *statements: dict[str, Any]) -> list[str]:
    response = await client.post(URL, json=list(statements))
    assert response.status_code == 200, response.text
    ids: list[str] = response.json()
    return ids


async def ids_for(client: httpx.AsyncClient, **params: str) -> list[str]:
    response = await client.get(URL, params=params)
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()["statements"]]


async def test_referrer_matches_target_filters(client: httpx.AsyncClient) -> None:
    """STR-Q-025: the referrer is returned for the target's activity, verb, agent and
    registration, while its own properties still match as usual."""
    activity = fresh_activity()
    reg = str(uuid.uuid4())
    verb = f"http://example.com/verbs/{uuid.uuid4()}"
    agent = make_agent(who=f"a{uuid.uuid4().hex[:8]}")
    [target] = await post(
        client,
        make_statement(
            actor=agent, verb={"id": verb}, object=activity, context={"registration": reg}
        ),
    )
    [ref] = await post(client, referrer(target))
    expected = {target, ref}
    assert set(await ids_for(client, activity=activity["id"])) == expected
    assert set(await ids_for(client, verb=verb)) == expected
    assert set(await ids_for(client, registration=reg)) == expected
    assert set(await ids_for(client, agent=_json(agent))) == expected
    assert set(await ids_for(client, activity=activity["id"], verb=verb)) == expected


def _json(value: dict[str, Any]) -> str:
    import json

    return json.dumps(value)


async def test_chain_and_target_arriving_late(client: httpx.AsyncClient) -> None:
    """STR-Q-025: chains are followed recursively, whatever order the links arrive in."""
    activity = fresh_activity()
    target = make_statement(object=activity)
    middle = referrer(target["id"])
    outer = referrer(middle["id"])
    await post(client, outer)
    await post(client, target)
    assert set(await ids_for(client, activity=activity["id"])) == {target["id"]}
    await post(client, middle)
    found = await ids_for(client, activity=activity["id"])
    assert set(found) == {target["id"], middle["id"], outer["id"]}


async def test_time_filters_and_limit_apply_to_referrer(client: httpx.AsyncClient) -> None:
    """STR-Q-026: since/until/limit look at the referrer's own `stored`."""
    activity = fresh_activity()
    [target] = await post(client, make_statement(object=activity))
    stored = (await client.get(URL, params={"statementId": target})).json()["stored"]
    [ref] = await post(client, referrer(target))
    assert await ids_for(client, activity=activity["id"], since=stored) == [ref]
    assert await ids_for(client, activity=activity["id"], until=stored) == [target]
    assert await ids_for(client, activity=activity["id"], limit="1") == [ref]


async def test_context_statement_does_not_expand(client: httpx.AsyncClient) -> None:
    """STR-Q-027: a StatementRef in context.statement does not make a match."""
    activity = fresh_activity()
    [target] = await post(client, make_statement(object=activity))
    [_other] = await post(client, make_statement(context={"statement": make_statement_ref(target)}))
    assert await ids_for(client, activity=activity["id"]) == [target]


async def test_single_lookup_does_not_expand(client: httpx.AsyncClient) -> None:
    """STR-Q-028: statementId returns the referrer as stored, not its target."""
    [target] = await post(client, make_statement())
    [ref] = await post(client, referrer(target))
    body = (await client.get(URL, params={"statementId": ref})).json()
    assert body["object"] == {"objectType": "StatementRef", "id": target}


async def test_referrer_of_voided_target_is_returned_without_target(
    client: httpx.AsyncClient,
) -> None:
    """STR-Q-029, ST-VOID-008: expansion never brings back the voided statement, but the
    statements pointing at it still match."""
    from tests.factories import make_voiding

    activity = fresh_activity()
    [target] = await post(client, make_statement(object=activity))
    [ref] = await post(client, referrer(target))
    [void] = await post(client, make_voiding(target))
    assert set(await ids_for(client, activity=activity["id"])) == {ref, void}


async def test_referrer_unrelated_filter_still_excluded(client: httpx.AsyncClient) -> None:
    """STR-Q-009 with STR-Q-025: inherited terms add matches, filters still combine."""
    activity = fresh_activity()
    [target] = await post(client, make_statement(object=activity))
    await post(client, referrer(target))
    other_verb = f"http://example.com/verbs/{uuid.uuid4()}"
    assert await ids_for(client, activity=activity["id"], verb=other_verb) == []
