"""The outbox of forwarding: an ingest hook (see `lrs.services.statements.IngestHook`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.storage import forwarding as repo
from lrs.storage.statements import NewStatement


class OutboxHook:
    """The ingest hook: one INSERT ... SELECT per stored batch records it for every target,
    in the batch's transaction (an acknowledged statement is never lost)."""

    async def __call__(
        self, conn: AsyncConnection, stored: Sequence[NewStatement], seqs: Mapping[str, int]
    ) -> None:
        if seqs:
            await repo.enqueue_batch(conn, sorted(seqs.values()))
