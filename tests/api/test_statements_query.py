"""GET /statements filters, alone and combined (STR-Q-001..014, STR-Q-024, ERR-005..007).

Every test makes its own agents, activities and registrations (fresh UUIDs), so results are
scoped by the filters themselves and no test needs an empty database.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import httpx
import pytest

from tests.factories import (
    make_activity,
    make_agent,
    make_group,
    make_statement,
    make_substatement,
)

URL = "/xAPI/statements"


def unique_agent(**overrides: Any) -> dict[str, Any]:
    return make_agent(who=f"u{uuid.uuid4().hex[:12]}", **overrides)


def unique_activity() -> dict[str, Any]:
    return make_activity(f"http://example.com/activities/{uuid.uuid4()}")


async def post(client: httpx.AsyncClient, *statements: dict[str, Any]) -> list[str]:
    response = await client.post(URL, json=list(statements))
    assert response.status_code == 200, response.text
    ids: list[str] = response.json()
    return ids


async def query(client: httpx.AsyncClient, **params: Any) -> list[str]:
    """The ids a query returns (one page, server maximum)."""
    encoded = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    response = await client.get(URL, params=encoded)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"statements", "more"}  # STR-M-001, STR-M-009
    return [s["id"] for s in body["statements"]]


async def test_no_match_is_empty_result(client: httpx.AsyncClient) -> None:
    """STR-R-006/007: a StatementResult with an empty array, 200."""
    response = await client.get(URL, params={"agent": json.dumps(unique_agent())})
    assert response.status_code == 200
    assert response.json() == {"statements": [], "more": ""}


@pytest.mark.parametrize("ifi", ["mbox", "mbox_sha1sum", "openid", "account"])
async def test_agent_matches_actor_and_object_by_ifi(client: httpx.AsyncClient, ifi: str) -> None:
    """STR-Q-003: same IFI property and value; the name does not matter."""
    who = f"u{uuid.uuid4().hex[:10]}"
    agent = make_agent(ifi, who, name="One name")
    as_actor, as_object, other = await post(
        client,
        make_statement(actor=agent),
        make_statement(object=make_agent(ifi, who, name="Another name")),
        make_statement(),
    )
    found = await query(client, agent=make_agent(ifi, who))
    assert set(found) == {as_actor, as_object}
    assert other not in found


async def test_agent_matches_group_member_and_identified_group(
    client: httpx.AsyncClient,
) -> None:
    """STR-Q-001, STR-Q-004: an Identified Group as filter; a member matches its group."""
    member = unique_agent()
    team_who = f"t{uuid.uuid4().hex[:10]}"
    anonymous_group = make_group(member, unique_agent())
    identified_group = make_group(unique_agent(), ifi="mbox", who=team_who)
    by_member, by_group = await post(
        client,
        make_statement(actor=anonymous_group),
        make_statement(actor=identified_group),
    )
    assert await query(client, agent=member) == [by_member]
    group_filter = {"objectType": "Group", "mbox": f"mailto:{team_who}@example.com"}
    assert await query(client, agent=group_filter) == [by_group]


@pytest.mark.parametrize(
    ("agent", "why"),
    [
        ("not json", "bad JSON"),
        ('{"mbox": "alice@example.com"}', "mbox without mailto"),
        ('{"name": "nobody"}', "no IFI"),
        (
            json.dumps(make_group(make_agent(who="x"))),
            "anonymous group (STR-Q-002)",
        ),
        ('{"mbox": "mailto:a@example.com", "openid": "http://a.example.com"}', "two IFIs"),
    ],
)
async def test_invalid_agent_is_400(client: httpx.AsyncClient, agent: str, why: str) -> None:
    """STR-Q-001/002, ERR-007."""
    response = await client.get(URL, params={"agent": agent})
    assert response.status_code == 400, why
    assert response.json()["error"]["path"] == "param:agent"


async def test_verb_activity_registration_filters(client: httpx.AsyncClient) -> None:
    """STR-Q-006/007/008 alone and combined conjunctively (STR-Q-009)."""
    actor = unique_agent()
    activity = unique_activity()
    verb = {"id": f"http://example.com/verbs/{uuid.uuid4()}"}
    reg = str(uuid.uuid4())
    all_three, verb_only, activity_only, reg_only = await post(
        client,
        make_statement(actor=actor, verb=verb, object=activity, context={"registration": reg}),
        make_statement(actor=actor, verb=verb),
        make_statement(actor=actor, object=activity),
        make_statement(actor=actor, context={"registration": reg}),
    )
    assert set(await query(client, verb=verb["id"])) == {all_three, verb_only}
    assert set(await query(client, activity=activity["id"])) == {all_three, activity_only}
    assert set(await query(client, registration=reg)) == {all_three, reg_only}
    assert await query(client, verb=verb["id"], activity=activity["id"]) == [all_three]
    assert await query(client, verb=verb["id"], registration=reg) == [all_three]
    assert set(await query(client, agent=actor)) == {all_three, verb_only, activity_only, reg_only}
    assert await query(client, agent=actor, registration=reg, verb=verb["id"]) == [all_three]
    assert await query(client, agent=unique_agent(), verb=verb["id"]) == []


async def test_registration_case_insensitive(client: httpx.AsyncClient) -> None:
    """STR-Q-008: a registration UUID matches whatever its letter case."""
    reg = str(uuid.uuid4())
    [sid] = await post(client, make_statement(context={"registration": reg.upper()}))
    assert await query(client, registration=reg) == [sid]
    assert await query(client, registration=reg.upper()) == [sid]


async def test_activity_filter_ignores_context_without_related(
    client: httpx.AsyncClient,
) -> None:
    """STR-Q-007 vs STR-Q-010: context activities and SubStatement objects count only with
    related_activities=true."""
    target = unique_activity()
    direct, in_parent, in_grouping, in_sub, in_sub_context = await post(
        client,
        make_statement(object=target),
        make_statement(context={"contextActivities": {"parent": target}}),
        make_statement(context={"contextActivities": {"grouping": [unique_activity(), target]}}),
        make_statement(object=make_substatement(object=target)),
        make_statement(
            object=make_substatement(context={"contextActivities": {"category": [target]}})
        ),
    )
    assert await query(client, activity=target["id"]) == [direct]
    related = await query(client, activity=target["id"], related_activities="true")
    assert set(related) == {direct, in_parent, in_grouping, in_sub, in_sub_context}
    assert await query(client, activity=target["id"], related_activities="false") == [direct]


async def test_related_agents(client: httpx.AsyncClient) -> None:
    """STR-Q-011: actor, object, authority, instructor, team, and inside a SubStatement;
    without related_agents only actor and object count (STR-Q-003)."""
    target = unique_agent()
    as_actor, as_instructor, as_team_member, in_sub_actor, in_sub_instructor = await post(
        client,
        make_statement(actor=target),
        make_statement(context={"instructor": target}),
        make_statement(context={"team": make_group(target, unique_agent())}),
        make_statement(object=make_substatement(actor=target)),
        make_statement(object=make_substatement(context={"instructor": target})),
    )
    assert await query(client, agent=target) == [as_actor]
    related = await query(client, agent=target, related_agents="true")
    expected = {as_actor, as_instructor, as_team_member, in_sub_actor, in_sub_instructor}
    assert set(related) == expected


async def test_related_agents_matches_authority(client: httpx.AsyncClient) -> None:
    """STR-Q-011: the authority counts as a related agent."""
    [sid] = await post(client, make_statement(actor=unique_agent()))
    authority = (await client.get(URL, params={"statementId": sid})).json()["authority"]
    found = await query(client, agent=authority, related_agents="true", limit=1)
    assert found == [sid]
    assert await query(client, agent=authority) == []


async def test_related_agents_context_agents_and_groups_2_0(
    client: httpx.AsyncClient,
) -> None:
    """STR-Q-011 [2.0]: contextAgents[].agent and contextGroups[].group are related agents."""
    agent = unique_agent()
    member = unique_agent()
    context = {
        "contextAgents": [{"objectType": "contextAgent", "agent": agent}],
        "contextGroups": [{"objectType": "contextGroup", "group": make_group(member)}],
    }
    [sid] = await post(client, make_statement(context=context))
    assert await query(client, agent=agent, related_agents="true") == [sid]
    assert await query(client, agent=member, related_agents="true") == [sid]
    assert await query(client, agent=agent) == []


async def test_sha1_of_mbox_is_its_own_identifier(client: httpx.AsyncClient) -> None:
    """STR-Q-003, STR-Q-005 (MAY): an agent filtered by mbox_sha1sum finds statements whose
    actor used that very IFI."""
    who = f"u{uuid.uuid4().hex[:10]}"
    sha1 = hashlib.sha1(f"mailto:{who}@example.com".encode()).hexdigest()
    [sid] = await post(client, make_statement(actor={"mbox_sha1sum": sha1}))
    assert await query(client, agent={"mbox_sha1sum": sha1}) == [sid]


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"verb": "not an iri"}, "verb without scheme (ERR-007)"),
        ({"activity": "lesson-1"}, "activity without scheme"),
        ({"registration": "1234"}, "registration not a UUID (ST-VAL-022)"),
        ({"since": "yesterday"}, "since not a timestamp (ST-VAL-120)"),
        ({"until": "2024-13-01T00:00:00Z"}, "until not a timestamp"),
        ({"limit": "-1"}, "negative limit (STR-Q-014)"),
        ({"limit": "1.5"}, "non-integer limit"),
        ({"limit": "ten"}, "limit not a number"),
        ({"format": "full"}, "format value (STR-Q-015)"),
        ({"format": "IDS"}, "format case (ERR-006)"),
        ({"ascending": "yes"}, "boolean value (STR-Q-024)"),
        ({"related_agents": "True"}, "boolean case"),
        ({"related_activities": "1"}, "boolean as number"),
        ({"attachments": ""}, "empty boolean"),
        ({"Verb": "http://example.com/v"}, "name case (ERR-006)"),
        ({"activityId": "http://example.com/a"}, "parameter of another resource (ERR-005)"),
        ({"foo": "bar"}, "unknown parameter (ERR-005)"),
        ({"statementId": str(uuid.uuid4()), "voidedStatementId": str(uuid.uuid4())}, "STR-R-003"),
        ({"statementId": str(uuid.uuid4()), "limit": "1"}, "STR-R-004"),
        ({"voidedStatementId": str(uuid.uuid4()), "verb": "http://e.com/v"}, "STR-R-004"),
        ({"statementId": "nope"}, "statementId not a UUID"),
    ],
)
async def test_parameter_errors(
    client: httpx.AsyncClient, params: dict[str, str], why: str
) -> None:
    response = await client.get(URL, params=params)
    assert response.status_code == 400, why
    assert response.json()["error"]["path"].startswith("param:"), why


async def test_repeated_parameter_is_400(client: httpx.AsyncClient) -> None:
    """A parameter given twice is ambiguous (ERR-004)."""
    response = await client.get(URL + "?limit=1&limit=2")
    assert response.status_code == 400


async def test_single_statement_allows_format_and_attachments(
    client: httpx.AsyncClient,
) -> None:
    """STR-R-004: statementId combines with format and attachments only."""
    [sid] = await post(client, make_statement())
    response = await client.get(
        URL, params={"statementId": sid, "format": "ids", "attachments": "false"}
    )
    assert response.status_code == 200
    assert response.json()["id"] == sid


async def test_ids_are_case_insensitive_for_lookup(client: httpx.AsyncClient) -> None:
    """ST-VAL-022: a statementId in upper case names the same statement."""
    [sid] = await post(client, make_statement())
    response = await client.get(URL, params={"statementId": sid.upper()})
    assert response.status_code == 200
    assert response.json()["id"] == sid
