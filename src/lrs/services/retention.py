"""LRS_RETENTION_DAYS: the daily purge as a background task of the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.services.purge import retention_loop


def start_retention(
    engine: AsyncEngine, days: int | None, *, interval: float = 3600.0
) -> asyncio.Task[None] | None:
    """Start the retention loop (None when retention is off)."""
    if days is None:
        return None
    return asyncio.create_task(retention_loop(engine, days, interval=interval), name="retention")


async def stop_retention(task: asyncio.Task[None] | None) -> None:
    """Cancel the loop and wait for it: a chunk in progress rolls back, nothing half done."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
