"""Where the reference conformance suite reads the texts strictly (REF-001..REF-008), over
HTTP on PostgreSQL, under both request versions."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.api.test_statements_attachments import part, post_multipart
from tests.factories import (
    make_activity,
    make_agent,
    make_attachment,
    make_statement,
    make_statement_ref,
    make_substatement,
)

URL = "/xAPI/statements"
VERSIONS = ("1.0.3", "2.0.0")


@pytest.fixture(params=VERSIONS)
def version(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def _group(members: int, **ifi: Any) -> dict[str, Any]:
    return {
        "objectType": "Group",
        "member": [make_agent(who=f"member-{i}") for i in range(members)],
        **ifi,
    }


def _post(client: httpx.AsyncClient, version: str, body: Any) -> Any:
    return client.post(URL, json=body, headers={"X-Experience-API-Version": version})


@pytest.mark.parametrize(
    ("why", "authority"),
    [
        ("identified Group (mbox)", _group(2, mbox="mailto:group@example.com")),
        ("identified Group (mbox_sha1sum)", _group(2, mbox_sha1sum="a" * 40)),
        ("identified Group (openid)", _group(2, openid="http://example.com/group")),
        (
            "identified Group (account)",
            _group(2, account={"homePage": "http://example.com", "name": "g"}),
        ),
        ("Group of one", _group(1)),
        ("Group of three", _group(3)),
    ],
)
async def test_ref_001_authority_refused(
    client: httpx.AsyncClient, version: str, why: str, authority: dict[str, Any]
) -> None:
    response = await _post(client, version, make_statement(authority=authority))
    assert response.status_code == 400, why
    assert response.json()["error"]["path"].startswith("$.authority")


async def test_ref_001_agent_or_pair_accepted(client: httpx.AsyncClient, version: str) -> None:
    for authority in (make_agent(who="auth"), _group(2)):
        response = await _post(client, version, make_statement(authority=authority))
        assert response.status_code == 200, response.text


async def test_ref_002_version_without_patch_level(client: httpx.AsyncClient, version: str) -> None:
    assert (await _post(client, version, make_statement(version="1.0"))).status_code == 200
    two = await _post(client, version, make_statement(version="2.0"))
    assert two.status_code == (200 if version == "2.0.0" else 400)


@pytest.mark.parametrize("offset", ["-00", "-0000", "-00:00"])
async def test_ref_003_negative_zero_offset(
    client: httpx.AsyncClient, version: str, offset: str
) -> None:
    stamp = f"2024-05-01T12:30:00.000{offset}"
    top = await _post(client, version, make_statement(timestamp=stamp))
    assert top.status_code == 400
    assert top.json()["error"]["path"] == "$.timestamp"
    nested = await _post(client, version, make_statement(object=make_substatement(timestamp=stamp)))
    assert nested.status_code == 400
    assert nested.json()["error"]["path"] == "$.object.timestamp"
    fine = await _post(client, version, make_statement(timestamp="2024-05-01T12:30:00+00:00"))
    assert fine.status_code == 200


@pytest.mark.parametrize("key", ["revision", "platform"])
@pytest.mark.parametrize(
    "target",
    [
        make_agent(who="object"),
        {"objectType": "Group", "member": [make_agent(who="m")]},
        make_statement_ref(),
        make_substatement(),
    ],
    ids=["Agent", "Group", "StatementRef", "SubStatement"],
)
async def test_ref_004_revision_and_platform_need_an_activity(
    client: httpx.AsyncClient, version: str, key: str, target: dict[str, Any]
) -> None:
    body = make_statement(object=target, context={key: "1"})
    response = await _post(client, version, body)
    assert response.status_code == 400
    assert response.json()["error"]["path"] == f"$.context.{key}"
    inner = make_substatement(object=make_agent(who="inner"), context={key: "1"})
    nested = await _post(client, version, make_statement(object=inner))
    assert nested.status_code == 400
    assert nested.json()["error"]["path"] == f"$.object.context.{key}"
    fine = await _post(client, version, make_statement(context={key: "1"}))
    assert fine.status_code == 200


async def test_ref_005_length_is_not_checked(client: httpx.AsyncClient) -> None:
    data = b"payload of a declared length that is wrong"
    statement = make_statement(attachments=[make_attachment(data, length=len(data) + 9)])
    response = await post_multipart(client, statement, part(data))
    assert response.status_code == 200, response.text
    got = await client.get(URL, params={"statementId": statement["id"], "attachments": "true"})
    assert data in got.content


async def test_ref_006_ids_format_reduces_verbs_and_activities_everywhere(
    client: httpx.AsyncClient, version: str
) -> None:
    inner_activity = make_activity(
        "http://example.com/ref/inner",
        definition={"name": {"en-US": "inner"}, "type": "http://example.com/type"},
    )
    inner = make_substatement(object=inner_activity)
    statement = make_statement(
        object=inner,
        context={"contextActivities": {"parent": [make_activity("http://example.com/ref/p")]}},
    )
    assert (await client.post(URL, json=statement)).status_code == 200
    got = await client.get(
        URL,
        params={"statementId": statement["id"], "format": "ids"},
        headers={"X-Experience-API-Version": version},
    )
    body = got.json()
    assert body["verb"] == {"id": statement["verb"]["id"]}
    assert body["object"]["verb"] == {"id": inner["verb"]["id"]}
    assert body["object"]["object"] == {"id": inner_activity["id"]}
    assert body["object"]["actor"] == {"objectType": "Agent", "mbox": inner["actor"]["mbox"]}
    parent = body["context"]["contextActivities"]["parent"][0]
    assert set(parent) == {"id"}


def _profile_params(resource: str) -> tuple[str, dict[str, str]]:
    if resource == "activities/profile":
        return "/xAPI/activities/profile", {
            "activityId": f"http://example.com/ref/{uuid.uuid4()}",
            "profileId": "p",
        }
    agent = json.dumps(make_agent(who=f"ref-{uuid.uuid4().hex[:8]}"))
    return "/xAPI/agents/profile", {"agent": agent, "profileId": "p"}


@pytest.mark.parametrize("resource", ["activities/profile", "agents/profile"])
async def test_ref_007_headerless_profile_put_under_1_0(
    client_103: httpx.AsyncClient, resource: str
) -> None:
    url, params = _profile_params(resource)
    first = await client_103.put(url, params=params, json={"a": 1})
    assert first.status_code == 400
    assert "If-None-Match" in first.json()["error"]["message"]
    assert (await client_103.get(url, params=params)).status_code == 404
    created = await client_103.put(
        url, params=params, json={"a": 1}, headers={"If-None-Match": "*"}
    )
    assert created.status_code == 204
    again = await client_103.put(url, params=params, json={"b": 2})
    assert again.status_code == 409
    assert (await client_103.get(url, params=params)).json() == {"a": 1}


@pytest.mark.parametrize("resource", ["activities/profile", "agents/profile"])
async def test_ref_007_headerless_profile_put_creates_under_2_0(
    client: httpx.AsyncClient, resource: str
) -> None:
    url, params = _profile_params(resource)
    assert (await client.put(url, params=params, json={"a": 1})).status_code == 204
    assert (await client.put(url, params=params, json={"b": 2})).status_code == 409


def _state_params() -> dict[str, str]:
    return {
        "activityId": f"http://example.com/ref/{uuid.uuid4()}",
        "agent": json.dumps(make_agent(who="state")),
        "stateId": "s",
    }


async def test_ref_008_headerless_state_put_over_existing_is_409_under_2_0(
    client: httpx.AsyncClient,
) -> None:
    url, params = "/xAPI/activities/state", _state_params()
    assert (await client.put(url, params=params, json={"a": 1})).status_code == 204
    conflict = await client.put(url, params=params, json={"b": 2})
    assert conflict.status_code == 409
    assert "If-Match" in conflict.json()["error"]["message"]
    assert (await client.get(url, params=params)).json() == {"a": 1}
    etag = (await client.get(url, params=params)).headers["ETag"]
    replaced = await client.put(url, params=params, json={"b": 2}, headers={"If-Match": etag})
    assert replaced.status_code == 204


async def test_ref_008_state_exemption_stays_under_1_0(client_103: httpx.AsyncClient) -> None:
    """DOC-ST-006."""
    url, params = "/xAPI/activities/state", _state_params()
    assert (await client_103.put(url, params=params, json={"a": 1})).status_code == 204
    assert (await client_103.put(url, params=params, json={"b": 2})).status_code == 204
    assert (await client_103.get(url, params=params)).json() == {"b": 2}
