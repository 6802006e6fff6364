"""Agents and Groups (ST-VAL-030..042, ST-VAL-130)."""

from __future__ import annotations

from typing import Any

import pytest

from lrs.errors import BadRequest
from lrs.xapi.validate import validate_actor, validate_agent, validate_group, validate_statement
from lrs.xapi.validate.agents import validate_authority
from lrs.xapi.versions import XapiVersion
from tests.factories import make_agent, make_group, make_statement

V1 = XapiVersion.V1_0_3
V2 = XapiVersion.V2_0_0
BOTH = pytest.mark.parametrize("version", [V1, V2])


def _refused_actor(actor: Any, version: XapiVersion = V2) -> BadRequest:
    with pytest.raises(BadRequest) as info:
        validate_statement(make_statement(actor=actor), version)
    return info.value


@BOTH
@pytest.mark.parametrize("ifi", ["mbox", "mbox_sha1sum", "openid", "account"])
def test_st_val_031_each_ifi_alone_is_accepted(ifi: str, version: XapiVersion) -> None:
    validate_agent(make_agent(ifi), version, path="$.actor")
    validate_statement(make_statement(actor=make_agent(ifi)), version)


def test_st_val_030_agent_without_object_type_is_an_agent() -> None:
    validate_actor({"mbox": "mailto:a@example.com", "name": "A"}, V2, path="$.actor")


def test_st_val_030_unknown_actor_object_type() -> None:
    error = _refused_actor(make_agent(objectType="Person"))
    assert error.path == "$.actor.objectType"


def test_st_val_006_object_type_case() -> None:
    error = _refused_actor(make_agent(objectType="agent"))
    assert error.path == "$.actor.objectType"
    assert "exactly 'Agent'" in error.message


def test_st_val_031_no_ifi() -> None:
    error = _refused_actor({"objectType": "Agent", "name": "Nobody"})
    assert error.path == "$.actor"
    assert "found none" in error.message


def test_st_val_031_two_ifis() -> None:
    actor = make_agent("mbox", openid="https://openid.example.com/a")
    error = _refused_actor(actor)
    assert error.path == "$.actor"
    assert "mbox, openid" in error.message


@pytest.mark.parametrize(
    "mbox", ["alice@example.com", "mailto:", "mailto:alice", "http://example.com", ""]
)
def test_st_val_032_bad_mbox(mbox: str) -> None:
    assert _refused_actor(make_agent(mbox=mbox)).path == "$.actor.mbox"


@pytest.mark.parametrize("digest", ["abc", "z" * 40, "a" * 64, ""])
def test_st_val_033_bad_mbox_sha1sum(digest: str) -> None:
    actor = make_agent("mbox_sha1sum", mbox_sha1sum=digest)
    assert _refused_actor(actor).path == "$.actor.mbox_sha1sum"


@pytest.mark.parametrize("openid", ["example.com/me", "", "not a uri"])
def test_st_val_034_bad_openid(openid: str) -> None:
    assert _refused_actor(make_agent("openid", openid=openid)).path == "$.actor.openid"


@pytest.mark.parametrize(
    ("account", "path"),
    [
        ({"homePage": "https://x.example"}, "$.actor.account"),
        ({"name": "a"}, "$.actor.account"),
        ({"homePage": "not a url", "name": "a"}, "$.actor.account.homePage"),
        ({"homePage": "https://x.example", "name": 5}, "$.actor.account.name"),
        ({"homePage": "https://x.example", "name": "a", "id": 1}, "$.actor.account.id"),
        ({"homepage": "https://x.example", "name": "a"}, "$.actor.account.homepage"),
        ("https://x.example/a", "$.actor.account"),
    ],
)
def test_st_val_035_account(account: Any, path: str) -> None:
    assert _refused_actor(make_agent("account", account=account)).path == path


def test_st_val_036_agent_extra_property() -> None:
    error = _refused_actor(make_agent(member=[]))
    assert error.path == "$.actor.member"


