"""GET /statements basics: single fetch, order, since/until, limit, paging, HEAD, headers
(STR-R-*, STR-M-*, ORD-*, LIM-005, CT-007).

Statements of one test share a fresh registration, which scopes every query.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from lrs.auth import authenticator
from lrs.services import statement_query as reads
from tests.factories import make_statement
from tests.paging import statement_ids as walk

URL = "/xAPI/statements"
THROUGH = "X-Experience-API-Consistent-Through"


def tagged(reg: str, **overrides: Any) -> dict[str, Any]:
    return make_statement(context={"registration": reg}, **overrides)


async def post(client: httpx.AsyncClient, statements: list[dict[str, Any]]) -> list[str]:
    response = await client.post(URL, json=statements)
    assert response.status_code == 200, response.text
    ids: list[str] = response.json()
    return ids


async def post_one_by_one(client: httpx.AsyncClient, reg: str, n: int) -> list[str]:
    """n statements with distinct `stored` values, oldest first."""
    return [(await post(client, [tagged(reg)]))[0] for _ in range(n)]


async def page(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(URL, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def to_millisecond(moment: datetime) -> datetime:
    """`moment` at the header's precision (Consistent-Through is sent in milliseconds)."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


async def test_single_fetch_headers(client: httpx.AsyncClient) -> None:
    """STR-R-001, STR-R-008, STR-R-010: the statement itself, Consistent-Through, and
    Last-Modified equal to its stored (HTTP-date precision)."""
    [sid] = await post(client, [make_statement()])
    response = await client.get(URL, params={"statementId": sid})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert "statements" not in body
    stored = instant(body["stored"])
    modified = parsedate_to_datetime(response.headers["Last-Modified"])
    assert modified == stored.replace(microsecond=0)
    through = instant(response.headers[THROUGH])
    assert through <= datetime.now(UTC)


async def test_unknown_statement_is_404(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """STR-R-005, ERR-013, STR-R-008: the 404 carries the Consistent-Through its read took,
    recent; the read's first command confirmed the credential, so the error is answered
    without reading the credential row or Consistent-Through again."""
    stored_id = (await post(client, [make_statement()]))[0]
    stored = instant((await page(client, statementId=stored_id))["stored"])
    again: list[str] = []

    async def counted(name: str, original: Any, *args: Any) -> Any:
        again.append(name)
        return await original(*args)

    for module, name in ((authenticator, "find_credential"), (reads, "current_consistent_through")):
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *args, n=name, f=original: counted(n, f, *args))
    for params in ({"statementId": str(uuid.uuid4())}, {"voidedStatementId": stored_id}):
        response = await client.get(URL, params=params)
        assert response.status_code == 404, response.text
        through = instant(response.headers[THROUGH])
        assert to_millisecond(stored) <= through
        assert through <= datetime.now(UTC)
    assert again == []


async def test_consistent_through_covers_earlier_writes(client: httpx.AsyncClient) -> None:
    """STR-R-008/009, ORD-008: after a write, a later GET's Consistent-Through is recent and
    never ahead of the clock."""
    await post(client, [make_statement()])
    response = await client.get(URL, params={"limit": 1})
    through = instant(response.headers[THROUGH])
    now = datetime.now(UTC)
    assert now - timedelta(seconds=30) < through <= now


