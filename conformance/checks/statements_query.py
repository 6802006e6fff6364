"""Statement queries: each filter, their combination, formats, StatementRef expansion.

Every check writes its own statements with run-unique agents, verbs, activities or
registrations, so results are scoped to the check. Cites STR-Q-*.
"""

from __future__ import annotations

import uuid

from ..http import Session
from ..registry import check
from ..xapi import (
    EXAMPLE,
    Json,
    activity,
    agent,
    agent_param,
    fetch,
    query,
    query_ids,
    statement,
    store,
    stored_at,
    uid,
)

AREA = "statements-query"


def fresh_verb() -> Json:
    """A verb id unique to this call."""
    return {"id": f"{EXAMPLE}/verb/{uuid.uuid4()}", "display": {"en-US": "tested"}}


@check("STR-Q-003", area=AREA)
def agent_filter_matches_actor_and_object(s: Session) -> None:
    """agent matches the actor or the object by IFI, nothing else."""
    who, other = agent(), agent()
    as_actor = store(s, statement(actor={"mbox": who["mbox"], "name": "Named"}))[0]
    as_object = store(s, statement(actor=other, object=dict(who)))[0]
    elsewhere = store(s, statement(actor=other))[0]
    ids = query_ids(s, agent=agent_param(who))
    s.expect(as_actor in ids, "statement with the agent as actor not returned")
    s.expect(as_object in ids, "statement with the agent as object not returned")
    s.expect(elsewhere not in ids, "statement of another agent returned")


@check("STR-Q-004", area=AREA)
def agent_filter_matches_group_members(s: Session) -> None:
    """agent also matches a Group actor that lists the agent as member."""
    who = agent()
    sid = store(s, statement(actor={"objectType": "Group", "member": [who, agent()]}))[0]
    s.expect(sid in query_ids(s, agent=agent_param(who)), "group statement not returned")


@check("STR-Q-001", "ERR-007", "DOC-013", area=AREA)
def bad_agent_parameter_refused(s: Session) -> None:
    """agent must be JSON for a valid Agent."""
    for value in ("not json", '{"name": "no ifi"}', '{"mbox": "x@example.com"}'):
        s.expect_status(s.get("statements", {"agent": value}), 400, why=f"agent={value}")


@check("STR-Q-002", area=AREA)
def anonymous_group_agent_refused(s: Session) -> None:
    """An Anonymous Group has no IFI to filter on."""
    value = agent_param({"objectType": "Group", "member": [agent()]})
    s.expect_status(s.get("statements", {"agent": value}), 400)


@check("STR-Q-006", area=AREA)
def verb_filter(s: Session) -> None:
    """verb keeps only statements with that exact verb id."""
    reg, v = uid(), fresh_verb()
    hit = store(s, statement(verb=v, context={"registration": reg}))[0]
    miss = store(s, statement(context={"registration": reg}))[0]
    ids = query_ids(s, verb=v["id"], registration=reg)
    s.expect(hit in ids and miss not in ids, f"verb filter returned {ids}")


@check("ST-VAL-161", "ST-VAL-162", area=AREA)
def verb_filter_compares_iris_exactly(s: Session) -> None:
    """IRIs differing only in letter case are different verbs."""
    v = fresh_verb()
    store(s, statement(verb=v))
    s.expect(not query_ids(s, verb=v["id"].upper()), "case-changed IRI matched")


@check("STR-Q-007", area=AREA)
def activity_filter(s: Session) -> None:
    """activity matches the object's activity id only (not context) by default."""
    act = activity()
    hit = store(s, statement(object=act))[0]
    ctx = store(s, statement(context={"contextActivities": {"parent": [act]}}))[0]
    ids = query_ids(s, activity=act["id"])
    s.expect(hit in ids, "statement about the activity not returned")
    s.expect(ctx not in ids, "context-only match returned without related_activities")


@check("STR-Q-008", "ST-VAL-022", area=AREA)
def registration_filter(s: Session) -> None:
    """registration matches context.registration; a malformed one is refused."""
    reg = uid()
    hit = store(s, statement(context={"registration": reg}))[0]
    s.expect(query_ids(s, registration=reg) == [hit], "registration filter wrong")
    s.expect_status(s.get("statements", {"registration": "abc"}), 400, why="bad registration")


@check("STR-Q-009", area=AREA)
def filters_are_conjunctive(s: Session) -> None:
    """Several filters all have to match."""
    who, v = agent(), fresh_verb()
    both = store(s, statement(actor=who, verb=v))[0]
    store(s, statement(actor=who))
    store(s, statement(verb=v))
    ids = query_ids(s, agent=agent_param(who), verb=v["id"])
    s.expect(ids == [both], f"expected only {both}, got {ids}")


