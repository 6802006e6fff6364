"""Error handling: status codes, parameter validation, error bodies (ERR-*)."""

from __future__ import annotations

from ..http import Session
from ..registry import check
from ..xapi import activity_id, agent, agent_param, post, uid

AREA = "errors"
ALLOWED = {400, 401, 403, 404, 409, 412, 413, 429, 500}


@check("ERR-001", "ERR-016", area=AREA)
def errors_use_listed_codes(s: Session) -> None:
    """Assorted bad requests get a listed 4xx code (and never 500)."""
    responses = [
        post(s, {"actor": 1}),
        s.get("statements", {"statementId": "x"}),
        s.get("activities/state", {"activityId": "x"}),
        s.get("agents", {"agent": "{"}),
        s.request("PUT", "activities/profile", params={"activityId": activity_id()}),
    ]
    for r in responses:
        s.expect(r.status_code in ALLOWED - {500}, f"{r.request.url}: status {r.status_code}")


@check("ERR-002", "ERR-003", area=AREA)
def errors_explain_themselves(s: Session) -> None:
    """An error body says what went wrong, in a negotiated text format."""
    response = post(s, {"actor": 1}, headers={"Accept": "application/json"})
    s.expect_status(response, 400)
    s.expect(len(response.content.strip()) > 2, "empty error body")
    ctype = response.headers.get("Content-Type", "")
    s.expect(ctype.split(";")[0] in {"application/json", "text/plain", "text/html"}, ctype)


@check("ERR-004", area=AREA)
def malformed_json_is_400(s: Session) -> None:
    """Malformed JSON in a document POST merge or agent parameter is 400."""
    params = {"activityId": activity_id(), "agent": agent_param(agent()), "stateId": "s"}
    response = s.request(
        "POST",
        "activities/state",
        params=params,
        content="{not json",
        headers={"Content-Type": "application/json"},
    )
    s.expect_status(response, 400)


@check("ERR-005", "DOC-014", area=AREA)
def unknown_parameters_refused(s: Session) -> None:
    """A parameter the resource does not define is refused."""
    s.expect_status(s.get("statements", {"limit": "1", "foo": "bar"}), 400)
    params = {"activityId": activity_id(), "agent": agent_param(agent()), "bogus": "1"}
    s.expect_status(s.get("activities/state", params), 400)
    s.expect_status(s.get("activities", {"activityId": activity_id(), "x": "1"}), 400)


@check("ERR-006", area=AREA)
def wrong_case_parameters_refused(s: Session) -> None:
    """Parameter names in the wrong case are refused."""
    s.expect_status(s.get("statements", {"StatementId": uid()}), 400)
    s.expect_status(s.get("activities", {"activityID": activity_id()}), 400)


@check("ERR-007", area=AREA)
def parameter_values_validated(s: Session) -> None:
    """Parameter values follow the statement rules for their type."""
    s.expect_status(s.get("statements", {"verb": "not an iri"}), 400, why="verb")
    s.expect_status(s.get("statements", {"activity": "relative/iri"}), 400, why="activity")
    s.expect_status(s.get("statements", {"until": "noon"}), 400, why="until")
    s.expect_status(s.get("statements", {"voidedStatementId": "x"}), 400, why="voided id")


@check("ERR-008", area=AREA)
def missing_required_parameters(s: Session) -> None:
    """Required parameters missing gives 400."""
    s.expect_status(s.get("activities/state", {"agent": agent_param(agent())}), 400)
    s.expect_status(s.get("activities", {}), 400)
    s.expect_status(s.get("agents", {}), 400)


@check("ERR-011", "LIM-001", "LIM-002", area=AREA)
def large_document_accepted_or_413(s: Session) -> None:
    """A 2 MB document is stored, or refused with 413 if a size limit applies."""
    params = {"activityId": activity_id(), "profileId": "big"}
    body = b"\x00\x01" * (1024 * 1024)
    s.remember("activities/profile", params)
    response = s.request(
        "PUT",
        "activities/profile",
        params=params,
        content=body,
        headers={"Content-Type": "application/octet-stream", "If-None-Match": "*"},
    )
    s.expect_status(response, 204, 413)
    if response.status_code == 204:
        got = s.get("activities/profile", params)
        s.expect(got.content == body, "large document not returned intact")
        s.request("DELETE", "activities/profile", params=params)


@check("ERR-012", "LIM-004", area=AREA)
def burst_is_not_throttled(s: Session) -> None:
    """A short burst of reads is served (any throttling must use 429)."""
    codes = [s.get("statements", {"limit": "1"}).status_code for _ in range(25)]
    s.expect(all(c in (200, 429) for c in codes), f"statuses {codes}")
    s.expect(429 not in codes, "25 reads were throttled")
