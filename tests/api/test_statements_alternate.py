"""The 1.0.3 Alternate Request Syntax: POST ?method=X with a form body (ALT-001..008)."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI

from lrs.api.alternate import parse_alternate
from lrs.errors import BadRequest
from tests.conftest import ADMIN_KEY, ADMIN_SECRET, basic
from tests.factories import make_agent, make_statement

URL = "/xAPI/statements"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def browser(app: FastAPI) -> Any:
    """A client with no default headers, like a cross-origin browser form."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lrs.test") as c:
        yield c


def form(
    given: dict[str, str] | None = None,
    /,
    *,
    auth: bool = True,
    version: str | None = "1.0.3",
    **fields: str,
) -> dict[str, str]:
    """Form fields plus the admin Authorization and a version field, unless left out."""
    out = {**(given or {}), **fields}
    if auth:
        out["Authorization"] = basic(ADMIN_KEY, ADMIN_SECRET)
    if version is not None:
        out["X-Experience-API-Version"] = version
    return out


async def alt(
    browser: httpx.AsyncClient,
    method: str,
    fields: dict[str, str],
    *,
    query: str = "",
    path: str = URL,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await browser.post(
        f"{path}?method={method}{query}",
        content=urlencode(fields),
        headers={**FORM, **(headers or {})},
    )


async def test_put_then_get_via_form(browser: httpx.AsyncClient, client_103: Any) -> None:
    """ALT-001/003/004/005, ALT-007: PUT stores, GET queries, answers carry version 1.0.3."""
    statement = make_statement(actor=make_agent(name="Zoë"))
    put = await alt(
        browser,
        "PUT",
        form(
            {"Content-Type": "application/json"},
            statementId=statement["id"],
            content=json.dumps(statement),
        ),
    )
    assert put.status_code == 204, put.text
    assert put.headers["X-Experience-API-Version"] == "1.0.3"
    got = await alt(browser, "GET", form(statementId=statement["id"]))
    assert got.status_code == 200, got.text
    assert got.json()["actor"]["name"] == "Zoë"
    assert got.json()["version"] == "1.0.0"
    direct = await client_103.get(URL, params={"statementId": statement["id"]})
    assert direct.json() == got.json()


async def test_post_and_query_via_form(browser: httpx.AsyncClient) -> None:
    """ALT-001, ALT-005, ALT-007: POST stores a batch; GET with filters queries."""
    reg = str(uuid.uuid4())
    batch = [make_statement(context={"registration": reg}) for _ in range(2)]
    posted = await alt(browser, "POST", form(content=json.dumps(batch)))
    assert posted.status_code == 200, posted.text
    assert posted.json() == [s["id"] for s in batch]
    listed = await alt(browser, "GET", form(registration=reg, limit="1"))
    assert listed.status_code == 200
    body = listed.json()
    assert len(body["statements"]) == 1
    assert body["more"]


async def test_form_headers_are_enforced(browser: httpx.AsyncClient) -> None:
    """ALT-008: authentication, version and validation apply to the embedded request."""
    statement = make_statement()
    fields = {"statementId": statement["id"], "content": json.dumps(statement)}
    assert (await alt(browser, "PUT", form(fields, auth=False))).status_code == 401
    no_version = await alt(browser, "PUT", form(fields, version=None))
    assert no_version.status_code == 400
    assert "X-Experience-API-Version" in no_version.headers
    bad = {**fields, "content": json.dumps({**statement, "verb": {"id": "no scheme"}})}
    invalid = await alt(browser, "PUT", form(bad))
    assert invalid.status_code == 400
    assert invalid.json()["error"]["path"] == "$.verb.id"
    wrong = form({**fields, "Authorization": basic(ADMIN_KEY, "wrong")}, auth=False)
    refused = await alt(browser, "PUT", wrong)
    assert refused.status_code == 401, refused.text
    assert (await alt(browser, "PUT", form(fields))).status_code == 204


async def test_version_from_header_is_used_too(browser: httpx.AsyncClient) -> None:
    """ALT-004: a real header still counts when the form does not repeat it."""
    response = await alt(
        browser,
        "GET",
        form(version=None, limit="1"),
        headers={"X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code == 200


async def test_extra_query_parameter_is_400(browser: httpx.AsyncClient) -> None:
    """ALT-002: only `method` may be in the query string."""
    response = await alt(browser, "GET", form(), query=f"&statementId={uuid.uuid4()}")
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "param:statementId"
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


@pytest.mark.parametrize("method", ["PATCH", "get", "HEAD", ""])
async def test_unknown_method_is_400(browser: httpx.AsyncClient, method: str) -> None:
    """ALT-001: GET, PUT, POST or DELETE only."""
    assert (await alt(browser, method, form(limit="1"))).status_code == 400


async def test_refused_under_2_0(browser: httpx.AsyncClient) -> None:
    """ALT [2.0]: the syntax was removed; form field or header naming 2.0.x is 400."""
    by_field = await alt(browser, "GET", form(version="2.0.0", limit="1"))
    assert by_field.status_code == 400
    assert by_field.headers["X-Experience-API-Version"] == "2.0.0"
    by_header = await alt(
        browser,
        "GET",
        form(version=None, limit="1"),
        headers={"X-Experience-API-Version": "2.0.0"},
    )
    assert by_header.status_code == 400


async def test_body_must_be_form(browser: httpx.AsyncClient) -> None:
    """ALT-003: an alternate request's body is form-urlencoded."""
    response = await browser.post(
        f"{URL}?method=GET",
        content=json.dumps(form(limit="1")),
        headers={"Content-Type": "application/json", "X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code == 400


async def test_unknown_form_field_is_unknown_parameter(browser: httpx.AsyncClient) -> None:
    """ALT-005, ERR-005: form fields become parameters, validated as usual."""
    response = await alt(browser, "GET", form(nonsense="1"))
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "param:nonsense"


async def test_documents_via_form(browser: httpx.AsyncClient) -> None:
    """ALT-001/006 on another resource: state PUT then GET, with the embedded Content-Type."""
    params = {
        "activityId": "http://example.com/activities/alt",
        "agent": json.dumps(make_agent(who=f"alt{uuid.uuid4().hex[:8]}")),
        "stateId": "s1",
    }
    document = json.dumps({"a": 1})
    fields = form({**params, "Content-Type": "application/json"}, content=document)
    put = await alt(browser, "PUT", fields, path="/xAPI/activities/state")
    assert put.status_code == 204, put.text
    got = await alt(browser, "GET", form(params), path="/xAPI/activities/state")
    assert got.status_code == 200
    assert got.json() == {"a": 1}
    deleted = await alt(browser, "DELETE", form(params), path="/xAPI/activities/state")
    assert deleted.status_code == 204


def test_parse_alternate_splits_fields() -> None:
    """ALT-003/004/005: headers, content and parameters are told apart."""
    body = urlencode(
        {
            "content": "{}",
            "authorization": "Basic x",
            "If-Match": '"abc"',
            "Content-Length": "999",
            "statementId": "s",
        }
    ).encode()
    parsed = parse_alternate([("method", "PUT")], "application/x-www-form-urlencoded", body)
    assert parsed.method == "PUT"
    assert parsed.body == b"{}"
    assert parsed.headers == {
        "authorization": "Basic x",
        "if-match": '"abc"',
        "content-length": "2",
    }
    assert parsed.query == "statementId=s"


@pytest.mark.parametrize(
    ("query", "content_type", "body"),
    [
        ([("method", "GET"), ("method", "PUT")], "application/x-www-form-urlencoded", b""),
        ([("method", "GET")], "application/x-www-form-urlencoded", b"a=1&a=2"),
        ([("method", "GET")], "application/x-www-form-urlencoded", b"\xff=1"),
        ([("method", "GET")], None, b""),
    ],
)
def test_parse_alternate_refuses(
    query: list[tuple[str, str]], content_type: str | None, body: bytes
) -> None:
    with pytest.raises(BadRequest):
        parse_alternate(query, content_type, body)
