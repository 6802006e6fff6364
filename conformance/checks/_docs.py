"""Shared helpers for the three document resources."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from ..http import Session
from ..xapi import activity_id, agent, agent_param


@dataclass(frozen=True)
class Kind:
    """One document resource: its path, document-id parameter and scope parameters."""

    area: str
    path: str
    id_param: str
    uses_activity: bool
    uses_agent: bool
    scope_ids: tuple[str, ...]

    def scope(self) -> dict[str, str]:
        """Fresh, run-unique scope parameters."""
        params: dict[str, str] = {}
        if self.uses_activity:
            params["activityId"] = activity_id()
        if self.uses_agent:
            params["agent"] = agent_param(agent())
        return params

    @property
    def is_state(self) -> bool:
        """State documents are exempt from mandatory precondition headers."""
        return self.path == "activities/state"


STATE = Kind("documents-state", "activities/state", "stateId", True, True, ("DOC-ST-001",))
ACTIVITY_PROFILE = Kind(
    "documents-activity-profile", "activities/profile", "profileId", True, False, ("DOC-ACP-001",)
)
AGENT_PROFILE = Kind(
    "documents-agent-profile", "agents/profile", "profileId", False, True, ("DOC-AGP-001",)
)
KINDS = (STATE, ACTIVITY_PROFILE, AGENT_PROFILE)


def doc_params(kind: Kind, scope: dict[str, str], doc_id: str) -> dict[str, str]:
    """Scope plus the document id."""
    return {**scope, kind.id_param: doc_id}


def put_doc(
    s: Session,
    kind: Kind,
    params: dict[str, str],
    body: Any,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """PUT a document (JSON-encoded unless ``body`` is bytes)."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    hdrs = {"Content-Type": content_type, **(headers or {})}
    s.remember(kind.path, params)
    return s.request("PUT", kind.path, params=params, content=content, headers=hdrs)


def post_doc(
    s: Session,
    kind: Kind,
    params: dict[str, str],
    body: Any,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a document (JSON-encoded unless ``body`` is bytes)."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    hdrs = {"Content-Type": content_type, **(headers or {})}
    s.remember(kind.path, params)
    return s.request("POST", kind.path, params=params, content=content, headers=hdrs)


def create(s: Session, kind: Kind, params: dict[str, str], body: Any) -> None:
    """Create a document that must not exist yet (If-None-Match: *, which every version and
    resource accepts: a 1.0.x profile PUT needs a precondition header, REF-007)."""
    response = put_doc(s, kind, params, body, headers={"If-None-Match": "*"})
    s.expect_status(response, 204, why="creating a new document")


def cleanup(s: Session, kind: Kind, params: dict[str, str]) -> None:
    """Delete a document the check wrote (best effort)."""
    s.request("DELETE", kind.path, params=params)
