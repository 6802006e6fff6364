"""SQL of the audit trail: append a row, read a keyset page. Never UPDATE or DELETE (a
trigger of migration 0003 refuses both)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import BigInteger, DateTime, Integer, Text, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    subject: str | None
    details: dict[str, Any]


_INSERT = text(
    "INSERT INTO audit_log (actor, action, subject, details) "
    "VALUES (:actor, :action, :subject, CAST(:details AS jsonb))"
)


async def insert(
    conn: AsyncConnection, *, actor: str, action: str, subject: str | None, details: dict[str, Any]
) -> None:
    await conn.execute(
        _INSERT,
        {
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": orjson.dumps(details).decode(),
        },
    )


# Oldest first, after a keyset position (at, id); every bound optional.
_PAGE = text(
    """
    SELECT id, at, actor, action, subject, details::text AS details FROM audit_log
    WHERE (CAST(:since AS timestamptz) IS NULL OR at >= :since)
      AND (CAST(:until AS timestamptz) IS NULL OR at < :until)
      AND (CAST(:action AS text) IS NULL OR action = :action)
      AND (CAST(:after_at AS timestamptz) IS NULL OR (at, id) > (:after_at, :after_id))
    ORDER BY at, id
    LIMIT :limit
    """
).bindparams(
    bindparam("since", type_=DateTime(timezone=True)),
    bindparam("until", type_=DateTime(timezone=True)),
    bindparam("action", type_=Text),
    bindparam("after_at", type_=DateTime(timezone=True)),
    bindparam("after_id", type_=BigInteger),
    bindparam("limit", type_=Integer),
)


async def page(
    conn: AsyncConnection,
    *,
    since: datetime | None,
    until: datetime | None,
    action: str | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[AuditRow]:
    """Up to `limit` rows in (at, id) order."""
    rows = await conn.execute(
        _PAGE,
        {
            "since": since,
            "until": until,
            "action": action,
            "after_at": after[0] if after else None,
            "after_id": after[1] if after else None,
            "limit": limit,
        },
    )
    return [
        AuditRow(r.id, r.at, r.actor, r.action, r.subject, orjson.loads(r.details)) for r in rows
    ]


_LAST = text("SELECT max(at) FROM audit_log WHERE action = :action AND actor = :actor")


async def last_at(conn: AsyncConnection, *, action: str, actor: str) -> datetime | None:
    """When `actor` last recorded `action` (None: never)."""
    value: datetime | None = (
        await conn.execute(_LAST, {"action": action, "actor": actor})
    ).scalar_one()
    return value
