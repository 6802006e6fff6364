"""Factories for valid xAPI objects, shared by every test suite.

Each returns a fresh dict that passes validation under both 1.0.3 and 2.0.0. Keyword overrides
replace properties; pass ``DROP`` to remove one (``make_statement(verb=DROP)``).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Final

__all__ = [
    "DROP",
    "make_activity",
    "make_agent",
    "make_attachment",
    "make_group",
    "make_statement",
    "make_statement_ref",
    "make_substatement",
    "make_voiding",
]


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP: Final = _Drop()

VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VERB_VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def _apply(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    for key, value in overrides.items():
        if value is DROP:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def make_agent(
    ifi: str = "mbox", who: str = "alice", *, name: str | None = None, **overrides: Any
) -> dict[str, Any]:
    """An Agent identified by ``ifi`` (mbox, mbox_sha1sum, openid or account) for ``who``."""
    agent: dict[str, Any] = {"objectType": "Agent"}
    if name is not None:
        agent["name"] = name
    if ifi == "mbox":
        agent["mbox"] = f"mailto:{who}@example.com"
    elif ifi == "mbox_sha1sum":
        agent["mbox_sha1sum"] = hashlib.sha1(f"mailto:{who}@example.com".encode()).hexdigest()
    elif ifi == "openid":
        agent["openid"] = f"https://openid.example.com/{who}"
    elif ifi == "account":
        agent["account"] = {"homePage": "https://accounts.example.com", "name": who}
    else:
        raise ValueError(f"unknown IFI {ifi!r}")
    return _apply(agent, overrides)


def make_group(
    *members: dict[str, Any], ifi: str | None = None, who: str = "team", **overrides: Any
) -> dict[str, Any]:
    """A Group of ``members`` (two Agents by default); identified when ``ifi`` is given."""
    group: dict[str, Any] = {"objectType": "Group"}
    if ifi is not None:
        identified = make_agent(ifi, who)
        del identified["objectType"]
        group.update(identified)
    group["member"] = list(members) if members else [make_agent(who="bob"), make_agent(who="carol")]
    return _apply(group, overrides)


def make_activity(
    activity_id: str = "http://example.com/activities/lesson-1",
    *,
    definition: dict[str, Any] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """An Activity with a small definition unless ``definition`` is given."""
    activity: dict[str, Any] = {
        "objectType": "Activity",
        "id": activity_id,
        "definition": definition
        if definition is not None
        else {
            "name": {"en-US": "Lesson 1"},
            "description": {"en-US": "The first lesson"},
            "type": "http://adlnet.gov/expapi/activities/lesson",
        },
    }
    return _apply(activity, overrides)


def make_statement_ref(statement_id: str | None = None) -> dict[str, Any]:
    return {"objectType": "StatementRef", "id": statement_id or str(uuid.uuid4())}


def make_attachment(payload: bytes = b"hello", **overrides: Any) -> dict[str, Any]:
    """An Attachment object whose ``sha2`` and ``length`` describe ``payload``."""
    attachment: dict[str, Any] = {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain",
        "length": len(payload),
        "sha2": hashlib.sha256(payload).hexdigest(),
    }
    return _apply(attachment, overrides)


def make_substatement(**overrides: Any) -> dict[str, Any]:
    sub: dict[str, Any] = {
        "objectType": "SubStatement",
        "actor": make_agent(who="dave"),
        "verb": {"id": "http://example.com/verbs/planned", "display": {"en-US": "planned"}},
        "object": make_activity("http://example.com/activities/meeting"),
    }
    return _apply(sub, overrides)


def make_statement(**overrides: Any) -> dict[str, Any]:
    """A minimal valid statement with a fresh id; override any property."""
    stmt: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": make_agent(name="Alice"),
        "verb": {"id": VERB_COMPLETED, "display": {"en-US": "completed"}},
        "object": make_activity(),
        "timestamp": "2024-05-01T12:30:00.000Z",
    }
    return _apply(stmt, overrides)


def make_voiding(target_id: str, **overrides: Any) -> dict[str, Any]:
    """A statement voiding ``target_id``; overrides win over the voiding verb and object."""
    voiding: dict[str, Any] = {
        "verb": {"id": VERB_VOIDED, "display": {"en-US": "voided"}},
        "object": make_statement_ref(target_id),
    }
    return make_statement(**{**voiding, **overrides})
