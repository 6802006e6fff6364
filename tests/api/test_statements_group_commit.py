"""Group commit of concurrent one-statement writes (lrs.services.group_commit): each request
keeps its own outcome, every stored statement goes through the ingest hooks in the
transaction that stores it, and nothing is answered before its commit."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.auth.principal import Principal, authority_for
from lrs.errors import BadRequest, DatabaseUnavailable
from lrs.services.group_commit import StatementWriter
from lrs.storage.statements import NewStatement
from lrs.xapi.versions import XapiVersion
from tests.factories import make_statement

URL = "/xAPI/statements"
RACERS = 24
POISON = "https://lrs.test/verbs/refused-by-hook"

# The ids, among `ids`, of statements inserted by the current transaction.
_MINE = text(
    "SELECT id::text FROM statements WHERE id = ANY(CAST(:ids AS uuid[])) "
    "AND xmin::text::bigint = txid_current() % 4294967296"
)


class RecordingHook:
    """Records, per call, the statements it is given that its own transaction inserted;
    refuses statements with the POISON verb (as a validating hook would). A slow hook
    (`delay`) keeps each group's transaction open long enough for the next requests to
    queue behind it, so that grouping does not depend on the machine's timing."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[tuple[list[str], list[str]]] = []
        self.called = asyncio.Event()
        self.delay = delay

    async def __call__(
        self, conn: AsyncConnection, stored: Sequence[NewStatement], seqs: Mapping[str, int]
    ) -> None:
        if any(row.verb_id == POISON for row in stored):
            raise BadRequest("refused by a hook")
        ids = [row.id for row in stored]
        mine = (await conn.execute(_MINE, {"ids": ids})).scalars().all()
        self.calls.append((ids, list(mine)))
        self.called.set()
        await asyncio.sleep(self.delay)


@contextlib.asynccontextmanager
async def hooked(app: FastAPI, delay: float = 0.0) -> AsyncIterator[RecordingHook]:
    context = app.state.lrs
    original = context.ingest_hooks
    hook = RecordingHook(delay)
    context.ingest_hooks = (*original, hook)
    try:
        yield hook
    finally:
        context.ingest_hooks = original


async def _post_all(
    client: httpx.AsyncClient, bodies: list[dict[str, Any]]
) -> list[httpx.Response]:
    return await asyncio.gather(*(client.post(URL, json=body) for body in bodies))


async def _stored(client: httpx.AsyncClient, statement_id: str) -> bool:
    response = await client.get(URL, params={"statementId": statement_id})
    return response.status_code == 200