@check("STR-Q-010", area=AREA)
def related_activities(s: Session) -> None:
    """related_activities=true also matches context activities and SubStatement objects."""
    act = activity()
    in_ctx = store(s, statement(context={"contextActivities": {"grouping": [act]}}))[0]
    sub: Json = {"objectType": "SubStatement", "actor": agent(), "verb": fresh_verb()}
    sub["object"] = act
    in_sub = store(s, statement(object=sub))[0]
    ids = query_ids(s, activity=act["id"], related_activities="true")
    s.expect(in_ctx in ids, "contextActivities match missing")
    s.expect(in_sub in ids, "SubStatement object match missing")


@check("STR-Q-011", area=AREA)
def related_agents(s: Session) -> None:
    """related_agents=true also matches instructor, team members and SubStatement actors."""
    who = agent()
    instr = store(s, statement(context={"instructor": who}))[0]
    sub = {"objectType": "SubStatement", "actor": who, "verb": fresh_verb(), "object": activity()}
    in_sub = store(s, statement(object=sub))[0]
    plain = query_ids(s, agent=agent_param(who))
    s.expect(instr not in plain, "instructor matched without related_agents")
    ids = query_ids(s, agent=agent_param(who), related_agents="true")
    s.expect(instr in ids and in_sub in ids, f"related_agents returned {ids}")
    if s.is_v2:
        ctx = {"contextAgents": [{"objectType": "contextAgent", "agent": who}]}
        in_ctx = store(s, statement(context=ctx))[0]
        ids = query_ids(s, agent=agent_param(who), related_agents="true")
        s.expect(in_ctx in ids, "contextAgents match missing under 2.0")


@check("STR-Q-010", "STR-Q-011", area=AREA)
def related_filters_include_the_primary_places(s: Session) -> None:
    """The related forms widen the plain filters: with related_activities=true the object
    still matches, with related_agents=true the actor and an Agent object still do, each
    statement once, in stored order (newest first)."""
    who, act = agent(), activity()
    as_object = store(s, statement(object=act))[0]
    in_both = store(
        s, statement(actor=who, object=act, context={"contextActivities": {"other": [act]}})
    )[0]
    as_agent_object = store(s, statement(object=who))[0]
    ids = query_ids(s, activity=act["id"], related_activities="true")
    s.expect(ids == [in_both, as_object], f"related_activities returned {ids}")
    ids = query_ids(s, agent=agent_param(who), related_agents="true")
    s.expect(ids == [as_agent_object, in_both], f"related_agents returned {ids}")


@check("STR-Q-012", "STR-Q-013", area=AREA)
def since_and_until(s: Session) -> None:
    """since is exclusive, until inclusive, both on stored."""
    reg = uid()
    first = store(s, statement(context={"registration": reg}))[0]
    second = store(s, statement(context={"registration": reg}))[0]
    stored = stored_at(s, first)
    after = query_ids(s, registration=reg, since=stored)
    s.expect(first not in after and second in after, f"since={stored} returned {after}")
    before = query_ids(s, registration=reg, until=stored)
    s.expect(first in before and second not in before, f"until={stored} returned {before}")


@check("ST-VAL-120", "ERR-007", area=AREA)
def bad_since_refused(s: Session) -> None:
    """since must be an ISO 8601 timestamp."""
    s.expect_status(s.get("statements", {"since": "yesterday"}), 400)


@check("STR-Q-014", area=AREA)
def limit_validation(s: Session) -> None:
    """limit must be a non-negative integer; limit=1 returns at most one statement."""
    for value in ("-1", "abc", "1.5"):
        s.expect_status(s.get("statements", {"limit": value}), 400, why=f"limit={value}")
    reg = uid()
    store(s, statement(context={"registration": reg}), statement(context={"registration": reg}))
    s.expect(len(query(s, registration=reg, limit="1")["statements"]) == 1, "limit=1 ignored")
    s.expect(len(query(s, registration=reg, limit="0")["statements"]) == 2, "limit=0 wrong")


@check("STR-Q-015", area=AREA)
def format_validation(s: Session) -> None:
    """format must be ids, exact or canonical."""
    for value in ("IDS", "full", ""):
        s.expect_status(s.get("statements", {"format": value}), 400, why=f"format={value!r}")


@check("STR-Q-016", "STR-Q-017", area=AREA)
def exact_format(s: Session) -> None:
    """format=exact returns agents, activities and verbs as received; no display is added."""
    who = agent(name="Exact Name")
    act = activity(name={"en-US": "n", "de": "m"})
    sid = store(s, statement(actor=who, verb={"id": fresh_verb()["id"]}, object=act))[0]
    got = query(s, agent=agent_param(who), format="exact")["statements"]
    s.expect(len(got) == 1 and got[0]["id"] == sid, "statement not found")
    s.expect(got[0]["actor"] == who, f"actor changed: {got[0]['actor']}")
    s.expect(got[0]["object"] == act, f"activity changed: {got[0]['object']}")
    s.expect("display" not in got[0]["verb"], "verb display was added")


