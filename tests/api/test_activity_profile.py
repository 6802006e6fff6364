"""/xAPI/activities/profile over HTTP on PostgreSQL (DOC-*, DOC-ACP-*, CONC-*)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime

import httpx
import pytest

from lrs.auth.scopes import Scope
from tests.conftest import ScopedClients

pytestmark = pytest.mark.usefixtures("clean_db")

URL = "/xAPI/activities/profile"
ACTIVITY = "http://example.com/activities/profiled"
JSON = {"Content-Type": "application/json"}


def params(profile_id: str | None = "p1", **extra: str) -> dict[str, str]:
    query = {"activityId": ACTIVITY}
    if profile_id is not None:
        query["profileId"] = profile_id
    query.update(extra)
    return query


async def test_put_get_head_delete(client: httpx.AsyncClient) -> None:
    """DOC-002, DOC-006, DOC-007, DOC-010, CT-007, CONC-001..003."""
    body = b'{"difficulty": "hard"}'
    assert (await client.put(URL, params=params(), content=body, headers=JSON)).status_code == 204
    got = await client.get(URL, params=params())
    assert got.status_code == 200
    assert got.content == body
    assert got.headers["ETag"] == '"' + hashlib.sha1(body).hexdigest() + '"'
    assert got.headers["Content-Type"] == "application/json"
    assert "Last-Modified" in got.headers
    head = await client.head(URL, params=params())
    assert head.content == b""
    assert head.headers["ETag"] == got.headers["ETag"]
    assert (await client.delete(URL, params=params())).status_code == 204
    assert (await client.get(URL, params=params())).status_code == 404


async def test_binary_document(client: httpx.AsyncClient) -> None:
    """CT-005."""
    content = bytes(range(256)) * 4
    headers = {"Content-Type": "image/png"}
    assert (
        await client.put(URL, params=params(), content=content, headers=headers)
    ).status_code == 204
    got = await client.get(URL, params=params())
    assert got.content == content
    assert got.headers["Content-Type"] == "image/png"


async def test_unconditional_put_over_an_existing_document_is_409(
    client: httpx.AsyncClient,
) -> None:
    """CONC-009, CONC-010, CONC-011, ERR-014: 409 (not 428), nothing changes, the body says
    how to retry; with If-Match the same PUT succeeds."""
    first = await client.put(URL, params=params(), content=b'{"v": 1}', headers=JSON)
    assert first.status_code == 204  # CONC-010
    conflict = await client.put(URL, params=params(), content=b'{"v": 2}', headers=JSON)
    assert conflict.status_code == 409
    assert "If-Match" in conflict.json()["error"]["message"]
    got = await client.get(URL, params=params())
    assert got.json() == {"v": 1}
    retry = await client.put(
        URL, params=params(), content=b'{"v": 2}', headers={**JSON, "If-Match": got.headers["ETag"]}
    )
    assert retry.status_code == 204
    assert (await client.get(URL, params=params())).json() == {"v": 2}


async def test_post_merges_without_preconditions(client: httpx.AsyncClient) -> None:
    """DOC-003: the 409 rule is about PUT; POST merges."""
    await client.post(URL, params=params(), content=b'{"a": 1}', headers=JSON)
    assert (
        await client.post(URL, params=params(), content=b'{"b": 2}', headers=JSON)
    ).status_code == 204
    assert (await client.get(URL, params=params())).json() == {"a": 1, "b": 2}


async def test_preconditions(client: httpx.AsyncClient) -> None:
    """CONC-005..008, CONC-013."""
    assert (
        await client.put(URL, params=params(), content=b"{}", headers={**JSON, "If-Match": "*"})
    ).status_code == 412
    assert (
        await client.put(
            URL, params=params(), content=b"{}", headers={**JSON, "If-None-Match": "*"}
        )
    ).status_code == 204
    assert (
        await client.put(
            URL, params=params(), content=b"{}", headers={**JSON, "If-None-Match": "*"}
        )
    ).status_code == 412
    assert (
        await client.put(
            URL, params=params(), content=b'{"x": 1}', headers={**JSON, "If-Match": "*"}
        )
    ).status_code == 204
    assert (
        await client.delete(URL, params=params(), headers={"If-Match": '"nope"'})
    ).status_code == 412
    assert (await client.get(URL, params=params())).json() == {"x": 1}


async def test_list_ids_with_since(client: httpx.AsyncClient) -> None:
    """DOC-ACP-002, DOC-011, DOC-012, DOC-008."""
    assert (await client.get(URL, params=params(None))).json() == []
    await client.put(URL, params=params("one"), content=b"{}", headers=JSON)
    await asyncio.sleep(0.01)
    cut = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.01)
    await client.put(URL, params=params("two"), content=b"{}", headers=JSON)
    await client.put(
        URL,
        params={"activityId": "http://example.com/other", "profileId": "x"},
        content=b"{}",
        headers=JSON,
    )
    listed = await client.get(URL, params=params(None))
    assert sorted(listed.json()) == ["one", "two"]
    assert "Last-Modified" in listed.headers
    assert (await client.get(URL, params=params(None, since=cut))).json() == ["two"]


@pytest.mark.parametrize(
    ("method", "query", "path"),
    [
        ("GET", {"profileId": "p"}, "param:activityId"),
        ("PUT", {"activityId": ACTIVITY}, "param:profileId"),
        ("DELETE", {"activityId": ACTIVITY}, "param:profileId"),  # DOC-ACP-003
        ("GET", params(agent="{}"), "param:agent"),
        ("GET", params(ProfileId="p"), "param:ProfileId"),
        ("GET", params(since="2024-01-01T00:00:00Z"), "param:since"),
        ("GET", {"activityId": "no-scheme", "profileId": "p"}, "param:activityId"),
    ],
)
async def test_bad_parameters_are_400(
    client: httpx.AsyncClient, method: str, query: dict[str, str], path: str
) -> None:
    """DOC-ACP-001, DOC-ACP-003, DOC-013, DOC-014, ERR-005, ERR-006, ERR-008."""
    response = await client.request(method, URL, params=query, content=b"{}", headers=JSON)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["path"] == path


async def test_scopes(scoped: ScopedClients) -> None:
    """AUTH-005: `profile` reads and writes profiles; `state` cannot."""
    profile = await scoped.client(Scope.PROFILE, version="1.0.3")
    state = await scoped.client(Scope.STATE)
    try:
        created = await profile.put(
            URL, params=params(), content=b"{}", headers={**JSON, "If-None-Match": "*"}
        )
        assert created.status_code == 204
        assert (await profile.get(URL, params=params())).status_code == 200
        assert (await state.get(URL, params=params())).status_code == 403
        assert (
            await state.put(URL, params=params("q"), content=b"{}", headers=JSON)
        ).status_code == 403
    finally:
        await profile.aclose()
        await state.aclose()
