"""Scopes are enforced per route (AUTH-005, ERR-010): 403 when no scope grants the request."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from lrs.auth.scopes import Scope
from tests.conftest import ScopedClients
from tests.factories import make_statement

READERS = {Scope.STATEMENTS_READ, Scope.STATEMENTS_READ_MINE, Scope.ALL_READ, Scope.ALL}
WRITERS = {Scope.STATEMENTS_WRITE, Scope.ALL}


@pytest.mark.parametrize("scope", list(Scope))
async def test_statement_reads_need_a_read_scope(scoped: ScopedClients, scope: Scope) -> None:
    async with await scoped.client(scope) as client:
        response = await client.get("/xAPI/statements")
    expected = 200 if scope in READERS else 403
    assert response.status_code == expected, response.text
    if expected == 403:
        assert "scope" in response.json()["error"]["message"]


@pytest.mark.parametrize("scope", list(Scope))
async def test_statement_writes_need_a_write_scope(
    scoped: ScopedClients, scope: Scope, clean_db: None
) -> None:
    async with await scoped.client(scope) as client:
        response = await client.post("/xAPI/statements", json=make_statement())
    assert response.status_code == (200 if scope in WRITERS else 403), response.text


async def test_read_mine_sees_only_its_own_statements(
    scoped: ScopedClients, client: httpx.AsyncClient, clean_db: None
) -> None:
    """statements/read/mine narrows results to the credential's own authority (AUTH-007)."""
    async with await scoped.client(Scope.STATEMENTS_WRITE, Scope.STATEMENTS_READ_MINE) as mine:
        [own_id] = (await mine.post("/xAPI/statements", json=make_statement())).json()
        [other_id] = (await client.post("/xAPI/statements", json=make_statement())).json()
        listed = (await mine.get("/xAPI/statements")).json()["statements"]
        assert [s["id"] for s in listed] == [own_id]
        assert (
            await mine.get("/xAPI/statements", params={"statementId": own_id})
        ).status_code == 200
        hidden = await mine.get("/xAPI/statements", params={"statementId": other_id})
        assert hidden.status_code == 404
    everything = (await client.get("/xAPI/statements")).json()["statements"]
    assert {s["id"] for s in everything} == {own_id, other_id}


async def test_revoked_credential_stops_at_once(scoped: ScopedClients) -> None:
    from lrs.services.credentials import create_credential, revoke_credential

    engine = scoped.app.state.lrs.engine
    issued = await create_credential(engine, name="short-lived", scopes=[Scope.ALL])
    transport = httpx.ASGITransport(app=scoped.app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://lrs.test",
        auth=(issued.key, issued.secret),
        headers={"X-Experience-API-Version": "2.0.0"},
    ) as client:
        assert (await client.get("/xAPI/statements")).status_code == 200
        await revoke_credential(engine, issued.key)
        assert (await client.get("/xAPI/statements")).status_code == 401


# A statement write may start from a credential remembered in memory: its write confirms the
# credential row in its own transaction, before it stores anything (lrs.auth.authenticator).


async def _short_lived(scoped: ScopedClients, *scopes: Scope) -> tuple[str, httpx.AsyncClient]:
    from lrs.services.credentials import create_credential

    engine = scoped.app.state.lrs.engine
    issued = await create_credential(engine, name="short-lived", scopes=list(scopes))
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=scoped.app),
        base_url="http://lrs.test",
        auth=(issued.key, issued.secret),
        headers={"X-Experience-API-Version": "2.0.0"},
    )
    return issued.key, client


async def _stored(scoped: ScopedClients, statement_id: str) -> bool:
    from sqlalchemy import text

    async with scoped.app.state.lrs.engine.connect() as conn:
        found = await conn.execute(
            text("SELECT 1 FROM statements WHERE id = CAST(:id AS uuid)"), {"id": statement_id}
        )
        return found.first() is not None


async def _set_scopes(scoped: ScopedClients, key: str, *scopes: Scope) -> None:
    from sqlalchemy import text

    async with scoped.app.state.lrs.engine.begin() as conn:
        await conn.execute(
            text("UPDATE credentials SET scopes = :scopes WHERE key = :key"),
            {"scopes": [s.value for s in scopes], "key": key},
        )


async def test_revoked_credential_stops_statement_writes_at_once(
    scoped: ScopedClients, clean_db: None
) -> None:
    """Every write path after the revocation is a 401 and stores nothing (AUTH-003)."""
    from lrs.services.credentials import revoke_credential

    key, client = await _short_lived(scoped, Scope.ALL)
    async with client:
        assert (await client.post("/xAPI/statements", json=make_statement())).status_code == 200
        await revoke_credential(scoped.app.state.lrs.engine, key)
        single, batch, put = (
            make_statement(),
            [make_statement(), make_statement()],
            make_statement(),
        )
        # Above 64 KiB: handled by the batch process, which confirms the credential too.
        large = [make_statement(result={"response": "x" * 1000}) for _ in range(80)]
        answers = [
            await client.post("/xAPI/statements", json=single),
            await client.post("/xAPI/statements", json=batch),
            await client.post("/xAPI/statements", json=large),
            await client.put("/xAPI/statements", params={"statementId": put["id"]}, json=put),
            # An error is not answered to a revoked credential either: 401, not 400.
            await client.post("/xAPI/statements", json={"actor": "nobody"}),
        ]
    assert [a.status_code for a in answers] == [401] * 5, [a.text for a in answers]
    for statement in (single, *batch, *large, put):
        assert not await _stored(scoped, statement["id"])


