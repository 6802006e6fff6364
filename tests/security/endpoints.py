"""Every HTTP endpoint of lrs with the access it needs and a request that exercises it.

``EXPECTED_GRANTS`` is the test's own copy of the scope rules (C 4.2, README "Scopes",
docs/bi.md), written out rather than imported so that a change to `lrs.auth.scopes.GRANTS`
or to the access a route asks for both show up; `test_access_matrix` checks that the
endpoint list names every route the app mounts.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lrs.auth.scopes import Access, Scope
from tests.factories import make_agent, make_statement

ACTIVITY = "http://example.com/security/activity"
AGENT = json.dumps(make_agent(who="security"))
EXT = "/xAPI/extensions"


S = Scope
EXPECTED_GRANTS: dict[Access, frozenset[Scope]] = {
    Access.STATEMENTS_READ: frozenset(
        {S.STATEMENTS_READ, S.STATEMENTS_READ_MINE, S.ALL_READ, S.ALL}
    ),
    Access.STATEMENTS_WRITE: frozenset({S.STATEMENTS_WRITE, S.ALL}),
    Access.STATE_READ: frozenset({S.STATE, S.ALL_READ, S.ALL}),
    Access.STATE_WRITE: frozenset({S.STATE, S.ALL}),
    Access.PROFILE_READ: frozenset({S.PROFILE, S.ALL_READ, S.ALL}),
    Access.PROFILE_WRITE: frozenset({S.PROFILE, S.ALL}),
    Access.DEFINITIONS_READ: frozenset({S.DEFINE, S.PROFILE, S.ALL_READ, S.ALL}),
    Access.EXT_READ: frozenset({S.EXT_BI_READ, S.ALL_READ, S.ALL}),
    Access.EXT_WRITE: frozenset({S.EXT_TAGS_WRITE, S.ALL}),
    Access.EXT_IDENTITIES: frozenset({S.EXT_BI_IDENTITIES, S.ALL}),
    Access.ADMIN: frozenset({S.ADMIN}),
}


@dataclass(frozen=True)
class Endpoint:
    """One method on one route; ``needs`` empty means public, several means all of them."""

    method: str
    route: str
    needs: tuple[Access, ...]
    path: str = ""
    params: Callable[[], dict[str, str]] = dict
    body: Callable[[], Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.path or self.route}{self.label}"

    def allowed_for(self, scopes: frozenset[Scope]) -> bool:
        return all(not scopes.isdisjoint(EXPECTED_GRANTS[access]) for access in self.needs)

    def request(self) -> dict[str, Any]:
        """Keyword arguments of `httpx.AsyncClient.request` (fresh ids on every call)."""
        kwargs: dict[str, Any] = {
            "method": self.method,
            "url": self.path or self.route,
            "params": self.params(),
            "headers": self.headers,
        }
        if self.body is not None:
            kwargs["json"] = self.body()
        return kwargs


def _fixed(params: dict[str, str]) -> Callable[[], dict[str, str]]:
    return lambda: dict(params)


def _new_id() -> dict[str, str]:
    return {"statementId": str(uuid.uuid4())}


def _statement_without_id() -> dict[str, Any]:
    statement = make_statement()
    del statement["id"]
    return statement


def _document(kind: str) -> Callable[[], dict[str, str]]:
    keys = {
        "state": {"activityId": ACTIVITY, "agent": AGENT},
        "activity profile": {"activityId": ACTIVITY},
        "agent profile": {"agent": AGENT},
    }[kind]
    id_name = "stateId" if kind == "state" else "profileId"
    return lambda: {**keys, id_name: f"doc-{uuid.uuid4()}"}


def _document_endpoints() -> list[Endpoint]:
    out: list[Endpoint] = []
    for kind, route, read, write in (
        ("state", "/xAPI/activities/state", Access.STATE_READ, Access.STATE_WRITE),
        ("activity profile", "/xAPI/activities/profile", Access.PROFILE_READ, Access.PROFILE_WRITE),
        ("agent profile", "/xAPI/agents/profile", Access.PROFILE_READ, Access.PROFILE_WRITE),
    ):
        params = _document(kind)
        fresh = {"If-None-Match": "*"}
        out += [
            Endpoint("GET", route, (read,), params=params),
            Endpoint("HEAD", route, (read,), params=params),
            Endpoint("PUT", route, (write,), params=params, body=lambda: {"a": 1}, headers=fresh),
            Endpoint("POST", route, (write,), params=params, body=lambda: {"a": 1}),
            Endpoint("DELETE", route, (write,), params=params),
        ]
    return out


def _ext_endpoints() -> list[Endpoint]:
    read, write = (Access.EXT_READ,), (Access.EXT_WRITE,)
    door = {"name": "Door"}
    role = {"name": "Role"}
    assignment = {
        "agent": make_agent(who="rostered"),
        "door": "d-1",
        "role": "r-1",
        "valid_from": "2024-01-01T00:00:00Z",
    }
    agent = _fixed({"agent": AGENT})
    tag_path = f"{EXT}/tags/9b1f3c52-6a0e-4c1e-9d7e-2f4b8a6c0d11"
    return [
        Endpoint("PUT", f"{EXT}/doors/{{door}}", write, f"{EXT}/doors/d-1", body=lambda: door),
        Endpoint("GET", f"{EXT}/doors/{{door}}", read, f"{EXT}/doors/d-1"),
        Endpoint("GET", f"{EXT}/doors", read),
        Endpoint("POST", f"{EXT}/doors", write, body=lambda: [{"id": "d-2", **door}]),
        Endpoint("PUT", f"{EXT}/roles/{{role}}", write, f"{EXT}/roles/r-1", body=lambda: role),
        Endpoint("GET", f"{EXT}/roles/{{role}}", read, f"{EXT}/roles/r-1"),
        Endpoint("GET", f"{EXT}/roles", read),
        Endpoint("POST", f"{EXT}/roles", write, body=lambda: [{"id": "r-2", **role}]),
        Endpoint("POST", f"{EXT}/roster", write, body=lambda: [assignment]),
        Endpoint("GET", f"{EXT}/roster", read, params=agent),
        Endpoint("PUT", f"{EXT}/tags/{{statementId}}", write, tag_path, body=lambda: {}),
        Endpoint("GET", f"{EXT}/tags/{{statementId}}", read, tag_path),
        Endpoint("POST", f"{EXT}/tags", write, body=list),
        # Whole statements with their actors: a statements read scope too (docs/bi.md).
        Endpoint("GET", f"{EXT}/statements", (Access.EXT_READ, Access.STATEMENTS_READ)),
        Endpoint("GET", f"{EXT}/export", read),
        Endpoint(
            "GET",
            f"{EXT}/export",
            (Access.EXT_READ, Access.EXT_IDENTITIES),
            params=_fixed({"identities": "true"}),
            label="?identities=true",
        ),
        Endpoint("GET", f"{EXT}/summary", read),
        Endpoint(
            "GET",
            f"{EXT}/export",
            read,
            params=_fixed({"dataset": "door_week", "format": "parquet"}),
            label="?dataset=door_week",
        ),
        Endpoint(
            "GET",
            f"{EXT}/export",
            read,
            params=_fixed({"dataset": "assignments"}),
            label="?dataset=assignments",
        ),
        Endpoint("POST", f"{EXT}/kpis", write, body=list),
        Endpoint("GET", f"{EXT}/kpis", read),
        Endpoint(
            "GET",
            f"{EXT}/compare",
            read,
            params=_fixed({"baseline": "2024-03-04/2024-03-17", "period": "2024-03-18/2024-03-31"}),
        ),
        *_service_proof_endpoints(),
    ]


def _admin_endpoints() -> list[Endpoint]:
    admin = (Access.ADMIN,)
    # Dry runs: the matrix must not erase or purge what other tests stored.
    erasure = {"agent": make_agent(who="security"), "dry_run": True}
    purge = {"before": "2000-01-01T00:00:00Z", "dry_run": True}
    return [
        Endpoint("POST", f"{EXT}/erasure", admin, body=lambda: erasure),
        Endpoint("POST", f"{EXT}/purge", admin, body=lambda: purge),
        Endpoint("GET", f"{EXT}/audit", admin),
    ]


def _service_proof_endpoints() -> list[Endpoint]:
    read, write = (Access.EXT_READ,), (Access.EXT_WRITE,)
    base = f"{EXT}/service-proof"
    rule = {
        "name": "Contact",
        "trigger": {"verb": "https://w3id.org/xapi/retail/verbs/opened"},
        "obligations": [
            {
                "id": "contact",
                "verb": "https://w3id.org/xapi/retail/verbs/contacted",
                "within": {"hours": 4},
            }
        ],
    }
    one = f"{base}/rules/sp-1"
    return [
        Endpoint("PUT", f"{base}/rules/{{rule}}", write, one, body=lambda: rule),
        Endpoint("GET", f"{base}/rules/{{rule}}", read, one),
        Endpoint("DELETE", f"{base}/rules/{{rule}}", write, f"{base}/rules/sp-gone"),
        Endpoint("GET", f"{base}/rules", read),
        Endpoint("GET", f"{base}/cases", read),
        Endpoint("GET", f"{base}/report", read, params=_fixed({"week": "2026-W10"})),
    ]


def _forwarding_endpoints() -> list[Endpoint]:
    """Forwarding (scope admin only). The requests are refused after the scope check (an
    empty body, an unknown target), so the matrix leaves no target behind."""
    admin = (Access.ADMIN,)
    targets = f"{EXT}/forwarding/targets"
    one = f"{targets}/3f0c5f8e-8f0e-4a53-9d0c-3b8f2d6c1a00"
    return [
        Endpoint("POST", targets, admin, body=dict),
        Endpoint("GET", targets, admin),
        Endpoint("GET", f"{targets}/{{target_id}}", admin, one),
        Endpoint("PUT", f"{targets}/{{target_id}}", admin, one, body=dict),
        Endpoint("DELETE", f"{targets}/{{target_id}}", admin, one),
        Endpoint("GET", f"{targets}/{{target_id}}/dead-letters", admin, f"{one}/dead-letters"),
        Endpoint("POST", f"{targets}/{{target_id}}/replay", admin, f"{one}/replay", body=dict),
    ]


def _definition_endpoints() -> list[Endpoint]:
    agents = {"agent": AGENT}
    activities = {"activityId": ACTIVITY}
    needs = (Access.DEFINITIONS_READ,)
    return [
        Endpoint(method, route, needs, params=_fixed(params))
        for route, params in (("/xAPI/agents", agents), ("/xAPI/activities", activities))
        for method in ("GET", "HEAD")
    ]


def _statement_endpoints() -> list[Endpoint]:
    route = "/xAPI/statements"
    return [
        Endpoint(
            "PUT", route, (Access.STATEMENTS_WRITE,), params=_new_id, body=_statement_without_id
        ),
        Endpoint("POST", route, (Access.STATEMENTS_WRITE,), body=make_statement),
        Endpoint("GET", route, (Access.STATEMENTS_READ,)),
        Endpoint("HEAD", route, (Access.STATEMENTS_READ,)),
    ]


PUBLIC = [
    Endpoint("GET", "/xAPI/about", ()),
    Endpoint("HEAD", "/xAPI/about", ()),
    Endpoint("GET", "/health", ()),
    Endpoint("GET", "/ready", ()),
    Endpoint("GET", "/metrics", ()),
]

ENDPOINTS: list[Endpoint] = [
    *_statement_endpoints(),
    *_document_endpoints(),
    *_definition_endpoints(),
    *_ext_endpoints(),
    *_admin_endpoints(),
    *_forwarding_endpoints(),
    *PUBLIC,
]
