"""Pure rules of forwarding: the target body, filters, retry classification, backoff and the
webhook signature. No I/O here (no fastapi, no sqlalchemy), so all of it is unit-tested.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from lrs.errors import BadRequest

TargetType = Literal["xapi", "webhook"]
XAPI_VERSIONS = ("1.0.3", "2.0.0")
FILTER_KEYS = ("verb", "activity", "activity_type", "door", "role", "xapi_version")
SIGNATURE_HEADER = "X-LRS-Signature"
TIMESTAMP_HEADER = "X-LRS-Timestamp"
_FIELDS = {"type", "name", "url", "username", "password", "secret", "xapi_version", "filters"}
_FIELDS_PUT = _FIELDS | {"paused"}


@dataclass(frozen=True)
class TargetSpec:
    """A validated target body. `secret` is the xAPI password or the webhook secret (None:
    keep the stored one, on update)."""

    type: TargetType
    url: str
    name: str = ""
    username: str | None = None
    secret: str | None = None
    xapi_version: str | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)
    paused: bool = False


@dataclass(frozen=True)
class Facts:
    """What filters look at in one stored statement."""

    verb: str
    activity: str | None
    activity_type: str | None
    door: str | None
    role: str | None
    version: str


def _text(body: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise BadRequest(f"{name} is required", path=f"$.{name}")
        return None
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{name} must be a non-empty string", path=f"$.{name}")
    return value


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest("url must be an absolute http(s) URL", path="$.url")
    if parts.username is not None or parts.password is not None:
        # The URL is shown by GET; credentials belong in username/password (kept encrypted).
        raise BadRequest("url must not carry credentials; use username and password", path="$.url")
    return value.rstrip("/")


def parse_filters(raw: object) -> dict[str, list[str]]:
    """`{"verb": IRI | [IRI, ...], ...}`: every key given must match (values of one key: any)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise BadRequest("filters must be an object", path="$.filters")
    out: dict[str, list[str]] = {}
    for key, value in raw.items():
        path = f"$.filters.{key}"
        if key not in FILTER_KEYS:
            raise BadRequest(f"unknown filter {key!r}; known: {', '.join(FILTER_KEYS)}", path=path)
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values:
            raise BadRequest(f"filter {key} must be a string or a non-empty list", path=path)
        if not all(isinstance(v, str) and v for v in values):
            raise BadRequest(f"filter {key} must hold non-empty strings", path=path)
        if key == "xapi_version" and not set(values) <= set(XAPI_VERSIONS):
            raise BadRequest(f"xapi_version filter must be one of {XAPI_VERSIONS}", path=path)
        out[key] = list(values)
    return out


def parse_target(body: object, *, current: TargetSpec | None = None) -> TargetSpec:
    """Validate a create body, or (with `current`) an update: fields left out are kept."""
    if not isinstance(body, Mapping):
        raise BadRequest("the body must be a JSON object", path="$")
    unknown = set(body) - (_FIELDS_PUT if current else _FIELDS)
    if unknown:
        raise BadRequest(f"unknown field {sorted(unknown)[0]!r}", path=f"$.{sorted(unknown)[0]}")
    merged: dict[str, Any] = {}
    if current is not None:
        merged = {
            "type": current.type,
            "name": current.name,
            "url": current.url,
            "username": current.username,
            "xapi_version": current.xapi_version,
            "filters": current.filters,
            "paused": current.paused,
        }
    merged.update(body)
    kind = _text(merged, "type", required=True)
    if kind not in ("xapi", "webhook"):
        raise BadRequest("type must be 'xapi' or 'webhook'", path="$.type")
    if current is not None and kind != current.type:
        raise BadRequest("the type of a target cannot change", path="$.type")
    paused = merged.get("paused", False)
    if not isinstance(paused, bool):
        raise BadRequest("paused must be true or false", path="$.paused")
    name = merged.get("name") or ""
    if not isinstance(name, str):
        raise BadRequest("name must be a string", path="$.name")
    url = _url(_text(merged, "url", required=True) or "")
    filters = parse_filters(merged.get("filters"))
    if kind == "webhook":
        secret = _text(merged, "secret", required=current is None)
        return TargetSpec("webhook", url, name, None, secret, None, filters, paused)
    username = _text(merged, "username", required=True)
    password = _text(merged, "password", required=current is None)
    version = merged.get("xapi_version") or "1.0.3"
    if version not in XAPI_VERSIONS:
        raise BadRequest(f"xapi_version must be one of {XAPI_VERSIONS}", path="$.xapi_version")
    return TargetSpec("xapi", url, name, username, password, version, filters, paused)


def version_family(statement_version: str) -> str:
    """The xAPI version a stored statement was written under ("1.0.x" -> "1.0.3")."""
    return "2.0.0" if statement_version.startswith("2.") else "1.0.3"


def matches(filters: Mapping[str, list[str]], facts: Facts) -> bool:
    """True when the statement passes every filter the target has."""
    values: dict[str, str | None] = {
        "verb": facts.verb,
        "activity": facts.activity,
        "activity_type": facts.activity_type,
        "door": facts.door,
        "role": facts.role,
        "xapi_version": version_family(facts.version),
    }
    return all(values[key] in wanted for key, wanted in filters.items())


Verdict = Literal["delivered", "retry", "permanent"]


def classify(status: int) -> Verdict:
    """2xx delivered; 408, 409 (see the callers), 429 and 5xx retried; other 4xx permanent."""
    if 200 <= status < 300:
        return "delivered"
    if status in (408, 409, 429) or status >= 500:
        return "retry"
    return "permanent"


def retry_after(value: str | None, now: datetime, cap: float) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return min(max((moment - now).total_seconds(), 0.0), cap)


def backoff(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Full-jitter exponential backoff: uniform in [0.5, 1] x min(cap, base x 2^(attempt-1))."""
    ceiling = min(cap, base * 2.0 ** max(attempt - 1, 0))
    jitter: float = (rng or random).random()
    return ceiling * (0.5 + 0.5 * jitter)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The webhook signature header value: "sha256=" + hex HMAC-SHA256 of
    `<timestamp>.<body>` with the target's secret (the receiver recomputes and compares)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()
