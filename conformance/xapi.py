"""Run-unique test data and statement helpers shared by the checks."""

from __future__ import annotations

import copy
import itertools
import json
import uuid
from datetime import datetime
from typing import Any

import httpx

from .http import Session
from .registry import CheckFailed

RUN = uuid.uuid4().hex[:10]
_counter = itertools.count()

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
EXAMPLE = "http://example.com/xapi-conformance"
Json = dict[str, Any]


def uid() -> str:
    """A fresh uuid4 string."""
    return str(uuid.uuid4())


def mbox() -> str:
    """A mailbox unique to this run and call."""
    return f"mailto:conformance-{RUN}-{next(_counter)}@example.com"


def agent(**extra: Any) -> Json:
    """A fresh Agent identified by a run-unique mbox."""
    return {"objectType": "Agent", "mbox": mbox(), **extra}


def activity_id() -> str:
    """A fresh activity IRI."""
    return f"{EXAMPLE}/activity/{uuid.uuid4()}"


def activity(**definition: Any) -> Json:
    """A fresh Activity, with a definition when keyword arguments are given."""
    act: Json = {"objectType": "Activity", "id": activity_id()}
    if definition:
        act["definition"] = definition
    return act


def verb(name: str = "experienced") -> Json:
    """An ADL verb with a display."""
    return {"id": f"http://adlnet.gov/expapi/verbs/{name}", "display": {"en-US": name}}


def statement(**overrides: Any) -> Json:
    """A minimal valid statement with fresh actor and object; keyword arguments replace keys."""
    base: Json = {"actor": agent(), "verb": verb(), "object": activity()}
    base.update(overrides)
    return base


def post(s: Session, body: Any, **kw: Any) -> httpx.Response:
    """POST a statement or batch to /statements."""
    return s.request("POST", "statements", json_body=body, **kw)


def put(s: Session, body: Any, sid: str | None = None, **kw: Any) -> httpx.Response:
    """PUT a statement under ``sid`` (its own id when None)."""
    sid = sid or body.get("id") or uid()
    return s.request("PUT", "statements", params={"statementId": sid}, json_body=body, **kw)


def store(s: Session, *statements: Json) -> list[str]:
    """POST statements that must be accepted; returns their ids."""
    body: Any = statements[0] if len(statements) == 1 else list(statements)
    response = post(s, body)
    if response.status_code != 200:
        raise CheckFailed(f"setup: valid statement refused with {response.status_code}")
    ids = s.json(response)
    s.expect(isinstance(ids, list) and len(ids) == len(statements), "POST did not return ids")
    return [str(i) for i in ids]


def fetch(s: Session, sid: str, *, voided: bool = False, **params: str) -> Json:
    """GET one statement that must exist."""
    key = "voidedStatementId" if voided else "statementId"
    response = s.get("statements", {key: sid, **params})
    s.expect_status(response, 200, why=f"statement {sid} should be retrievable")
    body: Json = s.json(response)
    return body


def query(s: Session, **params: str) -> Json:
    """GET /statements with filters; must answer 200 with a StatementResult."""
    response = s.get("statements", params)
    s.expect_status(response, 200, why=f"query {params}")
    body = s.json(response)
    s.expect(
        isinstance(body, dict) and isinstance(body.get("statements"), list),
        "response is not a StatementResult",
    )
    result: Json = body
    return result


def query_ids(s: Session, **params: str) -> list[str]:
    """The ids a query returns (first page)."""
    return [str(st.get("id")) for st in query(s, **params)["statements"]]


def agent_param(a: Json) -> str:
    """JSON text for an ``agent`` query parameter."""
    return json.dumps(a)


def instant(value: str) -> datetime:
    """Parse an ISO 8601 timestamp into an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


_LRS_KEYS = ("id", "stored", "authority", "version", "timestamp")


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _normalise(v) for k, v in value.items()}
        ctx = out.get("contextActivities")
        if isinstance(ctx, dict):
            out["contextActivities"] = {
                k: v if isinstance(v, list) else [v] for k, v in ctx.items()
            }
        if isinstance(out.get("member"), list):
            out["member"] = sorted(out["member"], key=lambda m: json.dumps(m, sort_keys=True))
        return out
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def differences(sent: Json, got: Json) -> list[str]:
    """Differences between a sent statement and the one read back, ignoring LRS-set fields."""
    a = {k: v for k, v in _normalise(copy.deepcopy(sent)).items() if k not in _LRS_KEYS}
    b = {k: v for k, v in _normalise(copy.deepcopy(got)).items() if k not in _LRS_KEYS}
    problems = [f"{k}: sent {a.get(k)!r}, got {b.get(k)!r}" for k in a if a.get(k) != b.get(k)]
    problems += [f"{k}: unexpected property in stored statement" for k in b if k not in a]
    both = "timestamp" in sent and "timestamp" in got
    if both and instant(sent["timestamp"]) != instant(got["timestamp"]):
        problems.append(f"timestamp: sent {sent['timestamp']}, got {got['timestamp']}")
    if "id" in sent and got.get("id") != sent["id"]:
        problems.append(f"id: sent {sent['id']}, got {got.get('id')}")
    return problems


def stored_at(s: Session, sid: str) -> str:
    """The ``stored`` value of a statement that must exist."""
    value = fetch(s, sid).get("stored")
    s.expect(isinstance(value, str), f"statement {sid} has no stored property")
    return str(value)
