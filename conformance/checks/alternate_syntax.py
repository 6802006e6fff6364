"""1.0.3 alternate request syntax: POST ?method=X with a form body (ALT-*, CORS-004)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx

from ..http import Session, basic
from ..registry import check
from ..xapi import agent, agent_param, fetch, statement, uid
from ._docs import STATE, doc_params

AREA = "alternate-syntax"
V1 = {"1.0.3"}


def alt(
    s: Session,
    path: str,
    method: str,
    fields: dict[str, str],
    *,
    auth: bool = True,
    version: bool = True,
    extra_query: dict[str, str] | None = None,
) -> httpx.Response:
    """Send a browser-style request: only ``method`` in the query, everything else as form."""
    form = dict(fields)
    if auth:
        form["Authorization"] = basic(s.config.user, s.config.password)
    if version:
        form["X-Experience-API-Version"] = s.version
    return s.request(
        "POST",
        path,
        params={"method": method, **(extra_query or {})},
        content=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=None,
        version=None,
    )


@check("ALT-001", "ALT-003", "ALT-004", "ALT-005", "CORS-004", area=AREA, versions=V1)
def put_statement_via_form(s: Session) -> None:
    """method=PUT with statementId, content and headers as form fields stores the statement."""
    sid = uid()
    fields = {
        "statementId": sid,
        "content": json.dumps(statement(actor=agent(name="Zoë"))),
        "Content-Type": "application/json",
    }
    s.expect_status(alt(s, "statements", "PUT", fields), 204)
    s.expect("Zo" in fetch(s, sid)["actor"].get("name", ""), "statement not stored via form")


@check("ALT-007", "ALT-001", area=AREA, versions=V1)
def get_statements_via_form(s: Session) -> None:
    """method=GET on statements is a query, with parameters from the form."""
    sid = uid()
    fields = {
        "statementId": sid,
        "content": json.dumps(statement()),
        "Content-Type": "application/json",
    }
    s.expect_status(alt(s, "statements", "PUT", fields), 204)
    response = alt(s, "statements", "GET", {"statementId": sid})
    s.expect_status(response, 200)
    s.expect(s.json(response).get("id") == sid, "wrong statement returned")


@check("ALT-008", "ALT-004", area=AREA, versions=V1)
def form_headers_are_enforced(s: Session) -> None:
    """Auth and version rules apply to the form fields."""
    fields = {
        "statementId": uid(),
        "content": json.dumps(statement()),
        "Content-Type": "application/json",
    }
    s.expect_status(alt(s, "statements", "PUT", fields, auth=False), 401, why="no Authorization")
    s.expect_status(alt(s, "statements", "PUT", fields, version=False), 400, why="no version")
    bad = {**fields, "content": json.dumps(statement(verb={"id": "no scheme"}))}
    s.expect_status(alt(s, "statements", "PUT", bad), 400, why="invalid statement")


@check("ALT-002", area=AREA, versions=V1)
def extra_query_parameters_refused(s: Session) -> None:
    """Parameters other than method in the query string are refused."""
    fields = {"content": json.dumps(statement()), "Content-Type": "application/json"}
    response = alt(s, "statements", "PUT", fields, extra_query={"statementId": uid()})
    s.expect_status(response, 400)


@check("ALT-006", "ALT-005", area=AREA, versions=V1)
def document_merge_via_form(s: Session) -> None:
    """A document POST via form merges JSON judged by the Content-Type form field."""
    p = doc_params(STATE, STATE.scope(), "alt")
    s.remember(STATE.path, p)
    first = {**p, "content": json.dumps({"a": 1}), "Content-Type": "application/json"}
    s.expect_status(alt(s, STATE.path, "PUT", first), 204)
    second = {**p, "content": json.dumps({"b": 2}), "Content-Type": "application/json"}
    s.expect_status(alt(s, STATE.path, "POST", second), 204)
    s.expect(s.json(s.get(STATE.path, p)) == {"a": 1, "b": 2}, "form POST did not merge")
    s.expect_status(alt(s, STATE.path, "DELETE", p), 204, why="method=DELETE")
    s.expect_status(s.get(STATE.path, p), 404, why="deleted via form")


@check("ALT-001", area=AREA, versions=V1)
def agents_via_form(s: Session) -> None:
    """method=GET works on other resources too."""
    response = alt(s, "agents", "GET", {"agent": agent_param(agent())})
    s.expect_status(response, 200)