def test_st_val_036_agent_name_must_be_string() -> None:
    agent = make_agent()
    agent["name"] = None
    assert _refused_actor(agent).path == "$.actor.name"
    agent["name"] = ["A"]
    assert _refused_actor(agent).path == "$.actor.name"


def test_st_val_037_group_requires_object_type_when_validated_as_group() -> None:
    with pytest.raises(BadRequest, match="objectType 'Group'"):
        validate_group({"member": [make_agent()]}, V2, path="$.context.team")


def test_st_val_038_anonymous_group_needs_members() -> None:
    error = _refused_actor({"objectType": "Group", "name": "nobody"})
    assert error.path == "$.actor"
    assert "member" in error.message


def test_st_val_038_anonymous_group_with_members() -> None:
    validate_statement(make_statement(actor=make_group()), V2)


def test_st_val_039_identified_group_member_optional() -> None:
    validate_statement(make_statement(actor=make_group(ifi="account", member=[])), V1)
    group = make_group(ifi="mbox")
    del group["member"]
    validate_statement(make_statement(actor=group), V1)


def test_st_val_039_identified_group_one_ifi_only() -> None:
    group = make_group(ifi="mbox", openid="https://openid.example.com/x")
    assert _refused_actor(group).path == "$.actor"


def test_st_val_040_group_in_members() -> None:
    group = make_group(make_agent(), make_group())
    error = _refused_actor(group)
    assert error.path == "$.actor.member[1].objectType"
    assert "not Groups" in error.message


def test_st_val_041_members_are_complete_agents() -> None:
    group = make_group(make_agent(), {"objectType": "Agent", "name": "x"})
    assert _refused_actor(group).path == "$.actor.member[1]"
    bad_member = make_group(make_agent(mbox="bad"))
    assert _refused_actor(bad_member).path == "$.actor.member[0].mbox"


def test_member_must_be_array() -> None:
    assert _refused_actor(make_group(member={"mbox": "x"})).path == "$.actor.member"


def test_validate_agent_refuses_a_group() -> None:
    with pytest.raises(BadRequest, match="must be an Agent") as info:
        validate_agent(make_group(), V2, path="$.agent")
    assert info.value.path == "$.agent.objectType"


def test_validate_group_refuses_an_agent() -> None:
    with pytest.raises(BadRequest, match="must be a Group") as info:
        validate_group(make_agent(), V2, path="$.team")
    assert info.value.path == "$.team.objectType"


@BOTH
def test_st_val_130_authority_agent(version: XapiVersion) -> None:
    validate_statement(make_statement(authority=make_agent("account")), version)


def test_st_val_130_authority_two_member_group_in_1_0_3() -> None:
    validate_authority(make_group(), V1, path="$.authority")


@pytest.mark.parametrize("version", [V1, V2])
def test_st_val_130_authority_other_groups_refused(version: XapiVersion) -> None:
    """ST-VAL-130 under both versions (REF-001)."""
    three = make_group(make_agent(who="a"), make_agent(who="b"), make_agent(who="c"))
    with pytest.raises(BadRequest, match="exactly two members") as info:
        validate_statement(make_statement(authority=three), version)
    assert info.value.path == "$.authority"
    one = make_group(make_agent(who="a"))
    with pytest.raises(BadRequest, match="exactly two members"):
        validate_authority(one, version, path="$.authority")
    identified = make_group(ifi="mbox")
    del identified["member"]
    with pytest.raises(BadRequest, match="Anonymous Group"):
        validate_authority(identified, version, path="$.authority")
    identified_pair = make_group(make_agent(who="a"), make_agent(who="b"), ifi="mbox")
    with pytest.raises(BadRequest, match="Anonymous Group"):
        validate_authority(identified_pair, version, path="$.authority")


def test_st_val_130_authority_invalid_agent() -> None:
    with pytest.raises(BadRequest) as info:
        validate_statement(make_statement(authority={"name": "x"}), V2)
    assert info.value.path == "$.authority"


def test_actor_must_be_an_object() -> None:
    assert _refused_actor("mailto:a@example.com").path == "$.actor"
    assert _refused_actor(None).path == "$.actor"