async def test_consistent_through_is_not_held_back_by_a_long_read(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """STR-R-009: a transaction that only reads (a long report, a backup's dump, an analyst's
    session left open) stores no statement, so it does not hold Consistent-Through back."""
    async with app.state.lrs.engine.connect() as reader:
        await reader.execute(text("SELECT count(*) FROM statements"))  # a transaction opens
        stored_id = (await post(client, [make_statement()]))[0]
        stored = instant((await page(client, statementId=stored_id))["stored"])
        response = await client.get(URL, params={"limit": 1})
        assert instant(response.headers[THROUGH]) >= to_millisecond(stored)


async def test_consistent_through_waits_for_an_open_write(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """ORD-008: a transaction that may still store statements (it holds a transaction id,
    as every statement write does before it takes `stored`) holds Consistent-Through at its
    start until it ends."""
    async with app.state.lrs.engine.connect() as writer:
        started = (await writer.execute(text("SELECT now(), pg_current_xact_id()"))).first()
        assert started is not None
        await post(client, [make_statement()])
        response = await client.get(URL, params={"limit": 1})
        assert instant(response.headers[THROUGH]) <= started[0]
    response = await client.get(URL, params={"limit": 1})
    assert instant(response.headers[THROUGH]) > started[0]


async def test_default_order_is_newest_first(client: httpx.AsyncClient) -> None:
    """ORD-001/002/004: stored descending by default, ascending on request."""
    reg = str(uuid.uuid4())
    ids = await post_one_by_one(client, reg, 3)
    batch = await post(client, [tagged(reg), tagged(reg)])
    newest_first = await walk(client, registration=reg)
    # A batch shares one `stored`; the tie-breaker keeps submission order stable.
    assert newest_first == [batch[1], batch[0], *reversed(ids)]
    oldest_first = await walk(client, registration=reg, ascending="true")
    assert oldest_first == [*ids, *batch]
    stored = [s["stored"] for s in (await page(client, registration=reg))["statements"]]
    assert stored == sorted(stored, reverse=True)


async def test_since_and_until(client: httpx.AsyncClient) -> None:
    """STR-Q-012 (strictly after), STR-Q-013 (at or before), ST-VAL-120 (any offset)."""
    reg = str(uuid.uuid4())
    ids = await post_one_by_one(client, reg, 3)
    stored = [(await page(client, statementId=i))["stored"] for i in ids]
    assert await walk(client, registration=reg, since=stored[0], ascending="true") == ids[1:]
    assert await walk(client, registration=reg, until=stored[1], ascending="true") == ids[:2]
    both = await walk(client, registration=reg, since=stored[0], until=stored[1])
    assert both == [ids[1]]
    # The same instant as stored[1], written at offset +02:00.
    local = (instant(stored[1]) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.%f") + "+02:00"
    assert await walk(client, registration=reg, until=local, ascending="true") == ids[:2]
    assert await walk(client, registration=reg, since=stored[2]) == []


@pytest.mark.parametrize(("limit", "expected"), [("0", 5), ("2", 2), ("1000000", 5)])
async def test_limit(client: httpx.AsyncClient, limit: str, expected: int) -> None:
    """STR-Q-014, LIM-005: 0 means the server maximum; a huge limit is capped, not refused."""
    reg = str(uuid.uuid4())
    await post(client, [tagged(reg) for _ in range(5)])
    body = await page(client, registration=reg, limit=limit)
    assert len(body["statements"]) == expected
    assert bool(body["more"]) == (expected < 5)


async def test_server_maximum_pages(app: Any, client: httpx.AsyncClient) -> None:
    """LIM-005: never more than LRS_MAX_QUERY_LIMIT per page; `more` leads to the rest."""
    maximum = app.state.lrs.settings.max_query_limit
    reg = str(uuid.uuid4())
    await post(client, [tagged(reg) for _ in range(maximum + 3)])
    body = await page(client, registration=reg, limit=0)
    assert len(body["statements"]) == maximum
    assert body["more"]
    assert len(await walk(client, registration=reg)) == maximum + 3


async def test_more_pages_without_duplicates_while_writes_arrive(
    client: httpx.AsyncClient,
) -> None:
    """ORD-005, STR-M-002/003/007/008: paging by `more` (a relative IRL) repeats and skips
    nothing, in both orders, while new matching statements keep arriving."""
    reg = str(uuid.uuid4())
    original = await post(client, [tagged(reg) for _ in range(7)])
    for ascending in ("false", "true"):
        original = await walk(client, registration=reg)
        body = await page(client, registration=reg, limit=3, ascending=ascending)
        seen = [s["id"] for s in body["statements"]]
        arrived: list[str] = []
        while body["more"]:
            assert body["more"].startswith("/xAPI/statements?more=")
            arrived += await post(client, [tagged(reg)])
            response = await client.get(body["more"])
            assert response.status_code == 200
            assert THROUGH in response.headers
            body = response.json()
            seen += [s["id"] for s in body["statements"]]
        assert len(seen) == len(set(seen))
        assert set(original) <= set(seen)
        if ascending == "true":
            # Newer statements sort after the cursor, so they show up at the end.
            assert set(seen) - set(original) <= set(arrived)
        else:
            # Newest first: statements stored after the first page lie before the cursor.
            assert set(seen) == set(original)
    assert body["more"] == ""


async def test_more_keeps_format_and_filters(client: httpx.AsyncClient) -> None:
    """STR-M-008: `more` continues the original query's filters and format."""
    reg = str(uuid.uuid4())
    await post(client, [tagged(reg) for _ in range(3)])
    first = await page(client, registration=reg, limit=2, format="ids")
    second = (await client.get(first["more"])).json()
    assert len(second["statements"]) == 1
    assert "display" not in second["statements"][0]["verb"]
    assert second["more"] == ""


def _token(state: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "token",
    [
        "garbage!",
        "",
        _token({"p": [], "c": ["2024-01-01T00:00:00", 1]}),  # no time zone
        _token({"p": [], "c": ["2024-01-01T00:00:00+00:00", 2**70]}),  # past bigint
        _token({"p": [], "c": ["2024-01-01T00:00:00+00:00", "7"]}),
        _token({"p": [["foo", "bar"]], "c": ["2024-01-01T00:00:00+00:00", 1]}),
        _token({"p": [["statementId", str(uuid.uuid4())]], "c": ["2024-01-01T00:00:00Z", 1]}),
        _token({"p": [["more", "x"]], "c": ["2024-01-01T00:00:00+00:00", 1]}),
        _token({"p": [["limit", 3]], "c": ["2024-01-01T00:00:00+00:00", 1]}),
        _token({"c": ["2024-01-01T00:00:00+00:00", 1]}),
        _token([1, 2]),
    ],
)
async def test_tampered_more_is_400(client: httpx.AsyncClient, token: str) -> None:
    """STR-M-003: a `more` value the LRS did not issue is a 400, never a 500."""
    response = await client.get(URL, params={"more": token})
    assert response.status_code == 400, response.text


async def test_more_with_other_parameters_is_400(client: httpx.AsyncClient) -> None:
    reg = str(uuid.uuid4())
    await post(client, [tagged(reg) for _ in range(2)])
    more = (await page(client, registration=reg, limit=1))["more"]
    response = await client.get(more + "&limit=5")
    assert response.status_code == 400


async def test_list_last_modified_is_newest_stored(client: httpx.AsyncClient) -> None:
    """STR-R-010 [2.0]: for several statements, the greatest `stored`."""
    reg = str(uuid.uuid4())
    await post_one_by_one(client, reg, 2)
    response = await client.get(URL, params={"registration": reg, "ascending": "true"})
    newest = instant(response.json()["statements"][-1]["stored"])
    assert parsedate_to_datetime(response.headers["Last-Modified"]) == newest.replace(microsecond=0)


async def test_head_mirrors_get(client: httpx.AsyncClient) -> None:
    """CT-007: HEAD answers with GET's status and headers, and no body."""
    [sid] = await post(client, [make_statement()])
    got = await client.get(URL, params={"statementId": sid})
    head = await client.head(URL, params={"statementId": sid})
    assert head.status_code == 200
    assert head.content == b""
    for name in ("content-type", "last-modified", "x-experience-api-version"):
        assert head.headers[name] == got.headers[name]
    assert THROUGH in head.headers
    missing = await client.head(URL, params={"statementId": str(uuid.uuid4())})
    assert missing.status_code == 404
    assert missing.content == b""
    listing = await client.head(URL, params={"limit": 1})
    assert listing.status_code == 200
    assert listing.content == b""
    bad = await client.head(URL, params={"limit": "x"})
    assert bad.status_code == 400


async def test_read_mine_sees_only_own_statements(client: httpx.AsyncClient, scoped: Any) -> None:
    """AUTH-007: statements/read/mine narrows queries and lookups to the caller's authority."""
    from lrs.auth.scopes import Scope

    reg = str(uuid.uuid4())
    [theirs] = await post(client, [tagged(reg)])
    async with await scoped.client(Scope.STATEMENTS_WRITE, Scope.STATEMENTS_READ_MINE) as mine:
        response = await mine.post(URL, json=tagged(reg))
        assert response.status_code == 200
        [own] = response.json()
        listing = await mine.get(URL, params={"registration": reg})
        assert [s["id"] for s in listing.json()["statements"]] == [own]
        assert (await mine.get(URL, params={"statementId": theirs})).status_code == 404
        assert (await mine.get(URL, params={"statementId": own})).status_code == 200
