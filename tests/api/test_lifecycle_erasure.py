"""POST /xAPI/extensions/erasure: a person erased from every place they can appear."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from lrs.auth.scopes import Scope
from tests.api.ext_support import assignment, ext_db, roster, seed_registry, statement, store
from tests.api.lifecycle_support import (
    EXT,
    admin,
    audit_entries,
    erase,
    pseudonym_of,
    scalar,
)
from tests.api.test_statements_attachments import part, post_multipart
from tests.conftest import ScopedClients
from tests.factories import (
    make_agent,
    make_attachment,
    make_group,
    make_statement,
    make_statement_ref,
    make_substatement,
    make_voiding,
)
from tests.paging import pages

__all__ = ["admin", "ext_db"]

ERIN = make_agent(who="erin", name="Erin Example")
OTHER = make_agent(who="oscar", name="Oscar Other")
V2 = {"X-Experience-API-Version": "2.0.0"}


def _erin_everywhere() -> list[dict[str, Any]]:
    """One statement per place an agent can be named (the actor is Oscar unless noted)."""
    by_oscar = {"actor": OTHER}
    return [
        make_statement(actor=ERIN),
        make_statement(**by_oscar, object=ERIN),
        make_statement(**by_oscar, context={"instructor": ERIN}),
        make_statement(**by_oscar, context={"team": make_group(ERIN, make_agent(who="x"))}),
        make_statement(actor=make_group(ERIN, OTHER)),
        make_statement(**by_oscar, object=make_substatement(actor=ERIN)),
        make_statement(**by_oscar, object=make_substatement(context={"instructor": ERIN})),
        make_statement(
            **by_oscar, context={"contextAgents": [{"objectType": "contextAgent", "agent": ERIN}]}
        ),
        make_statement(
            **by_oscar,
            context={
                "contextGroups": [
                    {
                        "objectType": "contextGroup",
                        "group": make_group(ERIN, ifi="account", who="g"),
                    }
                ]
            },
        ),
    ]


async def _seed(client: httpx.AsyncClient, scoped: ScopedClients) -> dict[str, Any]:
    """Erin in every place, plus what is Oscar's alone; returns the ids of both sides."""
    await seed_registry(client)
    await roster(client, assignment("erin", "PAR", "advisor", "2024-01-01T00:00:00Z"))
    places = _erin_everywhere()
    erin_ids = await store(client, *places)
    # Erin's attachment (only hers) and a payload both she and Oscar use.
    own, shared = b"erin's certificate", b"shared handbook"
    erin_att = make_statement(
        actor=ERIN, attachments=[make_attachment(own), make_attachment(shared)]
    )
    oscar_att = make_statement(actor=OTHER, attachments=[make_attachment(shared)])
    response = await post_multipart(client, [erin_att, oscar_att], part(own), part(shared))
    assert response.status_code == 200, response.text
    erin_ids.append(erin_att["id"])
    # A statement only referring to one of Erin's (StatementRef), a chain on it, and a voiding.
    ref = make_statement(actor=OTHER, object=make_statement_ref(erin_ids[0]))
    chain = make_statement(actor=OTHER, object=make_statement_ref(ref["id"]))
    voiding = make_voiding(erin_ids[1], actor=OTHER)
    erin_ids += await store(client, ref, chain, voiding)
    oscar_ids = await store(
        client,
        statement("oscar", door="PAR", role="advisor"),
        make_statement(
            actor=OTHER, attachments=[make_attachment(b"fileurl", fileUrl="https://f.example/x")]
        ),
    )
    oscar_ids.append(oscar_att["id"])
    erin_ids += await store(client, statement("erin"))  # tagged by the roster
    # Her documents, and Oscar's.
    for who in (ERIN, OTHER):
        agent = json.dumps(who)
        state = {"activityId": "http://example.com/a", "agent": agent, "stateId": "s"}
        put = await client.put("/xAPI/activities/state", params=state, json={"a": 1})
        assert put.status_code == 204
        profile = {"agent": agent, "profileId": "p"}
        fresh = {"If-None-Match": "*"}
        put = await client.put("/xAPI/agents/profile", params=profile, json={"b": 2}, headers=fresh)
        assert put.status_code == 204, put.text
    return {"erin": erin_ids, "oscar": oscar_ids, "own": own, "shared": shared}