async def test_revocation_fails_only_its_own_requests_in_a_shared_commit(
    scoped: ScopedClients, client: httpx.AsyncClient, clean_db: None
) -> None:
    """Concurrent one-statement writes share a transaction (group commit); the revoked
    credential's requests get 401, the others are stored."""
    import asyncio

    from lrs.services.credentials import revoke_credential

    key, revoked = await _short_lived(scoped, Scope.STATEMENTS_WRITE)
    async with revoked:
        assert (await revoked.post("/xAPI/statements", json=make_statement())).status_code == 200
        await revoke_credential(scoped.app.state.lrs.engine, key)
        theirs = [make_statement() for _ in range(6)]
        ours = [make_statement() for _ in range(6)]
        answers = await asyncio.gather(
            *(revoked.post("/xAPI/statements", json=s) for s in theirs),
            *(client.post("/xAPI/statements", json=s) for s in ours),
        )
    assert [a.status_code for a in answers] == [401] * 6 + [200] * 6
    assert [await _stored(scoped, s["id"]) for s in theirs] == [False] * 6
    assert [await _stored(scoped, s["id"]) for s in ours] == [True] * 6


async def test_scopes_changed_in_the_database_apply_to_the_next_write(
    scoped: ScopedClients, clean_db: None
) -> None:
    key, client = await _short_lived(scoped, Scope.STATEMENTS_WRITE)
    async with client:
        assert (await client.post("/xAPI/statements", json=make_statement())).status_code == 200
        await _set_scopes(scoped, key, Scope.STATEMENTS_READ)
        narrowed = make_statement()
        refused = await client.post("/xAPI/statements", json=narrowed)
        assert refused.status_code == 403, refused.text
        assert not await _stored(scoped, narrowed["id"])
        await _set_scopes(scoped, key, Scope.STATEMENTS_READ, Scope.STATEMENTS_WRITE)
        assert (await client.post("/xAPI/statements", json=make_statement())).status_code == 200


@contextlib.asynccontextmanager
async def _rekeyed_after_a_write(
    scoped: ScopedClients,
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """A client of a credential remembered from one write, then given a new secret in the
    database."""
    from lrs.auth.secrets import hash_secret
    from lrs.storage.credentials import set_secret_hash

    key, client = await _short_lived(scoped, Scope.ALL)
    async with client:
        assert (await client.post("/xAPI/statements", json=make_statement())).status_code == 200
        async with scoped.app.state.lrs.engine.begin() as conn:
            await set_secret_hash(conn, key, hash_secret("a new secret"))
        yield key, client


async def test_a_new_secret_refuses_the_old_one_on_writes(
    scoped: ScopedClients, clean_db: None
) -> None:
    async with _rekeyed_after_a_write(scoped) as (key, client):
        statement = make_statement()
        assert (await client.post("/xAPI/statements", json=statement)).status_code == 401
        assert not await _stored(scoped, statement["id"])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=scoped.app),
        base_url="http://lrs.test",
        auth=(key, "a new secret"),
        headers={"X-Experience-API-Version": "2.0.0"},
    ) as renewed:
        assert (await renewed.post("/xAPI/statements", json=statement)).status_code == 200


