"""Agents Resource (AGT-*) and Activities Resource (ACT-*)."""

from __future__ import annotations

import re

from ..http import Session
from ..registry import check
from ..xapi import Json, activity, activity_id, agent, agent_param, statement, store

AGENTS, ACTIVITIES = "agents", "activities"
PERSON_KEYS = {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"}


def _person(s: Session, who: Json) -> Json:
    response = s.get("agents", {"agent": agent_param(who)})
    s.expect_status(response, 200)
    body: Json = s.json(response)
    return body


@check("AGT-001", "AGT-003", "AGT-004", area=AGENTS)
def person_for_known_agent(s: Session) -> None:
    """GET /agents returns a Person with array-valued identity properties."""
    who = agent(name="Person Name")
    store(s, statement(actor=who))
    person = _person(s, who)
    s.expect(person.get("objectType") == "Person", f"objectType {person.get('objectType')}")
    for key in PERSON_KEYS - {"objectType"}:
        if key in person:
            s.expect(isinstance(person[key], list), f"{key} is not an array")
    mboxes = person.get("mbox", [])
    s.expect(isinstance(mboxes, list) and who["mbox"] in mboxes, f"mbox {mboxes}")
    s.expect(all(str(m).startswith("mailto:") for m in mboxes), "mbox values not mailto IRIs")


@check("AGT-005", area=AGENTS)
def person_for_unknown_agent(s: Session) -> None:
    """An agent never seen still yields a Person holding the requested data."""
    who = {"account": {"homePage": "http://example.com", "name": activity_id()}}
    person = _person(s, who)
    s.expect(person.get("objectType") == "Person", "not a Person")
    accounts = person.get("account")
    s.expect(isinstance(accounts, list) and who["account"] in accounts, f"account {accounts}")


@check("AGT-002", "DOC-013", area=AGENTS)
def agents_parameter_validated(s: Session) -> None:
    """agent must be a single valid Agent."""
    for value in ('{"name": "x"}', "[]", "{", agent_param({"objectType": "Group", "member": []})):
        s.expect_status(s.get("agents", {"agent": value}), 400, why=f"agent={value}")


@check("AGT-006", area=AGENTS)
def person_has_no_extra_properties(s: Session) -> None:
    """Person carries only the listed properties."""
    extra = set(_person(s, agent())) - PERSON_KEYS
    s.expect(not extra, f"extra properties {sorted(extra)}")


@check("AGT-007", area=AGENTS)
def person_without_elevated_rights(s: Session) -> None:
    """Several identities need elevated permission (only observable with --readonly-user)."""
    if s.config.readonly_user is None:
        s.skip("needs --readonly-user/--readonly-password")
    creds = (str(s.config.readonly_user), str(s.config.readonly_password))
    response = s.get("agents", {"agent": agent_param(agent())}, auth=creds)
    s.expect_status(response, 200, 403)


@check("ACT-001", "ACT-004", "ACT-005", area=ACTIVITIES)
def activity_returns_definition(s: Session) -> None:
    """GET /activities returns the Activity with its definition in all languages."""
    act = activity(name={"en-US": "Name", "fr": "Nom"}, type="http://example.com/t")
    store(s, statement(object=act))
    response = s.get("activities", {"activityId": act["id"]})
    s.expect_status(response, 200)
    body = s.json(response)
    s.expect(body.get("id") == act["id"], f"id {body.get('id')}")
    s.expect(body.get("objectType", "Activity") == "Activity", "objectType not Activity")
    name = body.get("definition", {}).get("name", {})
    s.expect(name == act["definition"]["name"], f"definition name {name}")


@check("ACT-002", area=ACTIVITIES)
def unknown_activity_still_returned(s: Session) -> None:
    """An unknown activity id gives an Activity object, not 404."""
    aid = activity_id()
    response = s.get("activities", {"activityId": aid})
    s.expect_status(response, 200)
    s.expect(s.json(response).get("id") == aid, "wrong id")


@check("ACT-003", area=ACTIVITIES)
def activity_id_validated(s: Session) -> None:
    """activityId is required and must be an IRI."""
    s.expect_status(s.get("activities", {}), 400, why="missing activityId")
    s.expect_status(s.get("activities", {"activityId": "not an iri"}), 400, why="bad IRI")


@check("ST-PROC-019", "ST-PROC-020", area=ACTIVITIES)
def canonical_definition_updated(s: Session) -> None:
    """A later statement's definition updates the canonical one (small changes at least)."""
    act = activity(name={"en-US": "Spelling mistaek"})
    store(s, statement(object=act))
    fixed = {**act, "definition": {"name": {"en-US": "Spelling mistake"}}}
    store(s, statement(object=fixed))
    body = s.json(s.get("activities", {"activityId": act["id"]}))
    name = body.get("definition", {}).get("name", {})
    s.expect(re.search("mistake", str(name)), f"canonical name not updated: {name}")
