"""Erasure of a person (GDPR art. 17): every statement naming them, what only those used,
their documents, roster assignments and Agents-resource record, in one transaction.

The transaction first takes the ingest lock exclusively (`lock_out_ingest`): batches in
flight commit before it, later ones wait until it commits, so a batch naming the person is
either erased whole or stored whole afterwards, never half. Erasure is not a block list:
statements arriving later are stored normally.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lrs.ext.rules.pseudonyms import pseudonym_from_pads
from lrs.ext.storage.pseudonyms import load_pads
from lrs.services import audit
from lrs.services.lifecycle_input import ErasureRequest
from lrs.storage import lifecycle as repo
from lrs.storage.database import transaction


async def _subject(conn: AsyncConnection, request: ErasureRequest) -> tuple[str | None, list[str]]:
    """The one-way key the audit trail keeps, and the IFI keys to erase."""
    if request.pseudonym is not None:
        return request.pseudonym, await repo.keys_of_pseudonym(conn, request.pseudonym)
    assert request.agent_key is not None  # parse_erasure sets exactly one
    pads = await load_pads(conn)
    one_way = None if pads is None else pseudonym_from_pads(*pads, request.agent_key)
    return one_way, [request.agent_key]


async def _erase_in(conn: AsyncConnection, keys: list[str], *, dry_run: bool) -> dict[str, int]:
    if not dry_run:
        await repo.lock_out_ingest(conn)
    seqs = await repo.statements_naming(conn, keys) if keys else []
    attachments = await repo.orphaned_attachments(conn, seqs=seqs) if seqs else []
    person = await repo.count_person_rows(conn, keys)
    counts = {
        "statements": len(seqs),
        "attachments": len(attachments),
        "tags": await repo.count_tags(conn, seqs) if seqs else 0,
        "state_documents": person.state_documents,
        "agent_profiles": person.agent_profiles,
        "roster_assignments": person.roster_assignments,
        "agents": person.agents,
    }
    if not dry_run:
        await repo.delete_statements(conn, seqs)
        await repo.delete_attachments(conn, attachments)
        await repo.delete_person_rows(conn, keys)
    return counts


async def erase(engine: AsyncEngine, request: ErasureRequest, *, actor: str) -> dict[str, Any]:
    """Erase (or, with `dry_run`, count) everything about one person; idempotent. The answer:
    ``{"dry_run", "subject" (the pseudonym), "counts": {kind: n}}``."""
    async with transaction(engine) as conn:
        subject, keys = await _subject(conn, request)
        counts = await _erase_in(conn, keys, dry_run=request.dry_run)
        if not request.dry_run:
            await audit.record(
                conn, actor=actor, action=audit.ERASURE, subject=subject, details=counts
            )
    return {"dry_run": request.dry_run, "subject": subject, "counts": counts}
