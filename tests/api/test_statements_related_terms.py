"""A related form is not stored beside its primary form (`lrs.xapi.terms`): the actor is a
statement's `agent:` term only, its object Activity its `activity:` term only, and the
authority no term at all (the statements' `authority_key`). The `related_agents` and
`related_activities` filters (STR-Q-011, STR-Q-010) read every way, whether they drive the
walk or are probed, and answer a statement held two ways (stored before the rule, or a
StatementRef carrying its target's terms, STR-Q-025) once, in stored order, across pages."""

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
from tests.paging import statement_ids

URL = "/xAPI/statements"

_TERMS = text(
    "SELECT t.term FROM statement_terms t JOIN statements s ON s.seq = t.seq "
    "WHERE s.id = CAST(:id AS uuid) ORDER BY t.term"
)
_AUTHORITY_KEY = text("SELECT authority_key FROM statements WHERE id = CAST(:id AS uuid)")
# A store written before the rule held the related form of the actor and object too, and
# the authority as a related agent.
_ADD_RELATED_FORMS = text(
    """
    INSERT INTO statement_terms (term, stored, seq, verb_key)
    SELECT 'r' || t.term, t.stored, t.seq, t.verb_key
    FROM statement_terms t JOIN statements s ON s.seq = t.seq
    WHERE s.id = ANY(CAST(:ids AS uuid[]))
      AND (starts_with(t.term, 'agent:') OR starts_with(t.term, 'activity:'))
    UNION
    SELECT 'ragent:' || s.authority_key, s.stored, s.seq, hashtextextended(s.verb_id, 0)
    FROM statements s WHERE s.id = ANY(CAST(:ids AS uuid[]))
    ON CONFLICT DO NOTHING
    """
)


def _agent() -> dict[str, Any]:
    return make_agent(who=f"t{uuid.uuid4().hex[:8]}")


def _activity() -> dict[str, Any]:
    return make_activity(f"http://example.com/activities/{uuid.uuid4()}")


async def _terms_of(app: FastAPI, statement_id: str) -> list[str]:
    async with transaction(app.state.lrs.engine) as conn:
        return list((await conn.scalars(_TERMS, {"id": statement_id})).all())


async def test_the_actor_and_the_object_are_stored_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor, coach, lesson, course = _agent(), _agent(), _activity(), _activity()
    statement = make_statement(
        actor=actor,
        object=lesson,
        context={
            "instructor": coach,
            "contextActivities": {"grouping": [course], "other": [lesson]},
        },
    )
    [stored] = await _post(client, statement)
    terms = await _terms_of(app, stored)
    assert f"agent:mbox:{actor['mbox']}" in terms
    assert f"ragent:mbox:{actor['mbox']}" not in terms
    assert f"ragent:mbox:{coach['mbox']}" in terms
    assert f"activity:{lesson['id']}" in terms
    assert f"ractivity:{lesson['id']}" not in terms
    assert f"ractivity:{course['id']}" in terms
    async with transaction(app.state.lrs.engine) as conn:
        authority_key = await conn.scalar(_AUTHORITY_KEY, {"id": stored})
    assert authority_key
    assert f"ragent:{authority_key}" not in terms
    assert len(terms) == len(set(terms))


async def _authority_of(client: httpx.AsyncClient, statement_id: str) -> dict[str, Any]:
    response = await client.get(URL, params={"statementId": statement_id})
    authority: dict[str, Any] = response.json()["authority"]
    return authority


async def test_related_agents_find_the_statements_of_an_authority(
    client: httpx.AsyncClient,
) -> None:
    """The credential's agent is every statement's authority: found with related_agents,
    driving or probed, with its own verb, and never by the plain agent filter."""
    registration, lesson = str(uuid.uuid4()), _activity()
    first, second = [
        stored
        for verb in ("http://example.com/verbs/tried", "http://example.com/verbs/passed")
        for stored in await _post(
            client,
            make_statement(
                verb={"id": verb}, object=lesson, context={"registration": registration}
            ),
        )
    ]
    authority = json.dumps(await _authority_of(client, first))
    related = {"agent": authority, "related_agents": "true"}
    newest = await _ids(client, **related, limit="2")
    assert newest == [second, first]
    assert await _ids(client, agent=authority, registration=registration) == []
    assert await _ids(client, **related, registration=registration) == [second, first]
    assert await _ids(
        client, **related, activity=lesson["id"], verb="http://example.com/verbs/passed"
    ) == [second]
    assert await _ids(
        client, **related, registration=registration, verb="http://example.com/verbs/tried"
    ) == [first]


