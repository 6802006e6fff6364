"""The bodies of the erasure and purge requests, checked (pure: no I/O).

Erasure: ``{"agent": <Agent or identified Group>}`` or ``{"actor_key": <64-hex pseudonym>}``
(exactly one), optional ``"dry_run": bool``. Purge: ``{"before": <timestamp>}``, optional
``"dry_run"``. Anything else is a 400 naming the member.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from lrs.errors import BadRequest
from lrs.xapi.ifi import ifi_key
from lrs.xapi.validate import parse_agent_param, parse_timestamp_param
from lrs.xapi.versions import XapiVersion

_PSEUDONYM = re.compile(r"[0-9a-f]{64}", re.ASCII)


@dataclass(frozen=True)
class ErasureRequest:
    """Exactly one of `agent_key` (an IFI key) and `pseudonym` is set."""

    agent_key: str | None
    pseudonym: str | None
    dry_run: bool


@dataclass(frozen=True)
class PurgeRequest:
    before: datetime
    dry_run: bool


def _object(body: object, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", path="$")
    for name in body:
        if name not in allowed:
            raise BadRequest(f"unknown member {name!r}", path=f"$.{name}")
    return body


def _dry_run(body: dict[str, Any]) -> bool:
    value = body.get("dry_run", False)
    if not isinstance(value, bool):
        raise BadRequest("dry_run must be true or false", path="$.dry_run")
    return value


def check_pseudonym(value: object) -> str:
    """An `actor_key` as BI outputs show it: 64 lowercase hex digits."""
    if not isinstance(value, str) or not _PSEUDONYM.fullmatch(value):
        raise BadRequest("actor_key must be 64 lowercase hex digits", path="$.actor_key")
    return value


def parse_erasure(body: object, version: XapiVersion) -> ErasureRequest:
    obj = _object(body, {"agent", "actor_key", "dry_run"})
    if ("agent" in obj) == ("actor_key" in obj):
        raise BadRequest("give exactly one of 'agent' and 'actor_key'", path="$")
    dry_run = _dry_run(obj)
    if "actor_key" in obj:
        return ErasureRequest(None, check_pseudonym(obj["actor_key"]), dry_run)
    agent = parse_agent_param(orjson.dumps(obj["agent"]).decode(), version)
    return ErasureRequest(ifi_key(agent), None, dry_run)


def parse_purge(body: object) -> PurgeRequest:
    obj = _object(body, {"before", "dry_run"})
    raw = obj.get("before")
    if not isinstance(raw, str):
        raise BadRequest("before must be a timestamp", path="$.before")
    return PurgeRequest(parse_timestamp_param(raw, name="before"), _dry_run(obj))
