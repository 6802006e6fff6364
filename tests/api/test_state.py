"""/xAPI/activities/state over HTTP on PostgreSQL (DOC-*, DOC-ST-*, CONC-*, CT-005..007)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from lrs.auth.scopes import Scope
from tests.conftest import ScopedClients
from tests.factories import make_agent, make_group

pytestmark = pytest.mark.usefixtures("clean_db")

URL = "/xAPI/activities/state"
ACTIVITY = "http://example.com/activities/state-test"
AGENT = make_agent(who="stateful")
JSON = {"Content-Type": "application/json"}


def params(
    state_id: str | None = "s1", *, agent: dict[str, Any] | None = None, **extra: str
) -> dict[str, str]:
    query = {"activityId": ACTIVITY, "agent": json.dumps(agent or AGENT)}
    if state_id is not None:
        query["stateId"] = state_id
    query.update(extra)
    return query


def quoted_sha1(content: bytes) -> str:
    return '"' + hashlib.sha1(content).hexdigest() + '"'


async def test_put_then_get_round_trips_bytes_type_and_headers(client: httpx.AsyncClient) -> None:
    """DOC-002, DOC-006, DOC-007, CONC-001..003."""
    body = b'{"progress": 0.5,  "page": 3}'
    before = datetime.now(UTC).replace(microsecond=0)
    put = await client.put(URL, params=params(), content=body, headers=JSON)
    assert put.status_code == 204
    assert put.content == b""
    got = await client.get(URL, params=params())
    assert got.status_code == 200
    assert got.content == body  # byte for byte, spacing included
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["ETag"] == quoted_sha1(body)
    modified = parsedate_to_datetime(got.headers["Last-Modified"])
    assert before - timedelta(seconds=1) <= modified <= datetime.now(UTC)
    assert got.headers["X-Experience-API-Version"] == "2.0.0"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (bytes(range(256)), "application/octet-stream"),
        (b"plain words", "text/plain; charset=us-ascii"),
        (b"<xml/>", "application/xml"),
    ],
)
async def test_any_media_type_is_stored_and_served_as_stored(
    client: httpx.AsyncClient, content: bytes, content_type: str
) -> None:
    """CT-005, DOC-006."""
    put = await client.put(
        URL, params=params(), content=content, headers={"Content-Type": content_type}
    )
    assert put.status_code == 204
    got = await client.get(URL, params=params())
    assert got.content == content
    assert got.headers["Content-Type"] == content_type
    assert got.headers["ETag"] == quoted_sha1(content)


async def test_head_has_the_get_headers_and_no_body(client: httpx.AsyncClient) -> None:
    """CT-007, CONC-001."""
    await client.put(URL, params=params(), content=b'{"a": 1}', headers=JSON)
    got = await client.get(URL, params=params())
    head = await client.head(URL, params=params())
    assert head.status_code == 200
    assert head.content == b""
    for name in ("ETag", "Last-Modified", "Content-Type"):
        assert head.headers[name] == got.headers[name]
    missing = await client.head(URL, params=params("nope"))
    assert missing.status_code == 404


async def test_get_of_a_missing_document_is_404(client: httpx.AsyncClient) -> None:
    """DOC-009, ERR-013."""
    response = await client.get(URL, params=params("absent"))
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


async def test_registration_scopes_documents(client: httpx.AsyncClient) -> None:
    """DOC-ST-002: with and without a registration are different documents."""
    registration = str(uuid.uuid4())
    await client.put(URL, params=params(), content=b'{"r": "none"}', headers=JSON)
    await client.put(
        URL, params=params(registration=registration), content=b'{"r": "one"}', headers=JSON
    )
    assert (await client.get(URL, params=params())).json() == {"r": "none"}
    with_registration = await client.get(URL, params=params(registration=registration))
    assert with_registration.json() == {"r": "one"}
    other = await client.get(URL, params=params(registration=str(uuid.uuid4())))
    assert other.status_code == 404


async def test_registration_is_matched_case_insensitively(client: httpx.AsyncClient) -> None:
    """A UUID names the same registration in either letter case."""
    registration = str(uuid.uuid4())
    await client.put(
        URL, params=params(registration=registration.upper()), content=b"{}", headers=JSON
    )
    assert (await client.get(URL, params=params(registration=registration))).status_code == 200


async def test_documents_are_keyed_on_the_ifi_only(client: httpx.AsyncClient) -> None:
    """DOC-015: name and member do not matter; a Group with the same IFI is the same key."""
    named = make_agent(who="stateful", name="Someone")
    await client.put(URL, params=params(agent=named), content=b'{"k": 1}', headers=JSON)
    assert (await client.get(URL, params=params(agent=AGENT))).json() == {"k": 1}
    group = make_group(ifi="mbox", who="stateful")
    assert (await client.get(URL, params=params(agent=group))).json() == {"k": 1}
    other = make_agent("account", who="stateful")
    assert (await client.get(URL, params=params(agent=other))).status_code == 404


async def test_unknown_activity_and_agent_are_accepted(client: httpx.AsyncClient) -> None:
    """DOC-001: nothing about the activity or agent needs to be known."""
    query = params(agent=make_agent("openid", who=uuid.uuid4().hex))
    query["activityId"] = f"urn:x-test:{uuid.uuid4()}"
    assert (await client.put(URL, params=query, content=b"{}", headers=JSON)).status_code == 204


async def test_post_merges_json_objects(client: httpx.AsyncClient) -> None:
    """DOC-003: top-level keys copied, nested values replaced whole, ETag changes (CONC-012)."""
    await client.put(
        URL, params=params(), content=b'{"a": 1, "n": {"x": 1}, "keep": "me"}', headers=JSON
    )
    first = await client.get(URL, params=params())
    post = await client.post(URL, params=params(), content=b'{"a": 2, "n": {"y": 2}}', headers=JSON)
    assert post.status_code == 204
    merged = await client.get(URL, params=params())
    assert merged.json() == {"a": 2, "n": {"y": 2}, "keep": "me"}
    assert merged.headers["ETag"] != first.headers["ETag"]
    assert merged.headers["ETag"] == quoted_sha1(merged.content)


async def test_post_without_a_document_stores_it_as_sent(client: httpx.AsyncClient) -> None:
    """DOC-004."""
    body = b'{ "first" : true }'
    assert (await client.post(URL, params=params(), content=body, headers=JSON)).status_code == 204
    assert (await client.get(URL, params=params())).content == body


async def test_post_accepts_json_with_parameters(client: httpx.AsyncClient) -> None:
    """CT-006."""
    charset = {"Content-Type": "application/json; charset=utf-8"}
    await client.put(URL, params=params(), content=b'{"a": 1}', headers=charset)
    assert (
        await client.post(URL, params=params(), content=b'{"b": 2}', headers=charset)
    ).status_code == 204
    assert (await client.get(URL, params=params())).json() == {"a": 1, "b": 2}


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"a": 1}', "text/plain"),
        (b"[1, 2]", "application/json"),
        (b"{broken", "application/json"),
    ],
)
async def test_post_of_something_not_a_json_object_is_400(
    client: httpx.AsyncClient, content: bytes, content_type: str
) -> None:
    """DOC-005: and nothing changes."""
    await client.put(URL, params=params(), content=b'{"a": 1}', headers=JSON)
    response = await client.post(
        URL, params=params(), content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == 400
    assert (await client.get(URL, params=params())).json() == {"a": 1}


async def test_post_onto_a_document_that_is_not_json_is_400(client: httpx.AsyncClient) -> None:
    """DOC-005: the stored side must be a JSON object too."""
    await client.put(URL, params=params(), content=b"text", headers={"Content-Type": "text/plain"})
    response = await client.post(URL, params=params(), content=b'{"a": 1}', headers=JSON)
    assert response.status_code == 400
    assert (await client.get(URL, params=params())).content == b"text"


async def test_put_of_malformed_json_declared_as_json_is_400(client: httpx.AsyncClient) -> None:
    """CT-004."""
    response = await client.put(URL, params=params(), content=b"{nope", headers=JSON)
    assert response.status_code == 400


async def test_list_ids_with_since_and_last_modified(client: httpx.AsyncClient) -> None:
    """DOC-ST-003, DOC-011, DOC-012, DOC-008."""
    empty = await client.get(URL, params=params(None))
    assert empty.status_code == 200
    assert empty.json() == []
    assert "ETag" in empty.headers  # CONC-001
    await client.put(URL, params=params("old"), content=b"{}", headers=JSON)
    await asyncio.sleep(0.01)
    cut = datetime.now(UTC)
    await asyncio.sleep(0.01)
    await client.put(URL, params=params("new"), content=b"{}", headers=JSON)
    await client.put(
        URL, params=params("other", agent=make_agent(who="else")), content=b"{}", headers=JSON
    )
    listed = await client.get(URL, params=params(None))
    assert sorted(listed.json()) == ["new", "old"]
    newest = await client.get(URL, params=params("new"))
    assert listed.headers["Last-Modified"] == newest.headers["Last-Modified"]
    since = await client.get(URL, params=params(None, since=cut.isoformat()))
    assert since.json() == ["new"]
    later = (cut + timedelta(hours=1)).isoformat()
    assert (await client.get(URL, params=params(None, since=later))).json() == []


async def test_list_ids_narrowed_by_registration(client: httpx.AsyncClient) -> None:
    """DOC-ST-003: registration narrows the list; without it every registration counts."""
    registration = str(uuid.uuid4())
    await client.put(URL, params=params("plain"), content=b"{}", headers=JSON)
    await client.put(
        URL, params=params("reg", registration=registration), content=b"{}", headers=JSON
    )
    narrowed = await client.get(URL, params=params(None, registration=registration))
    assert narrowed.json() == ["reg"]
    assert sorted((await client.get(URL, params=params(None))).json()) == ["plain", "reg"]


async def test_state_id_with_since_is_400(client: httpx.AsyncClient) -> None:
    """DOC-ST-005."""
    response = await client.get(URL, params=params("s1", since="2024-01-01T00:00:00Z"))
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "param:since"


async def test_delete_one_document(client: httpx.AsyncClient) -> None:
    """DOC-010."""
    await client.put(URL, params=params("a"), content=b"{}", headers=JSON)
    await client.put(URL, params=params("b"), content=b"{}", headers=JSON)
    assert (await client.delete(URL, params=params("a"))).status_code == 204
    assert (await client.get(URL, params=params("a"))).status_code == 404
    assert (await client.get(URL, params=params(None))).json() == ["b"]
    assert (await client.delete(URL, params=params("a"))).status_code == 204


async def test_delete_without_state_id_removes_the_scope(client: httpx.AsyncClient) -> None:
    """DOC-ST-004: only this activity + agent (+ registration) is touched."""
    registration = str(uuid.uuid4())
    other_agent = make_agent(who="bystander")
    await client.put(URL, params=params("a"), content=b"{}", headers=JSON)
    await client.put(
        URL, params=params("b", registration=registration), content=b"{}", headers=JSON
    )
    await client.put(URL, params=params("c", agent=other_agent), content=b"{}", headers=JSON)
    narrowed = await client.delete(URL, params=params(None, registration=registration))
    assert narrowed.status_code == 204
    assert (await client.get(URL, params=params(None))).json() == ["a"]
    assert (await client.delete(URL, params=params(None))).status_code == 204
    assert (await client.get(URL, params=params(None))).json() == []
    assert (await client.get(URL, params=params(None, agent=other_agent))).json() == ["c"]


async def test_state_accepts_writes_without_preconditions_under_1_0(
    client_103: httpx.AsyncClient,
) -> None:
    """DOC-ST-006: under 1.0.x no 409 for State, even over an existing document."""
    await client_103.put(URL, params=params(), content=b'{"v": 1}', headers=JSON)
    again = await client_103.put(URL, params=params(), content=b'{"v": 2}', headers=JSON)
    assert again.status_code == 204
    assert (await client_103.get(URL, params=params())).json() == {"v": 2}


async def test_state_put_over_existing_needs_a_header_under_2_0(
    client: httpx.AsyncClient,
) -> None:
    """REF-008: a header-less PUT over an existing State document is 409 under 2.0; POST
    merges still need no header."""
    await client.put(URL, params=params(), content=b'{"v": 1}', headers=JSON)
    again = await client.put(URL, params=params(), content=b'{"v": 2}', headers=JSON)
    assert again.status_code == 409
    merged = await client.post(URL, params=params(), content=b'{"w": 3}', headers=JSON)
    assert merged.status_code == 204
    assert (await client.get(URL, params=params())).json() == {"v": 1, "w": 3}


async def test_if_match_and_if_none_match(client: httpx.AsyncClient) -> None:
    """CONC-005..008, CONC-013: 412 changes nothing; a matching ETag lets the write through."""
    create = await client.put(
        URL, params=params(), content=b'{"v": 1}', headers={**JSON, "If-Match": '"abc"'}
    )
    assert create.status_code == 412  # CONC-013: no document to match
    assert (await client.get(URL, params=params())).status_code == 404
    create = await client.put(
        URL, params=params(), content=b'{"v": 1}', headers={**JSON, "If-None-Match": "*"}
    )
    assert create.status_code == 204
    etag = (await client.get(URL, params=params())).headers["ETag"]
    for method in ("PUT", "POST"):
        stale = await client.request(
            method, URL, params=params(), content=b'{"v": 9}', headers={**JSON, "If-Match": '"0"'}
        )
        assert stale.status_code == 412
        exists = await client.request(
            method,
            URL,
            params=params(),
            content=b'{"v": 9}',
            headers={**JSON, "If-None-Match": "*"},
        )
        assert exists.status_code == 412
    assert (await client.get(URL, params=params())).json() == {"v": 1}
    stale_delete = await client.delete(URL, params=params(), headers={"If-Match": '"0"'})
    assert stale_delete.status_code == 412
    fresh = await client.post(
        URL, params=params(), content=b'{"w": 2}', headers={**JSON, "If-Match": etag}
    )
    assert fresh.status_code == 204
    assert (await client.get(URL, params=params())).json() == {"v": 1, "w": 2}
    old_etag_delete = await client.delete(URL, params=params(), headers={"If-Match": etag})
    assert old_etag_delete.status_code == 412
    new_etag = (await client.get(URL, params=params())).headers["ETag"]
    assert (
        await client.delete(URL, params=params(), headers={"If-Match": new_etag})
    ).status_code == 204


@pytest.mark.parametrize(
    ("method", "query", "path"),
    [
        ("GET", {"agent": json.dumps(AGENT)}, "param:activityId"),
        ("GET", {"activityId": ACTIVITY}, "param:agent"),
        ("PUT", {"activityId": ACTIVITY, "agent": json.dumps(AGENT)}, "param:stateId"),
        ("POST", {"activityId": ACTIVITY, "agent": json.dumps(AGENT)}, "param:stateId"),
        ("GET", params(activityID="x"), "param:activityID"),
        ("GET", params(StateId="x"), "param:StateId"),
        ("GET", params(profileId="x"), "param:profileId"),
        ("PUT", params(since="2024-01-01T00:00:00Z"), "param:since"),
        ("GET", {**params(), "activityId": "not an iri"}, "param:activityId"),
        ("GET", {**params(), "agent": "{not json"}, "param:agent"),
        ("GET", {**params(), "agent": '{"name": "no ifi"}'}, "param:agent"),
        ("GET", {**params(), "agent": json.dumps(make_group())}, "param:agent"),
        ("GET", params(registration="not-a-uuid"), "param:registration"),
        ("GET", params(None, since="yesterday"), "param:since"),
        ("DELETE", params(since="2024-01-01T00:00:00Z"), "param:since"),
        ("GET", params(""), "param:stateId"),
    ],
)
async def test_bad_parameters_are_400(
    client: httpx.AsyncClient, method: str, query: dict[str, str], path: str
) -> None:
    """ERR-005, ERR-006, ERR-008, DOC-013, DOC-014, DOC-ST-001."""
    response = await client.request(method, URL, params=query, content=b"{}", headers=JSON)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["path"] == path


async def test_works_under_1_0_3(client_103: httpx.AsyncClient) -> None:
    """VER-001: the same resource serves 1.0.3 requests."""
    put = await client_103.put(URL, params=params(), content=b'{"old": 1}', headers=JSON)
    assert put.status_code == 204
    got = await client_103.get(URL, params=params())
    assert got.json() == {"old": 1}
    assert got.headers["X-Experience-API-Version"] == "1.0.3"


async def test_scopes(client: httpx.AsyncClient, scoped: ScopedClients) -> None:
    """AUTH-005: `state` reads and writes, `all/read` only reads, `profile` neither."""
    await client.put(URL, params=params(), content=b"{}", headers=JSON)
    state = await scoped.client(Scope.STATE)
    reader = await scoped.client(Scope.ALL_READ)
    profile = await scoped.client(Scope.PROFILE)
    try:
        assert (
            await state.put(URL, params=params(), content=b"{}", headers={**JSON, "If-Match": "*"})
        ).status_code == 204
        assert (await state.get(URL, params=params())).status_code == 200
        assert (await reader.get(URL, params=params())).status_code == 200
        assert (
            await reader.put(URL, params=params(), content=b"{}", headers=JSON)
        ).status_code == 403
        assert (await reader.delete(URL, params=params())).status_code == 403
        assert (await profile.get(URL, params=params())).status_code == 403
    finally:
        for made in (state, reader, profile):
            await made.aclose()


async def test_unauthenticated_is_401(anon_client: httpx.AsyncClient) -> None:
    """AUTH-003."""
    response = await anon_client.get(
        URL, params=params(), headers={"X-Experience-API-Version": "2.0.0"}
    )
    assert response.status_code == 401


async def test_document_size_limit_is_413(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LIM-001, ERR-011: past LRS_MAX_DOCUMENT_BYTES, and for a merge that would grow past it."""
    context = app.state.lrs
    monkeypatch.setattr(
        context, "settings", context.settings.model_copy(update={"max_document_bytes": 20})
    )
    too_big = await client.put(
        URL, params=params(), content=b'{"a": "' + b"x" * 30 + b'"}', headers=JSON
    )
    assert too_big.status_code == 413
    assert (
        await client.put(URL, params=params(), content=b'{"a": "0123456"}', headers=JSON)
    ).status_code == 204
    grown = await client.post(URL, params=params(), content=b'{"b": "0123456"}', headers=JSON)
    assert grown.status_code == 413
    assert (await client.get(URL, params=params())).json() == {"a": "0123456"}
