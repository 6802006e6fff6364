"""Roster use cases: who works at which door in which role, and when.

An upsert and the re-tagging it causes are one transaction: the roster rows, the overlap
check and one idempotent SQL statement that re-derives the roster-sourced tags of the
actors named (explicit and statement-sourced tags are left alone).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.errors import BadRequest
from lrs.ext.rules.csvio import BulkBody
from lrs.ext.rules.model import Assignment, check_range, parse_assignment, resolve_bound
from lrs.ext.services.known import Ref, check_known
from lrs.ext.storage import roster as repo
from lrs.services import audit
from lrs.storage.database import read_only, transaction
from lrs.xapi.ifi import ifi_from_key
from lrs.xapi.versions import XapiVersion


@dataclass(frozen=True)
class RosterResult:
    assignments: int
    retagged: int


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def roster_json(row: repo.RosterRow) -> dict[str, Any]:
    return {
        "agent": ifi_from_key(row.actor_key),
        "door": row.door,
        "role": row.role,
        "valid_from": _iso(row.valid_from),
        "valid_to": _iso(row.valid_to),
    }


def _resolve(bulk: BulkBody, items: list[Assignment], tzs: dict[str, str]) -> list[repo.RosterRow]:
    rows: list[repo.RosterRow] = []
    for index, item in enumerate(items):
        tz = tzs[item.door]
        try:
            start = resolve_bound(item.valid_from, tz, f"{item.path}.valid_from")
            end = None if item.valid_to is None else resolve_bound(item.valid_to, tz, item.path)
            check_range(start, end, item.path)
        except BadRequest as error:
            raise bulk.refuse(index, error.message, error.path or item.path) from None
        rows.append(repo.RosterRow(item.actor_key, item.door, item.role, start, end))
    return rows


def _overlap_error(
    bulk: BulkBody, rows: list[repo.RosterRow], overlap: tuple[str, datetime, datetime]
) -> BadRequest:
    actor, first, second = overlap
    index = next(
        (i for i, r in enumerate(rows) if r.actor_key == actor and r.valid_from in (first, second)),
        0,
    )
    return bulk.refuse(
        index,
        f"the assignments of {actor} from {_iso(first)} and from {_iso(second)} overlap; "
        "close the earlier one with valid_to first",
        f"$[{index}].valid_from",
    )


async def upsert_roster(
    engine: AsyncEngine, bulk: BulkBody, version: XapiVersion, *, actor: str
) -> RosterResult:
    """Upsert assignments (keyed by actor and valid_from) and re-tag the actors' statements."""
    # Per-row parsing and date resolution grow with the body: done in a worker thread.
    items = await asyncio.to_thread(
        bulk.parse_each, lambda item, path: parse_assignment(item, path, version)
    )
    if not items:
        return RosterResult(0, 0)
    async with transaction(engine) as conn:
        await repo.lock(conn)
        refs = [Ref(i, a.door, a.role, a.path) for i, a in enumerate(items)]
        tzs = await check_known(conn, refs, bulk)
        rows = await asyncio.to_thread(_resolve, bulk, items, tzs)
        bulk.check_unique([(r.actor_key, r.valid_from) for r in rows], "assignment", ".valid_from")
        await repo.upsert(conn, rows)
        overlap = await repo.first_overlap(conn, [r.actor_key for r in rows])
        if overlap is not None:
            raise _overlap_error(bulk, rows, overlap)
        retagged = await repo.retag(conn, [r.actor_key for r in rows])
        await audit.record(
            conn,
            actor=actor,
            action=audit.ROSTER,
            details={"assignments": len(rows), "retagged": retagged},
        )
    return RosterResult(len(rows), retagged)


async def roster_of(engine: AsyncEngine, actor_key: str) -> list[repo.RosterRow]:
    async with read_only(engine) as conn:
        return await repo.of_actor(conn, actor_key)
