"""Statement writes made by the server itself rather than by its batch process."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.storage import statements as repo


async def _noop_hook(
    conn: AsyncConnection, stored: Sequence[repo.NewStatement], seqs: Mapping[str, int]
) -> None:
    """An extra ingest hook: the batch process does not have it, so the server writes."""


@contextlib.asynccontextmanager
async def writes_in_the_server(app: FastAPI) -> AsyncIterator[None]:
    """While the block runs, large POST bodies too are stored by the server's own process
    (where a test can watch its SQL), with the same code the batch process runs."""
    context = app.state.lrs
    original = context.ingest_hooks
    context.ingest_hooks = (*original, _noop_hook)
    try:
        assert context.batches is None
        yield
    finally:
        context.ingest_hooks = original