async def test_related_filters_find_the_primary_spelling(client: httpx.AsyncClient) -> None:
    actor, coach, lesson, course = _agent(), _agent(), _activity(), _activity()
    context = {"instructor": coach, "contextActivities": {"grouping": [course]}}
    [as_actor] = await _post(client, make_statement(actor=actor, object=lesson, context=context))
    [as_object] = await _post(client, make_statement(actor=coach, object=actor))
    [in_context] = await _post(
        client, make_statement(actor=_agent(), object=course, context={"instructor": actor})
    )
    related = {"related_agents": "true"}
    assert await _ids(client, agent=json.dumps(actor), **related) == [
        in_context,
        as_object,
        as_actor,
    ]
    assert await _ids(client, agent=json.dumps(actor)) == [as_object, as_actor]
    assert await _ids(client, activity=lesson["id"], related_activities="true") == [as_actor]
    assert await _ids(client, activity=course["id"], related_activities="true") == [
        in_context,
        as_actor,
    ]
    assert await _ids(client, activity=course["id"]) == [in_context]
    # probed rather than walked: a registration drives, the related agent is probed
    registration = str(uuid.uuid4())
    [registered] = await _post(
        client, make_statement(actor=actor, context={"registration": registration})
    )
    await _post(client, make_statement(actor=_agent(), context={"registration": registration}))
    assert await _ids(client, registration=registration, agent=json.dumps(actor), **related) == [
        registered
    ]
    # both related filters: one drives, the other is probed
    both = {"related_agents": "true", "related_activities": "true"}
    assert await _ids(client, agent=json.dumps(actor), activity=lesson["id"], **both) == [as_actor]
    assert await _ids(client, agent=json.dumps(coach), activity=course["id"], **both) == [as_actor]


async def test_a_statement_with_both_spellings_is_answered_once_across_pages(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor, lesson = _agent(), _activity()
    ids = [
        stored
        for _ in range(5)
        for stored in await _post(client, make_statement(actor=actor, object=lesson))
    ]
    async with transaction(app.state.lrs.engine) as conn:
        await conn.execute(_ADD_RELATED_FORMS, {"ids": ids[1:4]})
    newest_first = list(reversed(ids))
    for params in (
        {"agent": json.dumps(actor), "related_agents": "true"},
        {"activity": lesson["id"], "related_activities": "true"},
    ):
        assert await _ids(client, **params) == newest_first
        assert await _ids(client, **params, ascending="true") == ids
        assert await statement_ids(client, **params, limit=2) == newest_first
        verb = "http://adlnet.gov/expapi/verbs/completed"
        assert await _ids(client, **params, verb=verb) == newest_first


async def test_a_referrer_holding_both_spellings_is_answered_once(
    client: httpx.AsyncClient,
) -> None:
    """The referrer names the agent as its instructor (`ragent:`), its target as its actor
    (`agent:`, carried onto the referrer, STR-Q-025)."""
    agent = _agent()
    [target] = await _post(client, make_statement(actor=agent))
    [referrer] = await _post(
        client,
        make_statement(
            actor=_agent(),
            verb={"id": "http://example.com/verbs/liked"},
            object=make_statement_ref(target),
            context={"instructor": agent},
        ),
    )
    related = {"agent": json.dumps(agent), "related_agents": "true"}
    assert await _ids(client, **related) == [referrer, target]
    assert await _ids(client, **related, verb="http://example.com/verbs/liked") == [referrer]
    assert await _ids(client, **related, verb="http://adlnet.gov/expapi/verbs/completed") == [
        referrer,
        target,
    ]


_TERM_ROWS = text(
    "SELECT t.verb_key FROM statement_terms t JOIN statements s ON s.seq = t.seq "
    "WHERE s.id = CAST(:id AS uuid) AND t.term = :term"
)


async def test_a_referrer_carries_its_targets_authority(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """STR-Q-025: the target stores no term for its authority; its referrers get one, with
    the target's verb key, whichever arrives first."""
    liked = {"id": "http://example.com/verbs/liked"}
    early_target = str(uuid.uuid4())
    [early_referrer] = await _post(
        client, make_statement(verb=liked, object=make_statement_ref(early_target))
    )
    [target] = await _post(client, make_statement())
    [referrer] = await _post(client, make_statement(verb=liked, object=make_statement_ref(target)))
    await _post(client, make_statement(id=early_target))
    async with transaction(app.state.lrs.engine) as conn:
        key = await conn.scalar(_AUTHORITY_KEY, {"id": target})
        completed = await conn.scalar(
            text("SELECT hashtextextended('http://adlnet.gov/expapi/verbs/completed', 0)")
        )
        for statement_id in (referrer, early_referrer):
            rows = await conn.execute(_TERM_ROWS, {"id": statement_id, "term": f"ragent:{key}"})
            assert [row.verb_key for row in rows] == [completed]
        assert not (await conn.execute(_TERM_ROWS, {"id": target, "term": f"ragent:{key}"})).all()
