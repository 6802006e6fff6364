"""Rules specific to one document resource (DOC-ST-*, DOC-AGP-*, DOC-ACP-*)."""

from __future__ import annotations

from ..http import Session
from ..registry import check
from ..xapi import agent, agent_param, uid
from ._docs import (
    ACTIVITY_PROFILE,
    AGENT_PROFILE,
    STATE,
    cleanup,
    create,
    doc_params,
    post_doc,
    put_doc,
)

ST, ACP, AGP = STATE.area, ACTIVITY_PROFILE.area, AGENT_PROFILE.area


@check("DOC-ST-002", "DOC-ST-001", "ST-VAL-022", area=ST)
def state_scoped_by_registration(s: Session) -> None:
    """A state stored with a registration differs from one stored without."""
    scope = STATE.scope()
    plain = doc_params(STATE, scope, "s")
    with_reg = {**plain, "registration": uid()}
    create(s, STATE, plain, {"r": "none"})
    create(s, STATE, with_reg, {"r": "some"})
    s.expect(s.json(s.get(STATE.path, plain)) == {"r": "none"}, "registration mixed in")
    s.expect(s.json(s.get(STATE.path, with_reg)) == {"r": "some"}, "registration ignored")
    s.expect_status(s.get(STATE.path, {**plain, "registration": "abc"}), 400, why="bad UUID")
    cleanup(s, STATE, plain)
    cleanup(s, STATE, with_reg)


@check("DOC-ST-004", area=ST)
def state_bulk_delete(s: Session) -> None:
    """DELETE without stateId removes every state in scope and nothing else."""
    scope, other = STATE.scope(), STATE.scope()
    for sid in ("a", "b"):
        create(s, STATE, doc_params(STATE, scope, sid), {"x": sid})
    create(s, STATE, doc_params(STATE, other, "a"), {"x": "other"})
    s.expect_status(s.request("DELETE", STATE.path, params=scope), 204)
    s.expect(s.json(s.get(STATE.path, scope)) == [], "states remain after bulk delete")
    gone = s.get(STATE.path, doc_params(STATE, scope, "a"))
    s.expect_status(gone, 404, why="state 'a' should be deleted")
    s.expect_status(s.get(STATE.path, doc_params(STATE, other, "a")), 200, why="other scope")
    cleanup(s, STATE, doc_params(STATE, other, "a"))


@check("DOC-ST-005", area=ST)
def state_id_with_since_refused(s: Session) -> None:
    """stateId together with since is refused."""
    params = {**doc_params(STATE, STATE.scope(), "x"), "since": "2013-05-18T05:32:34Z"}
    s.expect_status(s.get(STATE.path, params), 400)


@check("DOC-ST-006", area=ST)
def state_needs_no_preconditions(s: Session) -> None:
    """State POST and DELETE over an existing document need no If-Match; so does PUT under
    1.0.x (under 2.0 a header-less PUT over an existing document is a 409, REF-008)."""
    p = doc_params(STATE, STATE.scope(), "free")
    create(s, STATE, p, {"a": 1})
    put_status = 409 if s.is_v2 else 204
    s.expect_status(put_doc(s, STATE, p, {"a": 2}), put_status, why="PUT over existing state")
    s.expect_status(post_doc(s, STATE, p, {"b": 3}), 204, why="POST over existing state")
    s.expect_status(s.request("DELETE", STATE.path, params=p), 204, why="DELETE")


@check("DOC-AGP-003", area=AGP)
def agent_profile_refuses_groups(s: Session) -> None:
    """agent must be an Agent, not an anonymous Group."""
    group = {"objectType": "Group", "member": [agent()]}
    params = {"agent": agent_param(group), "profileId": "p"}
    s.expect_status(s.get(AGENT_PROFILE.path, params), 400)


@check("DOC-AGP-004", area=AGP)
def agent_profile_delete_needs_id(s: Session) -> None:
    """DELETE without profileId is refused."""
    response = s.request("DELETE", AGENT_PROFILE.path, params=AGENT_PROFILE.scope())
    s.expect_status(response, 400)


@check("DOC-ACP-003", area=ACP)
def activity_profile_delete_needs_id(s: Session) -> None:
    """DELETE without profileId is refused."""
    response = s.request("DELETE", ACTIVITY_PROFILE.path, params=ACTIVITY_PROFILE.scope())
    s.expect_status(response, 400)
