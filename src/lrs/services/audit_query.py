"""Reading the audit trail: GET /xAPI/extensions/audit and `lrs audit`, paged like the other
extension queries (the one `more` codec of `lrs.xapi.paging`, keyset on (at, id))."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.storage import audit as repo
from lrs.storage.database import read_only
from lrs.xapi.paging import Position, TokenCodec, foreign_token, more_link, more_token
from lrs.xapi.validate import parse_limit_param, parse_timestamp_param, query_values

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


def parse_audit_query(
    items: Sequence[tuple[str, str]], codec: TokenCodec | None = None
) -> AuditQuery:
    """since, until (timestamps), action, limit (0 or absent: the maximum) or `more` (read
    with `codec`; without one, a token is refused)."""
    token = more_token(items)
    if token is not None:
        if codec is None:
            raise foreign_token()
        params, position = codec.decode(PATH, token)
        query = parse_audit_query(params)
        return AuditQuery(**{**query.__dict__, "after": (position.stored, position.seq)})
    values = query_values(items, PARAMS)
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


async def read_entries(engine: AsyncEngine, query: AuditQuery) -> tuple[list[repo.AuditRow], bool]:
    """One page, oldest first, and whether more entries follow."""
    async with read_only(engine) as conn:
        rows = await repo.page(
            conn,
            since=query.since,
            until=query.until,
            action=query.action,
            after=query.after,
            limit=query.limit + 1,
        )
    return rows[: query.limit], len(rows) > query.limit


async def read_page(engine: AsyncEngine, query: AuditQuery, codec: TokenCodec) -> bytes:
    """The page as ``{"entries": [...], "more": link}`` ("" at the end)."""
    rows, has_more = await read_entries(engine, query)
    link = ""
    if has_more and rows:
        after = Position(rows[-1].at, rows[-1].id)
        link = more_link(PATH, codec.encode(PATH, sorted(query.values.items()), after))
    return orjson.dumps({"entries": [entry_json(r) for r in rows], "more": link})
