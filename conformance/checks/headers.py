"""Version header handling, content types and HEAD (HDR-*, CT-*)."""

from __future__ import annotations

import httpx

from ..http import Session
from ..registry import check
from ..xapi import agent, post, statement, store

AREA = "headers"
VERSION_HEADER = "X-Experience-API-Version"


def _family(s: Session) -> str:
    return "2.0." if s.is_v2 else "1.0."


@check("HDR-001", area=AREA)
def version_header_on_every_response(s: Session) -> None:
    """Success and error responses alike carry X-Experience-API-Version."""
    responses = [
        s.get("about"),
        s.get("statements", {"limit": "1"}),
        s.get("statements", {"statementId": "not-a-uuid"}),
        s.get("statements", {"limit": "1"}, auth=("wrong", "credentials")),
        post(s, {"bad": "statement"}),
    ]
    for r in responses:
        s.expect(r.headers.get(VERSION_HEADER), f"{r.request.method} {r.request.url}: no header")


@check("HDR-002", area=AREA)
def version_header_value(s: Session) -> None:
    """The response header names the patch version for the request's version family."""
    value = s.get("statements", {"limit": "1"}).headers.get(VERSION_HEADER, "")
    want = "2.0." if s.is_v2 else "1.0.3"
    s.expect(value.startswith(want), f"header {value!r}, want {want}")


@check("HDR-003", "HDR-004", area=AREA)
def accepted_request_versions(s: Session) -> None:
    """Any version of the run's family is accepted, the short form included."""
    family = ["2.0", "2.0.0", "2.0.1"] if s.is_v2 else ["1.0", "1.0.0", "1.0.1", "1.0.3", "1.0.9"]
    for v in family:
        response = s.get("statements", {"limit": "1"}, version=v)
        s.expect_status(response, 200, why=f"version header {v}")


@check("HDR-005", "HDR-008", area=AREA)
def old_version_refused(s: Session) -> None:
    """A version below the family (0.95, or 1.0.3 for a 2.0-only LRS) is refused with a reason."""
    for v in ("0.95", "0.9"):
        response = s.get("statements", {"limit": "1"}, version=v)
        s.expect_status(response, 400, why=f"version header {v}")
        s.expect(response.content.strip(), "400 without an explanation")


@check("HDR-006", area=AREA)
def missing_version_refused(s: Session) -> None:
    """A request without a version header is refused."""
    response = s.get("statements", {"limit": "1"}, version=None)
    s.expect_status(response, 400)


@check("HDR-007", "HDR-008", area=AREA)
def newer_version_refused(s: Session) -> None:
    """A version of the next minor or major is refused with a reason."""
    for v in ("2.1.0", "3.0.0") if s.is_v2 else ("1.1.0", "1.1"):
        response = s.get("statements", {"limit": "1"}, version=v)
        s.expect_status(response, 400, why=f"version header {v}")
        s.expect(response.content.strip(), "400 without an explanation")


@check("HDR-010", "HDR-011", area=AREA)
def content_headers_present(s: Session) -> None:
    """Responses carry Content-Type (and statement responses a Consistent-Through header)."""
    response = s.get("statements", {"limit": "1"})
    s.expect(response.headers.get("Content-Type"), "no Content-Type")
    s.expect(
        response.headers.get("Content-Length") or response.headers.get("Transfer-Encoding"),
        "neither Content-Length nor Transfer-Encoding",
    )


@check("HDR-013", area=AREA)
def booleans_are_json_literals(s: Session) -> None:
    """Booleans come back as true/false literals."""
    sid = store(s, statement(result={"success": True, "completion": False}))[0]
    raw = s.get("statements", {"statementId": sid}).text
    s.expect('"success":true' in raw.replace(" ", ""), "success not the literal true")
    s.expect('"completion":false' in raw.replace(" ", ""), "completion not the literal false")


@check("CT-004", area=AREA)
def json_under_wrong_content_type(s: Session) -> None:
    """A JSON statement sent as text/plain is refused."""
    response = s.request(
        "POST",
        "statements",
        content=httpx.Request("POST", "http://x", json=statement()).content,
        headers={"Content-Type": "text/plain"},
    )
    s.expect_status(response, 400)


@check("CT-006", area=AREA)
def json_with_charset_accepted(s: Session) -> None:
    """application/json; charset=utf-8 is JSON."""
    body = httpx.Request("POST", "http://x", json=statement(actor=agent())).content
    response = s.request(
        "POST",
        "statements",
        content=body,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    s.expect_status(response, 200)


def _head_matches_get(s: Session, path: str, params: dict[str, str]) -> None:
    get = s.get(path, params)
    head = s.request("HEAD", path, params=params)
    s.expect(head.status_code == get.status_code, f"HEAD {path}: {head.status_code} vs GET")
    s.expect(not head.content, f"HEAD {path} returned a body")
    for name in ("Content-Type", VERSION_HEADER):
        if get.headers.get(name):
            s.expect(head.headers.get(name), f"HEAD {path} lacks {name}")


@check("CT-007", "CT-008", area=AREA)
def head_like_get(s: Session) -> None:
    """HEAD answers like GET without a body on statements, about, agents and activities."""
    who = agent()
    sid = store(s, statement(actor=who))[0]
    _head_matches_get(s, "statements", {"statementId": sid})
    _head_matches_get(s, "statements", {"limit": "1"})
    _head_matches_get(s, "about", {})
    _head_matches_get(s, "agents", {"agent": f'{{"mbox": "{who["mbox"]}"}}'})
