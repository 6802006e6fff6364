"""Serving 1.0.3 and 2.0 side by side (VER-*), run when the LRS lists both in About."""

from __future__ import annotations

from ..http import Session
from ..registry import check
from ..xapi import agent, fetch, post, statement, store

AREA = "versions"


def _dual(s: Session) -> None:
    versions = s.json(s.get("about")).get("version", [])
    if not (
        any(v.startswith("1.0.") for v in versions) and any(v.startswith("2.0.") for v in versions)
    ):
        s.skip(f"LRS serves only {versions}")


def _with_context_agent() -> dict[str, object]:
    ctx = {"contextAgents": [{"objectType": "contextAgent", "agent": agent()}]}
    return statement(context=ctx)


@check("VER-001", "ST-VAL-113", area=AREA)
def rules_follow_request_version(s: Session) -> None:
    """contextAgents is accepted under 2.0.0 and refused under 1.0.3 by the same LRS."""
    _dual(s)
    s.expect_status(post(s, _with_context_agent(), version="2.0.0"), 200, why="under 2.0.0")
    s.expect_status(post(s, _with_context_agent(), version="1.0.3"), 400, why="under 1.0.3")


@check("VER-002", area=AREA)
def no_down_conversion(s: Session) -> None:
    """A 2.0 statement read by a 1.0.3 client keeps its 2.0 properties (or is not served)."""
    _dual(s)
    response = post(s, _with_context_agent(), version="2.0.0")
    s.expect_status(response, 200)
    sid = s.json(response)[0]
    got = s.get("statements", {"statementId": sid}, version="1.0.3")
    if got.status_code == 200:
        s.expect("contextAgents" in s.json(got).get("context", {}), "contextAgents stripped")


@check("VER-004", "HDR-002", area=AREA)
def header_follows_request_version(s: Session) -> None:
    """Each request is answered in its own version, and statements carry major.minor.0."""
    _dual(s)
    for sent, want in (("1.0.3", "1.0.0"), ("2.0.0", "2.0.0")):
        response = s.get("statements", {"limit": "1"}, version=sent)
        header = response.headers.get("X-Experience-API-Version", "")
        s.expect(header[:4] == sent[:4], f"request {sent} answered as {header}")
        sid = store(s, statement()) if sent == s.version else None
        if sid:
            s.expect(fetch(s, sid[0]).get("version") == want, f"version not {want}")
