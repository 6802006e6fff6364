"""Purge by age: every statement stored before a bound, with what only those used, in
bounded chunks (one transaction each) so ingest and queries go on during a large purge.

Each chunk takes the ingest lock exclusively for its short transaction, so an attachment
payload a concurrent batch is about to reuse cannot be deleted under it. Documents are
keyed state, not history: they are not purged by age.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.services import audit
from lrs.services.lifecycle_input import PurgeRequest
from lrs.storage import audit as audit_repo
from lrs.storage import lifecycle as repo
from lrs.storage.database import autocommit, transaction

log = logging.getLogger("lrs.purge")

CHUNK = 2000
KINDS = ("statements", "attachments", "tags", "agents")


async def _count(engine: AsyncEngine, before: datetime) -> dict[str, int]:
    async with transaction(engine) as conn:
        statements = await repo.count_before(conn, before)
        attachments = await repo.orphaned_attachments(conn, before=before)
        seqs_tags = await repo.count_tags_before(conn, before)
        agents = await repo.count_lonely_agents_before(conn, before)
    return {
        "statements": statements,
        "attachments": len(attachments),
        "tags": seqs_tags,
        "agents": agents,
    }


async def _chunk(engine: AsyncEngine, before: datetime, size: int) -> dict[str, int]:
    async with transaction(engine) as conn:
        await repo.lock_out_ingest(conn)
        seqs = await repo.oldest_before(conn, before, size)
        if not seqs:
            return dict.fromkeys(KINDS, 0)
        attachments = await repo.orphaned_attachments(conn, seqs=seqs)
        agents = await repo.lonely_agents(conn, seqs)
        tags = await repo.count_tags(conn, seqs)
        await repo.delete_statements(conn, seqs)
        await repo.delete_attachments(conn, attachments)
        await repo.delete_agents(conn, agents)
    return {
        "statements": len(seqs),
        "attachments": len(attachments),
        "tags": tags,
        "agents": len(agents),
    }


async def purge(
    engine: AsyncEngine, request: PurgeRequest, *, actor: str, chunk: int = CHUNK
) -> dict[str, Any]:
    """Purge (or count) everything stored before `request.before`. The answer:
    ``{"dry_run", "before", "chunks", "counts": {kind: n}}``; a real run is recorded in the
    audit trail when it ends."""
    if request.dry_run:
        counts = await _count(engine, request.before)
        return {"dry_run": True, "before": request.before.isoformat(), "counts": counts}
    totals = dict.fromkeys(KINDS, 0)
    chunks = 0
    while True:
        done = await _chunk(engine, request.before, chunk)
        if not done["statements"]:
            break
        chunks += 1
        for kind in KINDS:
            totals[kind] += done[kind]
        await asyncio.sleep(0)  # let requests on this loop run between chunks
    async with transaction(engine) as conn:
        await audit.record(
            conn,
            actor=actor,
            action=audit.PURGE,
            subject=request.before.isoformat(),
            details={**totals, "chunks": chunks},
        )
    return {
        "dry_run": False,
        "before": request.before.isoformat(),
        "chunks": chunks,
        "counts": totals,
    }


async def retention_once(engine: AsyncEngine, days: int, *, now: datetime | None = None) -> bool:
    """Run the retention purge if no process did in the last day; True when this one did.

    A session advisory lock makes it one process of one node at a time; the audit trail's
    last `retention` purge makes it once a day however many workers check."""
    now = now or datetime.now(UTC)
    async with autocommit(engine) as conn:
        if not await repo.try_retention_lock(conn):
            return False
        try:
            last = await audit_last_retention(engine)
            if last is not None and now - last < timedelta(hours=23):
                return False
            request = PurgeRequest(before=now - timedelta(days=days), dry_run=False)
            result = await purge(engine, request, actor=audit.RETENTION)
            log.info("retention purge", extra={"counts": result["counts"]})
            return True
        finally:
            await repo.release_retention_lock(conn)


async def audit_last_retention(engine: AsyncEngine) -> datetime | None:
    async with autocommit(engine) as conn:
        return await audit_repo.last_at(conn, action=audit.PURGE, actor=audit.RETENTION)


async def retention_loop(engine: AsyncEngine, days: int, *, interval: float = 3600.0) -> None:
    """Check once at start, then every `interval` seconds, until cancelled (shutdown)."""
    while True:
        try:
            await retention_once(engine, days)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed run is retried at the next check; the server goes on
            log.exception("retention purge failed")
        await asyncio.sleep(interval)
