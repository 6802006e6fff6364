"""/xAPI/agents/profile over HTTP on PostgreSQL (DOC-*, DOC-AGP-*, CONC-*)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.factories import make_agent, make_group

pytestmark = pytest.mark.usefixtures("clean_db")

URL = "/xAPI/agents/profile"
AGENT = make_agent("account", who="profiled")
JSON = {"Content-Type": "application/json"}


def params(
    profile_id: str | None = "p1", *, agent: dict[str, Any] | None = None, **extra: str
) -> dict[str, str]:
    query = {"agent": json.dumps(agent or AGENT)}
    if profile_id is not None:
        query["profileId"] = profile_id
    query.update(extra)
    return query


async def test_put_get_delete(client: httpx.AsyncClient) -> None:
    """DOC-002, DOC-006, DOC-010, CONC-001."""
    body = b'{"theme": "dark"}'
    assert (await client.put(URL, params=params(), content=body, headers=JSON)).status_code == 204
    got = await client.get(URL, params=params())
    assert got.content == body
    assert got.headers["ETag"].startswith('"')
    assert "Last-Modified" in got.headers
    assert (await client.delete(URL, params=params())).status_code == 204
    assert (await client.get(URL, params=params())).status_code == 404


async def test_keyed_on_the_ifi_only(client: httpx.AsyncClient) -> None:
    """DOC-015, DOC-AGP-003: name is ignored; an Identified Group is addressed by its IFI."""
    named = make_agent("account", who="profiled", name="Pat")
    await client.put(URL, params=params(agent=named), content=b'{"a": 1}', headers=JSON)
    assert (await client.get(URL, params=params())).json() == {"a": 1}
    group = make_group(ifi="mbox", who="crew")
    await client.put(URL, params=params(agent=group), content=b'{"g": 1}', headers=JSON)
    as_agent = make_agent("mbox", who="crew")
    assert (await client.get(URL, params=params(agent=as_agent))).json() == {"g": 1}


async def test_mbox_sha1sum_case_does_not_matter(client: httpx.AsyncClient) -> None:
    """DOC-015 via the one IFI implementation: hex digests compare case-insensitively."""
    lower = make_agent("mbox_sha1sum", who="hashy")
    upper = {**lower, "mbox_sha1sum": lower["mbox_sha1sum"].upper()}
    await client.put(URL, params=params(agent=lower), content=b"{}", headers=JSON)
    assert (await client.get(URL, params=params(agent=upper))).status_code == 200


async def test_unconditional_put_over_an_existing_document_is_409(
    client: httpx.AsyncClient,
) -> None:
    """CONC-009, CONC-011."""
    await client.put(URL, params=params(), content=b'{"v": 1}', headers=JSON)
    conflict = await client.put(URL, params=params(), content=b'{"v": 2}', headers=JSON)
    assert conflict.status_code == 409
    assert (await client.get(URL, params=params())).json() == {"v": 1}


async def test_post_merges(client: httpx.AsyncClient) -> None:
    """DOC-003, DOC-004, DOC-005."""
    assert (
        await client.post(URL, params=params(), content=b'{"a": 1}', headers=JSON)
    ).status_code == 204
    assert (
        await client.post(URL, params=params(), content=b'{"b": 2}', headers=JSON)
    ).status_code == 204
    assert (await client.get(URL, params=params())).json() == {"a": 1, "b": 2}
    refused = await client.post(URL, params=params(), content=b"[]", headers=JSON)
    assert refused.status_code == 400


async def test_list_ids_with_since(client: httpx.AsyncClient) -> None:
    """DOC-AGP-002, DOC-011, DOC-012."""
    await client.put(URL, params=params("first"), content=b"{}", headers=JSON)
    await asyncio.sleep(0.01)
    cut = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.01)
    await client.put(URL, params=params("second"), content=b"{}", headers=JSON)
    await client.put(
        URL, params=params("theirs", agent=make_agent(who="x")), content=b"{}", headers=JSON
    )
    assert sorted((await client.get(URL, params=params(None))).json()) == ["first", "second"]
    assert (await client.get(URL, params=params(None, since=cut))).json() == ["second"]


@pytest.mark.parametrize(
    ("method", "query", "path"),
    [
        ("GET", {"profileId": "p"}, "param:agent"),
        ("PUT", {"agent": json.dumps(AGENT)}, "param:profileId"),
        ("DELETE", {"agent": json.dumps(AGENT)}, "param:profileId"),  # DOC-AGP-004
        ("GET", params(activityId="http://example.com/a"), "param:activityId"),
        ("GET", params(Agent="{}"), "param:Agent"),
        ("GET", params(agent={"mbox": "not-a-mailto"}), "param:agent"),
        ("GET", params(agent=make_group()), "param:agent"),  # anonymous group: no IFI
        ("GET", params(None, since="not a time"), "param:since"),
    ],
)
async def test_bad_parameters_are_400(
    client: httpx.AsyncClient, method: str, query: dict[str, str], path: str
) -> None:
    """DOC-AGP-001, DOC-AGP-004, DOC-013, DOC-014, ERR-005, ERR-006, ERR-008."""
    response = await client.request(method, URL, params=query, content=b"{}", headers=JSON)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["path"] == path


async def test_works_under_1_0_3(client_103: httpx.AsyncClient) -> None:
    """VER-001 (a 1.0.x profile PUT names a precondition even to create, REF-007)."""
    created = await client_103.put(
        URL, params=params(), content=b"{}", headers={**JSON, "If-None-Match": "*"}
    )
    assert created.status_code == 204
    got = await client_103.get(URL, params=params(None))
    assert got.json() == ["p1"]
    assert got.headers["X-Experience-API-Version"] == "1.0.3"