EXPECTED = {
    "statements": 14,
    "attachments": 1,
    "tags": 3,  # the roster tags her own three statements
    "state_documents": 1,
    "agent_profiles": 1,
    "roster_assignments": 1,
    "agents": 1,
}


async def test_erasure_reaches_every_place(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    scoped: ScopedClients,
    ext_db: None,
) -> None:
    seeded = await _seed(client, scoped)
    pseudonym = await pseudonym_of(app, ERIN)
    dry = await erase(admin, agent=ERIN, dry_run=True)
    assert dry == {"dry_run": True, "subject": pseudonym, "counts": EXPECTED}
    # A dry run changes nothing.
    kept = await client.get("/xAPI/statements", params={"statementId": seeded["erin"][0]})
    assert kept.status_code == 200

    real = await erase(admin, agent=ERIN)
    assert real == {"dry_run": False, "subject": pseudonym, "counts": EXPECTED}

    for statement_id in seeded["erin"]:
        for name in ("statementId", "voidedStatementId"):
            response = await client.get("/xAPI/statements", params={name: statement_id})
            assert response.status_code == 404, statement_id
    for statement_id in seeded["oscar"]:
        response = await client.get("/xAPI/statements", params={"statementId": statement_id})
        assert response.status_code == 200
    found = await client.get(
        "/xAPI/statements", params={"agent": json.dumps(ERIN), "related_agents": "true"}
    )
    assert found.json()["statements"] == []
    everything = (await client.get("/xAPI/statements", params={"limit": "0"})).text
    assert "erin@" not in everything
    assert "Erin Example" not in everything
    # Documents, roster, agent record, attachments, BI view and exports.
    agent = json.dumps(ERIN)
    state = {"activityId": "http://example.com/a", "agent": agent, "stateId": "s"}
    assert (await client.get("/xAPI/activities/state", params=state)).status_code == 404
    profile = {"agent": agent, "profileId": "p"}
    assert (await client.get("/xAPI/agents/profile", params=profile)).status_code == 404
    other_state = {**state, "agent": json.dumps(OTHER)}
    assert (await client.get("/xAPI/activities/state", params=other_state)).status_code == 200
    bare = json.dumps({"mbox": ERIN["mbox"]})  # a name in the request is echoed back
    person = (await client.get("/xAPI/agents", params={"agent": bare})).json()
    assert "Erin Example" not in json.dumps(person)
    assigned = await client.get(f"{EXT}/roster", params={"agent": agent})
    assert assigned.json()["assignments"] == []
    own, shared = (hashlib.sha256(p).hexdigest() for p in (seeded["own"], seeded["shared"]))
    assert await scalar(app, "SELECT count(*) FROM attachments WHERE sha2 = :s", s=own) == 0
    assert await scalar(app, "SELECT count(*) FROM attachments WHERE sha2 = :s", s=shared) == 1
    view = "SELECT count(*) FROM ext_bi_statements WHERE actor_key = :p"
    assert await scalar(app, view, p=pseudonym) == 0
    # The query terms went with their statements (triggers of migration 0010).
    orphans = (
        "SELECT count(*) FROM statement_terms t "
        "WHERE NOT EXISTS (SELECT 1 FROM statements s WHERE s.seq = t.seq)"
    )
    assert await scalar(app, orphans) == 0
    assert await scalar(app, "SELECT count(*) FROM statement_terms WHERE term LIKE '%erin@%'") == 0
    export = await client.get(f"{EXT}/export", params={"identities": "true", "format": "ndjson"})
    assert "erin@" not in export.text
    assert "oscar@" in export.text
    summary = await client.get(f"{EXT}/summary")
    assert summary.status_code == 200

    # Idempotent: a second run finds nothing.
    again = await erase(admin, agent=ERIN)
    assert set(again["counts"].values()) == {0}


