"""A verb filter beside another term is checked on the walked term rows' verb key (migration
0014, `lrs.storage.statement_queries._verb_checked`): the key narrows the walk, and the
answers are those of the filters (STR-Q-009, STR-Q-025) whatever the keys hold, for rows
written before the key (NULL) and for a key two verb IRIs share."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from lrs.storage.database import transaction
from tests.api.test_statements_refs import ids_for as _ids
from tests.api.test_statements_refs import post as _post
from tests.factories import make_activity, make_agent, make_statement, make_statement_ref

URL = "/xAPI/statements"

_SET_KEY = text(
    "UPDATE statement_terms SET verb_key = CAST(:key AS bigint) "
    "WHERE seq = (SELECT seq FROM statements WHERE id = CAST(:id AS uuid))"
)
_KEY_OF = text("SELECT hashtextextended(CAST(:verb AS text), 0)")
_KEYS = text(
    "SELECT DISTINCT t.verb_key FROM statement_terms t JOIN statements s ON s.seq = t.seq "
    "WHERE s.id = CAST(:id AS uuid)"
)


def _verb() -> str:
    return f"http://example.com/verbs/{uuid.uuid4()}"


def _agent() -> dict[str, Any]:
    return make_agent(who=f"v{uuid.uuid4().hex[:8]}")


async def test_agent_and_verb_return_only_that_verb_in_stored_order(
    client: httpx.AsyncClient,
) -> None:
    agent, wanted, other = _agent(), _verb(), _verb()
    statements = [
        make_statement(actor=agent, verb={"id": wanted if n % 3 == 0 else other}) for n in range(9)
    ]
    ids = [stored for s in statements for stored in await _post(client, s)]
    expected = [ids[n] for n in (6, 3, 0)]  # newest first
    assert await _ids(client, agent=json.dumps(agent), verb=wanted) == expected
    assert await _ids(client, agent=json.dumps(agent), verb=wanted, ascending="true") == list(
        reversed(expected)
    )
    paged = await client.get(URL, params={"agent": json.dumps(agent), "verb": wanted, "limit": 2})
    body = paged.json()
    assert [s["id"] for s in body["statements"]] == expected[:2]
    rest = await client.get(body["more"])
    assert [s["id"] for s in rest.json()["statements"]] == expected[2:]


async def test_every_term_row_of_a_new_statement_carries_its_verb_key(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    verb = _verb()
    [stored] = await _post(client, make_statement(actor=_agent(), verb={"id": verb}))
    async with transaction(app.state.lrs.engine) as conn:
        keys = (await conn.scalars(_KEYS, {"id": stored})).all()
        assert keys == [await conn.scalar(_KEY_OF, {"verb": verb})]


async def test_rows_without_a_key_are_still_found(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Rows written before the key existed hold NULL: the verb is probed for them."""
    agent, verb = _agent(), _verb()
    [older] = await _post(client, make_statement(actor=agent, verb={"id": verb}))
    [newer] = await _post(client, make_statement(actor=agent, verb={"id": verb}))
    await _post(client, make_statement(actor=agent, verb={"id": _verb()}))
    async with transaction(app.state.lrs.engine) as conn:
        await conn.execute(_SET_KEY, {"key": None, "id": older})
    assert await _ids(client, agent=json.dumps(agent), verb=verb) == [newer, older]


async def test_a_key_shared_with_another_verb_does_not_make_a_match(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The key only narrows the walk: a row whose key is the asked verb's but whose
    statement has another verb (two IRIs with one key) is not returned."""
    agent, verb, asked = _agent(), _verb(), _verb()
    [stored] = await _post(client, make_statement(actor=agent, verb={"id": verb}))
    async with transaction(app.state.lrs.engine) as conn:
        key = await conn.scalar(_KEY_OF, {"verb": asked})
        await conn.execute(_SET_KEY, {"key": key, "id": stored})
    assert await _ids(client, agent=json.dumps(agent), verb=asked) == []


async def test_a_referrer_matches_through_its_targets_verb_and_agent_together(
    client: httpx.AsyncClient,
) -> None:
    """STR-Q-025: a StatementRef is returned when its target matches the filters, or when
    it does itself; its own agent with its target's verb is neither."""
    target_agent, target_verb = _agent(), _verb()
    referrer_agent, referrer_verb = _agent(), _verb()
    activity = make_activity(f"http://example.com/activities/{uuid.uuid4()}")
    [target] = await _post(
        client, make_statement(actor=target_agent, verb={"id": target_verb}, object=activity)
    )
    [ref] = await _post(
        client,
        make_statement(
            actor=referrer_agent, verb={"id": referrer_verb}, object=make_statement_ref(target)
        ),
    )
    [outer] = await _post(
        client, make_statement(actor=_agent(), verb={"id": _verb()}, object=make_statement_ref(ref))
    )
    assert await _ids(client, agent=json.dumps(target_agent), verb=target_verb) == [
        outer,
        ref,
        target,
    ]
    assert await _ids(client, agent=json.dumps(referrer_agent), verb=referrer_verb) == [
        outer,
        ref,
    ]
    assert await _ids(client, agent=json.dumps(referrer_agent), verb=target_verb) == []
    assert await _ids(client, activity=activity["id"], verb=target_verb) == [outer, ref, target]
