"""Reading the audit trail: GET /xAPI/extensions/audit and `lrs audit`, paged like the other
extension queries (the same `more` codec, keyset on (at, id))."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.errors import BadRequest
from lrs.ext.filters import single_values
from lrs.ext.queries import decode_more_token, encode_more_link
from lrs.storage import audit as repo
from lrs.storage.database import read_only
from lrs.xapi.validate import parse_limit_param, parse_timestamp_param

PATH = "/xAPI/extensions/audit"
PARAMS = ("since", "until", "action", "limit")
MAX_LIMIT = 500


@dataclass(frozen=True)
class AuditQuery:
    values: dict[str, str]
    since: datetime | None
    until: datetime | None
    action: str | None
    limit: int
    after: tuple[datetime, int] | None = None


def parse_audit_query(items: Sequence[tuple[str, str]]) -> AuditQuery:
    """since, until (timestamps), action, limit (0 or absent: the maximum) or `more`."""
    values = single_values(items, (*PARAMS, "more"))
    if "more" in values:
        if len(values) != 1:
            raise BadRequest("'more' cannot be combined with other parameters", path="param:more")
        values, after = decode_more_token(values["more"])
        query = parse_audit_query(list(values.items()))
        return AuditQuery(**{**query.__dict__, "after": after})
    since, until = (
        parse_timestamp_param(values[name], name=name) if name in values else None
        for name in ("since", "until")
    )
    limit = parse_limit_param(values.get("limit", "0"))
    limit = MAX_LIMIT if limit == 0 or limit > MAX_LIMIT else limit
    return AuditQuery(values, since, until, values.get("action"), limit)


def entry_json(row: repo.AuditRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at.isoformat(),
        "actor": row.actor,
        "action": row.action,
        "subject": row.subject,
        "details": row.details,
    }


async def read_entries(engine: AsyncEngine, query: AuditQuery) -> tuple[list[repo.AuditRow], str]:
    """One page, oldest first, and the `more` link ("" at the end)."""
    async with read_only(engine) as conn:
        rows = await repo.page(
            conn,
            since=query.since,
            until=query.until,
            action=query.action,
            after=query.after,
            limit=query.limit + 1,
        )
    more = ""
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        more = encode_more_link(PATH, query.values, (rows[-1].at, rows[-1].id))
    return rows, more


async def read_page(engine: AsyncEngine, query: AuditQuery) -> bytes:
    rows, more = await read_entries(engine, query)
    return orjson.dumps({"entries": [entry_json(r) for r in rows], "more": more})
