"""Cross-origin preflight (CORS-*; derived guidance, so SHOULD level)."""

from __future__ import annotations

from ..http import Session
from ..registry import check
from ..xapi import statement, store

AREA = "cors"
ORIGIN = "http://conformance.example.com"


def _preflight(s: Session, path: str) -> dict[str, str]:
    response = s.request(
        "OPTIONS",
        path,
        auth=None,
        version=None,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,content-type,x-experience-api-version",
        },
    )
    s.expect(response.status_code in (200, 204), f"preflight {path}: {response.status_code}")
    return {k.lower(): v.lower() for k, v in response.headers.items()}


@check("CORS-001", area=AREA)
def preflight_without_credentials(s: Session) -> None:
    """Preflights succeed without credentials or version header."""
    for path in ("statements", "activities/state", "about"):
        headers = _preflight(s, path)
        s.expect("access-control-allow-origin" in headers, f"{path}: no Allow-Origin")


@check("CORS-002", area=AREA)
def preflight_allows_methods_and_headers(s: Session) -> None:
    """Preflights allow the xAPI methods and headers."""
    headers = _preflight(s, "statements")
    methods = headers.get("access-control-allow-methods", "")
    for m in ("get", "put", "post", "delete"):
        s.expect(m in methods or methods == "*", f"method {m} not allowed: {methods}")
    allowed = headers.get("access-control-allow-headers", "")
    for h in ("authorization", "content-type", "x-experience-api-version"):
        s.expect(h in allowed or allowed == "*", f"header {h} not allowed: {allowed}")


@check("CORS-003", area=AREA)
def exposes_xapi_headers(s: Session) -> None:
    """Cross-origin responses expose the xAPI headers to scripts."""
    sid = store(s, statement())[0]
    response = s.get("statements", {"statementId": sid}, headers={"Origin": ORIGIN})
    exposed = response.headers.get("Access-Control-Expose-Headers", "").lower()
    for h in ("x-experience-api-version", "x-experience-api-consistent-through", "etag"):
        s.expect(h in exposed or exposed == "*", f"{h} not exposed: {exposed!r}")