async def test_refused_statements_do_not_check_the_secret_again(
    scoped: ScopedClients, clean_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 400 to a remembered credential reads its row again (401 once revoked) but does not
    run the deliberately slow Argon2 check again while the row's hash is the one checked:
    bad statements must not cost 20 ms of CPU each."""
    from lrs.auth import authenticator
    from lrs.auth.secrets import verify_secret

    checks: list[str] = []

    def counted(secret_hash: str, secret: str) -> bool:
        checks.append(secret_hash)
        return verify_secret(secret_hash, secret)

    monkeypatch.setattr(authenticator, "verify_secret", counted)
    _, client = await _short_lived(scoped, Scope.ALL)
    async with client:
        assert (await client.post("/xAPI/statements", json=make_statement())).status_code == 200
        checked = len(checks)
        for bad in ({"actor": "nobody"}, [make_statement(), {"verb": 1}], "not a statement"):
            refused = await client.post("/xAPI/statements", json=bad)
            assert refused.status_code == 400, refused.text
        unknown = await client.get(
            "/xAPI/statements", params={"statementId": make_statement()["id"]}
        )
        assert unknown.status_code == 404
        assert len(checks) == checked


async def test_a_new_secret_refuses_the_old_one_on_refused_statements(
    scoped: ScopedClients, clean_db: None
) -> None:
    """The error path of a remembered credential still sees a re-keyed row: 401, not 400."""
    async with _rekeyed_after_a_write(scoped) as (_, client):
        refused = await client.post("/xAPI/statements", json={"actor": "nobody"})
        assert refused.status_code == 401, refused.text
        unknown = await client.get(
            "/xAPI/statements", params={"statementId": make_statement()["id"]}
        )
        assert unknown.status_code == 401, unknown.text


async def test_a_shared_commit_confirms_each_remembered_version(
    scoped: ScopedClients, clean_db: None
) -> None:
    """Two requests of one credential may carry different remembered versions (one taken
    before the row changed, one after): only the one at the row's version is stored."""
    from dataclasses import replace

    from lrs.auth.principal import StaleCredential
    from lrs.services.statements import WriteResult, store_prepared_group
    from lrs.xapi.versions import XapiVersion
    from tests.conftest import basic

    key, secret = await scoped.credential(Scope.STATEMENTS_WRITE, Scope.STATEMENTS_READ)
    authenticator = scoped.app.state.lrs.authenticator
    await authenticator.authenticate(basic(key, secret))  # remembered at the row's version
    current = await authenticator.authenticate(basic(key, secret), confirm_later=True)
    assert not current.confirmed
    stale = replace(current, version=current.version + "0")
    first, second = make_statement(), make_statement()
    outcomes = await store_prepared_group(
        scoped.app.state.lrs.engine,
        [(first, stale, XapiVersion.V2_0_0), (second, current, XapiVersion.V2_0_0)],
    )
    assert isinstance(outcomes[0], StaleCredential)
    assert isinstance(outcomes[1], WriteResult)
    assert not await _stored(scoped, first["id"])
    assert await _stored(scoped, second["id"])


# A statement read may start from a remembered credential too: the command that takes its
# Consistent-Through confirms the credential row, before any statement is read.


async def test_revoked_credential_stops_statement_reads_at_once(
    scoped: ScopedClients, clean_db: None
) -> None:
    """A query, a statement by id, a HEAD and an invalid query are all 401 once revoked
    (AUTH-003), however often the credential was seen before."""
    from lrs.services.credentials import revoke_credential

    key, client = await _short_lived(scoped, Scope.ALL)
    async with client:
        stored = make_statement()
        assert (await client.post("/xAPI/statements", json=stored)).status_code == 200
        for _ in range(2):  # remembered
            assert (await client.get("/xAPI/statements")).status_code == 200
        await revoke_credential(scoped.app.state.lrs.engine, key)
        answers = [
            await client.get("/xAPI/statements"),
            await client.get("/xAPI/statements", params={"statementId": stored["id"]}),
            await client.head("/xAPI/statements"),
            # An error is not answered to a revoked credential either: 401, not 400 or 404.
            await client.get("/xAPI/statements", params={"limit": "-1"}),
            await client.get("/xAPI/statements", params={"statementId": make_statement()["id"]}),
        ]
    assert [a.status_code for a in answers] == [401] * 5, [a.text for a in answers]
    assert all(stored["id"] not in a.text for a in answers)


async def test_scopes_changed_in_the_database_apply_to_the_next_read(
    scoped: ScopedClients, clean_db: None
) -> None:
    """A narrowed credential is refused at once; one narrowed to its own statements sees
    only those from its next read on."""
    key, client = await _short_lived(scoped, Scope.STATEMENTS_READ, Scope.STATEMENTS_WRITE)
    other = make_statement()
    async with client:
        assert (await client.post("/xAPI/statements", json=make_statement())).status_code == 200
        assert (await client.get("/xAPI/statements")).status_code == 200
        await _set_scopes(scoped, key, Scope.STATEMENTS_WRITE)
        refused = await client.get("/xAPI/statements")
        assert refused.status_code == 403, refused.text
        await _set_scopes(scoped, key, Scope.STATEMENTS_READ_MINE, Scope.STATEMENTS_WRITE)
        async with await scoped.client(Scope.STATEMENTS_WRITE) as someone_else:
            assert (await someone_else.post("/xAPI/statements", json=other)).status_code == 200
        mine = await client.get("/xAPI/statements")
        assert mine.status_code == 200, mine.text
        assert other["id"] not in {s["id"] for s in mine.json()["statements"]}
        assert len(mine.json()["statements"]) == 1


async def test_a_new_secret_refuses_the_old_one_on_reads(
    scoped: ScopedClients, clean_db: None
) -> None:
    from lrs.auth.secrets import hash_secret
    from lrs.storage.credentials import set_secret_hash

    key, client = await _short_lived(scoped, Scope.ALL)
    async with client:
        assert (await client.get("/xAPI/statements")).status_code == 200
        async with scoped.app.state.lrs.engine.begin() as conn:
            await set_secret_hash(conn, key, hash_secret("a new secret"))
        assert (await client.get("/xAPI/statements")).status_code == 401