async def test_erasure_of_an_authority(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, scoped: ScopedClients, ext_db: None
) -> None:
    key, _ = await scoped.credential(Scope.STATEMENTS_WRITE)
    async with await scoped.client(Scope.STATEMENTS_WRITE) as writer:
        ids = await store(writer, statement("oscar"))
    kept = await store(client, statement("oscar"))
    authority = {"account": {"homePage": "https://lrs.invalid/credentials", "name": key}}
    result = await erase(admin, agent=authority)
    assert result["counts"]["statements"] == 1
    for statement_id, status in ((ids[0], 404), (kept[0], 200)):
        response = await client.get("/xAPI/statements", params={"statementId": statement_id})
        assert response.status_code == status


async def test_erasure_by_actor_key_and_later_statements(
    app: FastAPI, client: httpx.AsyncClient, admin: httpx.AsyncClient, ext_db: None
) -> None:
    await store(client, statement("erin"), statement("erin"), statement("oscar"))
    pseudonym = await pseudonym_of(app, make_agent(who="erin"))
    result = await erase(admin, actor_key=pseudonym)
    assert result["counts"]["statements"] == 2
    assert result["counts"]["agents"] == 1
    # Not a block list: what arrives later is stored normally.
    later = await store(client, statement("erin"))
    response = await client.get("/xAPI/statements", params={"statementId": later[0]})
    assert response.status_code == 200
    unknown = await erase(admin, actor_key="0" * 64)
    assert set(unknown["counts"].values()) == {0}


async def test_more_token_issued_before_shows_no_erased_rows(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, ext_db: None
) -> None:
    await store(client, *(statement("erin" if i % 2 else "oscar") for i in range(8)))
    params = {"limit": "2", "ascending": "true"}
    first = (await client.get("/xAPI/statements", params=params)).json()
    ext_first = (await client.get(f"{EXT}/statements", params={"limit": "2"})).json()
    assert first["more"]
    assert ext_first["more"]
    await erase(admin, agent=make_agent(who="erin"))
    seen: list[dict[str, Any]] = []
    for link in (first["more"], ext_first["more"]):
        seen += [
            s async for body in pages(client, await client.get(link)) for s in body["statements"]
        ]
    assert seen
    assert all("erin@" not in json.dumps(s) for s in seen)


async def test_admin_scope_is_needed(
    scoped: ScopedClients, client: httpx.AsyncClient, ext_db: None
) -> None:
    body = {"agent": make_agent(who="erin"), "dry_run": True}
    async with await scoped.client(Scope.ALL) as everything:
        assert (await everything.post(f"{EXT}/erasure", json=body)).status_code == 403
        purge = {"before": "2000-01-01T00:00:00Z"}
        assert (await everything.post(f"{EXT}/purge", json=purge)).status_code == 403
        assert (await everything.get(f"{EXT}/audit")).status_code == 403
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://lrs.test")
    async with anonymous:
        assert (await anonymous.post(f"{EXT}/erasure", json=body)).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"agent": make_agent(who="e"), "actor_key": "0" * 64},
        {"actor_key": "not-hex"},
        {"agent": {"name": "no ifi"}},
        {"agent": make_agent(who="e"), "dry_run": "yes"},
        {"agent": make_agent(who="e"), "surprise": 1},
        [],
    ],
)
async def test_bad_erasure_bodies_are_400(admin: httpx.AsyncClient, body: Any) -> None:
    response = await admin.post(f"{EXT}/erasure", json=body)
    assert response.status_code == 400, response.text


async def test_erasure_is_audited_without_ifi(
    app: FastAPI, client: httpx.AsyncClient, admin: httpx.AsyncClient, ext_db: None
) -> None:
    erin = make_agent(who="audited-erin")
    await store(client, make_statement(actor=erin))
    result = await erase(admin, agent=erin)
    entries = await audit_entries(admin, action="erasure")
    mine = [e for e in entries if e["subject"] == result["subject"]]
    assert len(mine) == 1
    assert mine[0]["details"] == result["counts"]
    assert mine[0]["actor"].startswith("k-")  # the admin credential's key
    assert "audited-erin" not in json.dumps(entries)
    query = "SELECT count(*) FROM audit_log WHERE details::text LIKE '%audited-erin%'"
    rows = await scalar(app, query)
    assert rows == 0
    # Dry runs are not acts: not recorded.
    await erase(admin, agent=erin, dry_run=True)
    entries = await audit_entries(admin, action="erasure")
    assert len([e for e in entries if e["subject"] == result["subject"]]) == 1