@check("STR-Q-018", "STR-Q-019", area=AREA)
def ids_format(s: Session) -> None:
    """format=ids keeps only identifying data."""
    who = agent(name="Has A Name")
    sid = store(s, statement(actor=who, object=activity(name={"en-US": "x"})))[0]
    got = fetch(s, sid, format="ids")
    s.expect("name" not in got["actor"], f"actor not reduced: {got['actor']}")
    s.expect(got["actor"].get("mbox") == who["mbox"], "actor IFI missing")
    s.expect("definition" not in got["object"], "activity definition kept")
    s.expect(set(got["verb"]) == {"id"}, f"verb not reduced: {got['verb']}")


@check("STR-Q-020", "STR-Q-021", "STR-Q-022", area=AREA)
def canonical_format_one_language(s: Session) -> None:
    """format=canonical keeps one language per map, chosen by Accept-Language."""
    act = activity(name={"en-US": "Name", "fr": "Nom"}, description={"en-US": "D", "fr": "De"})
    sid = store(s, statement(object=act))[0]
    response = s.get(
        "statements", {"statementId": sid, "format": "canonical"}, headers={"Accept-Language": "fr"}
    )
    s.expect_status(response, 200)
    got = s.json(response)
    definition = got.get("object", {}).get("definition", {})
    s.expect(definition.get("name") == {"fr": "Nom"}, f"name {definition.get('name')}")
    s.expect(definition.get("description") == {"fr": "De"}, "description not reduced")
    s.expect(got.get("actor") == fetch(s, sid)["actor"], "canonical changed the actor")


@check("STR-Q-023", area=AREA)
def canonical_verb_display_one_language(s: Session) -> None:
    """format=canonical also reduces verb display to one language."""
    v = {"id": fresh_verb()["id"], "display": {"en-US": "did", "fr": "a fait"}}
    sid = store(s, statement(verb=v))[0]
    response = s.get(
        "statements", {"statementId": sid, "format": "canonical"}, headers={"Accept-Language": "fr"}
    )
    s.expect_status(response, 200)
    display = s.json(response).get("verb", {}).get("display")
    s.expect(isinstance(display, dict) and len(display) == 1, f"display {display}")


@check("STR-Q-024", area=AREA)
def boolean_parameters_validated(s: Session) -> None:
    """attachments, ascending, related_* accept only true or false."""
    for key in ("attachments", "ascending", "related_activities", "related_agents"):
        for value in ("yes", "1", "TRUE"):
            s.expect_status(s.get("statements", {key: value}), 400, why=f"{key}={value}")


@check("STR-Q-025", "STR-Q-026", "STR-Q-027", "STR-Q-028", area=AREA)
def statement_ref_expansion(s: Session) -> None:
    """Filters also return statements referring to matches; time filters apply to the referrer."""
    v = fresh_verb()
    target = store(s, statement(verb=v))[0]
    stored = stored_at(s, target)
    referrer = store(s, statement(object={"objectType": "StatementRef", "id": target}))[0]
    chained = store(s, statement(object={"objectType": "StatementRef", "id": referrer}))[0]
    ctx_only = store(
        s, statement(context={"statement": {"objectType": "StatementRef", "id": target}})
    )[0]
    ids = query_ids(s, verb=v["id"])
    s.expect(target in ids and referrer in ids, f"referring statement missing: {ids}")
    s.expect(chained in ids, "chain of references not followed")
    s.expect(ctx_only not in ids, "context.statement affected filtering")
    later = query_ids(s, verb=v["id"], since=stored)
    s.expect(target not in later and referrer in later, f"since applied wrongly: {later}")
    single = fetch(s, referrer)
    s.expect(single.get("id") == referrer, "statementId lookup expanded")


@check("STR-Q-025", "STR-Q-009", area=AREA)
def statement_ref_expansion_with_two_filters(s: Session) -> None:
    """With agent and verb together, a referrer is returned when its target matches both,
    not when its own agent and its target's verb are all that match."""
    target_agent, referrer_agent, v = agent(), agent(), fresh_verb()
    target = store(s, statement(actor=target_agent, verb=v))[0]
    ref = {"objectType": "StatementRef", "id": target}
    referrer = store(s, statement(actor=referrer_agent, object=ref))[0]
    both = query_ids(s, agent=agent_param(target_agent), verb=v["id"])
    s.expect(target in both and referrer in both, f"target and referrer expected: {both}")
    mixed = query_ids(s, agent=agent_param(referrer_agent), verb=v["id"])
    s.expect(not mixed, f"own agent with the target's verb matched: {mixed}")


@check("ST-VAL-012", area=AREA)
def activity_ids_are_case_sensitive(s: Session) -> None:
    """Activity ids differing in letter case are different activities."""
    act = {"objectType": "Activity", "id": f"{EXAMPLE}/CaseSensitive/{uuid.uuid4()}"}
    store(s, statement(object=act))
    s.expect(not query_ids(s, activity=act["id"].lower()), "lower-cased activity id matched")
