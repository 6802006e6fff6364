"""Agents, Groups and their inverse functional identifiers (ST-VAL-030..042, ST-VAL-130)."""

from __future__ import annotations

from typing import TypeGuard

from lrs.xapi import primitives
from lrs.xapi.jsonparse import child_path
from lrs.xapi.validate._common import (
    JsonObject,
    Keys,
    check_array,
    check_enum,
    check_identifier_size,
    check_irl,
    check_object,
    check_string,
    fail,
)
from lrs.xapi.versions import XapiVersion

IFIS = ("mbox", "mbox_sha1sum", "openid", "account")

_AGENT_KEYS = Keys(("objectType", "name", *IFIS))
_GROUP_KEYS = Keys(("objectType", "name", "member", *IFIS), required=("objectType",))
_ACCOUNT_KEYS = Keys(("homePage", "name"), required=("homePage", "name"))
_ACTOR_TYPES = ("Agent", "Group")


def validate_agent(obj: object, version: XapiVersion, *, path: str) -> None:
    """An Agent: optional ``objectType: "Agent"``, optional name, exactly one IFI (ST-VAL-036)."""
    agent = check_object(obj, path, "an Agent object")
    if "objectType" in agent:
        kind = check_enum(agent["objectType"], _ACTOR_TYPES, f"{path}.objectType")
        if kind != "Agent":
            fail("must be an Agent here, not a Group", f"{path}.objectType")
    _AGENT_KEYS.check(agent, path)
    _check_name(agent, path)
    if count_ifis(agent, path) != 1:
        fail(_ifi_message(agent, "an Agent"), path)


def validate_group(obj: object, version: XapiVersion, *, path: str) -> None:
    """A Group: ``objectType: "Group"``, then one IFI or a ``member`` list (ST-VAL-037..041)."""
    group = check_object(obj, path, "a Group object")
    if "objectType" not in group:
        fail("a Group must have objectType 'Group'", path)
    kind = check_enum(group["objectType"], _ACTOR_TYPES, f"{path}.objectType")
    if kind != "Group":
        fail("must be a Group here, not an Agent", f"{path}.objectType")
    _GROUP_KEYS.check(group, path)
    _check_name(group, path)
    ifis = count_ifis(group, path)
    if ifis > 1:
        fail(_ifi_message(group, "an Identified Group"), path)
    if "member" in group:
        _check_members(group["member"], version, f"{path}.member")
    elif ifis == 0:
        fail("an Anonymous Group (one without an identifier) must have a 'member' array", path)


def validate_actor(obj: object, version: XapiVersion, *, path: str) -> None:
    """An Agent or a Group; no ``objectType`` means Agent (ST-VAL-030, ST-VAL-042)."""
    if is_group(obj):
        validate_group(obj, version, path=path)
    else:
        validate_agent(obj, version, path=path)


def validate_authority(obj: object, version: XapiVersion, *, path: str) -> None:
    """An Agent, or an Anonymous Group of exactly two Agents (the OAuth consumer and user).

    The LRS replaces a client-supplied authority, but validates it first, under both
    versions (ST-VAL-130, REF-001): an identified Group, or a Group of one or of three or
    more members, is refused."""
    validate_actor(obj, version, path=path)
    if is_group(obj):
        if is_identified(obj):
            fail("an authority Group must be an Anonymous Group (no identifier)", path)
        members = obj.get("member")
        if not isinstance(members, list) or len(members) != 2:
            fail("an authority Group must have exactly two members", path)


def is_group(obj: object) -> TypeGuard[JsonObject]:
    return isinstance(obj, dict) and obj.get("objectType") == "Group"


def is_identified(obj: JsonObject) -> bool:
    return any(key in obj for key in IFIS)


def count_ifis(obj: JsonObject, path: str) -> int:
    """Validate each IFI present and return how many there are (ST-VAL-031..035)."""
    found = 0
    if "mbox" in obj:
        found += 1
        mbox = check_identifier_size(check_string(obj["mbox"], f"{path}.mbox"), f"{path}.mbox")
        if not primitives.is_mailto(mbox):
            fail(f"{mbox!r} must be a 'mailto:' IRI holding an e-mail address", f"{path}.mbox")
    if "mbox_sha1sum" in obj:
        found += 1
        digest = check_string(obj["mbox_sha1sum"], f"{path}.mbox_sha1sum")
        if not primitives.is_sha1_hex(digest):
            fail("mbox_sha1sum must be a SHA-1 digest of 40 hex digits", f"{path}.mbox_sha1sum")
    if "openid" in obj:
        found += 1
        openid = check_identifier_size(
            check_string(obj["openid"], f"{path}.openid"), f"{path}.openid"
        )
        if not primitives.is_iri(openid):
            fail(f"{openid!r} is not an absolute URI", f"{path}.openid")
    if "account" in obj:
        found += 1
        _check_account(obj["account"], f"{path}.account")
    return found


def _check_account(value: object, path: str) -> None:
    account = check_object(value, path, "an account object")
    _ACCOUNT_KEYS.check(account, path)
    check_irl(account["homePage"], f"{path}.homePage")
    check_identifier_size(check_string(account["name"], f"{path}.name"), f"{path}.name")


def _check_name(obj: JsonObject, path: str) -> None:
    if "name" in obj:
        check_string(obj["name"], f"{path}.name")


def _check_members(value: object, version: XapiVersion, path: str) -> None:
    members = check_array(value, path)
    for index, member in enumerate(members):
        member_path = f"{path}[{index}]"
        if is_group(member):
            fail(
                "a Group's members must be Agents, not Groups",
                child_path(member_path, "objectType"),
            )
        validate_agent(member, version, path=member_path)


def _ifi_message(obj: JsonObject, what: str) -> str:
    present = [key for key in IFIS if key in obj]
    if not present:
        return f"{what} needs exactly one identifier (one of {', '.join(IFIS)}); found none"
    return f"{what} needs exactly one identifier; found {', '.join(present)}"
