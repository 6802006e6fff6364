"""format=exact|ids|canonical and Accept-Language (STR-Q-015..023, ST-PROC-012/013)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.factories import make_activity, make_agent, make_group, make_statement

URL = "/xAPI/statements"


def fresh_id() -> str:
    return f"http://example.com/activities/{uuid.uuid4()}"


async def post(client: httpx.AsyncClient, *statements: dict[str, Any]) -> list[str]:
    response = await client.post(URL, json=list(statements))
    assert response.status_code == 200, response.text
    ids: list[str] = response.json()
    return ids


async def get(client: httpx.AsyncClient, sid: str, fmt: str, **headers: str) -> dict[str, Any]:
    response = await client.get(URL, params={"statementId": sid, "format": fmt}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_exact_returns_what_was_sent(client: httpx.AsyncClient) -> None:
    """STR-Q-016/017, ST-PROC-013: exact is the default and keeps everything, verb display
    absent when it was absent; only contextActivities singletons become arrays
    (ST-PROC-012)."""
    parent = make_activity(fresh_id())
    statement = make_statement(
        actor=make_agent(name="Alice Ü"),
        verb={"id": "http://example.com/verbs/tried"},
        result={"duration": "PT1M30.5S", "extensions": {"http://example.com/e": None}},
        context={"contextActivities": {"parent": parent}, "language": "en-US"},
    )
    [sid] = await post(client, statement)
    for body in (await get(client, sid, "exact"), await get(client, sid, "exact")):
        assert body["actor"] == statement["actor"]
        assert body["verb"] == {"id": "http://example.com/verbs/tried"}
        assert body["object"] == statement["object"]
        assert body["result"] == statement["result"]
        assert body["context"]["contextActivities"] == {"parent": [parent]}
    default = (await client.get(URL, params={"statementId": sid})).json()
    assert default == await get(client, sid, "exact")


async def test_ids_reduces_to_identifiers(client: httpx.AsyncClient) -> None:
    """STR-Q-018/019: agents to objectType + IFI (anonymous groups keep members' IFIs),
    activities to objectType + id, verbs to id (no display)."""
    members = [make_agent(who="m1", name="Member One"), make_agent("openid", "m2", name="M2")]
    instructor = make_agent("account", "teacher", name="Teacher")
    statement = make_statement(
        actor=make_group(*members, name="Anonymous team"),
        object=make_agent(who="bob", name="Bob"),
        context={"instructor": instructor, "contextActivities": {"other": make_activity()}},
    )
    [sid] = await post(client, statement)
    body = await get(client, sid, "ids")
    assert body["actor"] == {
        "objectType": "Group",
        "member": [
            {"objectType": "Agent", "mbox": "mailto:m1@example.com"},
            {"objectType": "Agent", "openid": "https://openid.example.com/m2"},
        ],
    }
    assert body["verb"] == {"id": statement["verb"]["id"]}
    assert body["object"] == {"objectType": "Agent", "mbox": "mailto:bob@example.com"}
    assert body["context"]["instructor"] == {
        "objectType": "Agent",
        "account": {"homePage": "https://accounts.example.com", "name": "teacher"},
    }
    other = body["context"]["contextActivities"]["other"]
    assert other == [{"id": make_activity()["id"]}]
    assert "name" not in body["authority"]


async def test_ids_for_identified_group_and_query(client: httpx.AsyncClient) -> None:
    """STR-Q-018: an identified group keeps its IFI only; the format applies to lists."""
    reg = str(uuid.uuid4())
    group = make_group(make_agent(who="x"), ifi="mbox", who="squad", name="Squad")
    [sid] = await post(client, make_statement(actor=group, context={"registration": reg}))
    response = await client.get(URL, params={"registration": reg, "format": "ids"})
    [body] = response.json()["statements"]
    assert body["id"] == sid
    assert body["actor"] == {"objectType": "Group", "mbox": "mailto:squad@example.com"}


async def test_canonical_uses_latest_definition_one_language(client: httpx.AsyncClient) -> None:
    """STR-Q-020/021/022, ST-PROC-019: canonical replaces each Activity definition with the
    LRS's current one and keeps one language per map, chosen by Accept-Language per map."""
    activity_id = fresh_id()
    first = make_activity(
        activity_id,
        definition={
            "name": {"en-US": "Old name", "fr-FR": "Ancien nom"},
            "description": {"en-US": "A description"},
        },
    )
    second = make_activity(
        activity_id,
        definition={"name": {"en-US": "New name", "de-DE": "Neuer Name"}},
    )
    [old] = await post(client, make_statement(object=first))
    await post(client, make_statement(object=second))
    exact = await get(client, old, "exact")
    assert exact["object"]["definition"]["name"] == first["definition"]["name"]
    german = await get(client, old, "canonical", **{"Accept-Language": "de-DE, en;q=0.5"})
    assert german["object"]["definition"]["name"] == {"de-DE": "Neuer Name"}
    # description has no German text: the second choice applies to that map on its own.
    assert german["object"]["definition"]["description"] == {"en-US": "A description"}
    french = await get(client, old, "canonical", **{"Accept-Language": "fr"})
    assert french["object"]["definition"]["name"] == {"fr-FR": "Ancien nom"}
    default = await get(client, old, "canonical")
    assert len(default["object"]["definition"]["name"]) == 1
    assert german["actor"] == exact["actor"]


async def test_canonical_verb_display_and_components_one_language(
    client: httpx.AsyncClient,
) -> None:
    """STR-Q-021/023: verb display and interaction component descriptions keep one
    language too."""
    activity = make_activity(
        fresh_id(),
        definition={
            "interactionType": "choice",
            "correctResponsesPattern": ["a"],
            "choices": [
                {"id": "a", "description": {"en-US": "Yes", "es": "Sí"}},
                {"id": "b", "description": {"en-US": "No", "es": "No"}},
            ],
        },
    )
    verb = {"id": "http://example.com/verbs/answered", "display": {"en-US": "answered", "es": "x"}}
    [sid] = await post(client, make_statement(verb=verb, object=activity))
    body = await get(client, sid, "canonical", **{"Accept-Language": "es"})
    assert body["verb"]["display"] == {"es": "x"}
    choices = body["object"]["definition"]["choices"]
    assert [c["description"] for c in choices] == [{"es": "Sí"}, {"es": "No"}]
    assert body["object"]["definition"]["correctResponsesPattern"] == ["a"]


async def test_canonical_in_statement_result(client: httpx.AsyncClient) -> None:
    """STR-Q-020 for a StatementResult: every statement gets the canonical definition."""
    activity_id = fresh_id()
    reg = str(uuid.uuid4())
    for name in ("First", "Second"):
        activity = make_activity(activity_id, definition={"name": {"en-US": name}})
        await post(client, make_statement(object=activity, context={"registration": reg}))
    response = await client.get(URL, params={"registration": reg, "format": "canonical"})
    names = [s["object"]["definition"]["name"] for s in response.json()["statements"]]
    assert names == [{"en-US": "Second"}, {"en-US": "Second"}]