async def test_concurrent_single_posts_share_transactions_and_run_hooks(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    bodies = [make_statement() for _ in range(RACERS)]
    async with hooked(app, delay=0.2) as hook:
        answers = await _post_all(client, bodies)
    assert [a.status_code for a in answers] == [200] * RACERS
    assert [a.json() for a in answers] == [[b["id"]] for b in bodies]
    seen = [statement_id for ids, _ in hook.calls for statement_id in ids]
    assert sorted(seen) == sorted(b["id"] for b in bodies)
    # The hook saw each statement inside the transaction that inserted it.
    assert all(sorted(ids) == sorted(mine) for ids, mine in hook.calls)
    # Some requests shared a transaction (they arrived while another group was written).
    assert max(len(ids) for ids, _ in hook.calls) > 1
    for body in bodies:
        assert await _stored(client, body["id"])


async def test_a_conflict_fails_only_its_own_request(client: httpx.AsyncClient) -> None:
    """STR-W-006 for one request; its neighbours in the group are stored."""
    taken = make_statement()
    assert (await client.post(URL, json=taken)).status_code == 200
    clash = make_statement(id=taken["id"], verb={"id": "https://lrs.test/verbs/other"})
    bodies = [make_statement() for _ in range(RACERS)]
    bodies.insert(RACERS // 2, clash)
    answers = await _post_all(client, bodies)
    codes = [a.status_code for a in answers]
    assert codes[RACERS // 2] == 409
    assert codes.count(200) == RACERS
    for body in bodies[: RACERS // 2] + bodies[RACERS // 2 + 1 :]:
        assert await _stored(client, body["id"])


async def test_a_hook_refusal_fails_only_its_own_request(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """The shared transaction rolls back, every request is written again on its own."""
    poison = make_statement(verb={"id": POISON, "display": {"en-US": "refused"}})
    bodies = [make_statement() for _ in range(RACERS)]
    bodies.insert(3, poison)
    async with hooked(app) as hook:
        answers = await _post_all(client, bodies)
    codes = [a.status_code for a in answers]
    assert codes[3] == 400
    assert codes.count(200) == RACERS
    assert not await _stored(client, poison["id"])
    for body in bodies[:3] + bodies[4:]:
        assert await _stored(client, body["id"])
    seen = {statement_id for ids, _ in hook.calls for statement_id in ids}
    assert seen == {b["id"] for b in bodies if b is not poison}


async def test_same_id_in_concurrent_posts(client: httpx.AsyncClient) -> None:
    """Equivalent resends all succeed (ST-PROC-015); a different statement under the same
    id is a 409 for that request alone; one row is stored."""
    first = make_statement()
    resend = dict(reversed(list(first.items())))
    other = make_statement(id=first["id"].upper(), verb={"id": "https://lrs.test/verbs/x"})
    bodies = [first, resend, other, make_statement(), resend]
    answers = await _post_all(client, bodies)
    codes = [a.status_code for a in answers]
    assert codes == [200, 200, 409, 200, 200]
    fetched = await client.get(URL, params={"statementId": first["id"]})
    assert fetched.json()["verb"]["id"] == first["verb"]["id"]


async def test_single_puts_are_grouped_too(client: httpx.AsyncClient) -> None:
    ids = [str(uuid.uuid4()) for _ in range(8)]
    answers = await asyncio.gather(
        *(client.put(URL, params={"statementId": i}, json=make_statement(id=i)) for i in ids)
    )
    assert [a.status_code for a in answers] == [204] * len(ids)
    for statement_id in ids:
        assert await _stored(client, statement_id)


async def test_requests_arriving_while_a_group_is_built_form_the_next_group(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """A group being built (its hook still running) holds later requests back: they are
    written together once it reaches its commit, not in a group started beside it."""
    first = make_statement()
    later = [make_statement() for _ in range(6)]
    async with hooked(app, delay=0.5) as hook:
        first_answer = asyncio.create_task(client.post(URL, json=first))
        await hook.called.wait()  # the first group is in its hook, before its COMMIT
        one = asyncio.create_task(client.post(URL, json=later[0]))
        await asyncio.sleep(0.05)
        rest = await _post_all(client, later[1:])
        answers = [await first_answer, await one, *rest]
    assert [a.status_code for a in answers] == [200] * 7
    assert [sorted(ids) for ids, _ in hook.calls] == [[first["id"]], sorted(b["id"] for b in later)]


async def test_a_writer_cancelled_mid_group_answers_the_waiting_and_starts_nothing(
    app: FastAPI,
) -> None:
    """The event loop closing cancels a writer while its group is in flight: the group's
    request and those queued behind it get a 503 rather than no answer, and no group is
    started during the cancellation."""
    hook = RecordingHook(delay=2.0)
    writer = StatementWriter(app.state.lrs.engine, (hook,))
    principal = Principal("k", "n", frozenset(), authority_for("k", "n"))

    def store() -> asyncio.Task[Any]:
        write = writer.store([make_statement()], principal=principal, version=XapiVersion.V2_0_0)
        return asyncio.create_task(write)

    first = store()
    await hook.called.wait()
    queued = [store() for _ in range(3)]
    await asyncio.sleep(0.05)
    (drainer,) = writer._drainers
    drainer.cancel()
    outcomes = await asyncio.gather(first, *queued, return_exceptions=True)
    assert [type(outcome) for outcome in outcomes] == [DatabaseUnavailable] * 4
    assert not writer._drainers
    assert len(hook.calls) == 1
