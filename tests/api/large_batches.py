"""Large statement batches, the ones a batch process handles, and the app's batch processes."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from lrs.services.batch_processes import BatchProcesses
from tests.factories import make_statement

PADDING = "x" * 1000


def large_batch(count: int = 80, registration: str | None = None) -> list[dict[str, Any]]:
    """A batch whose body is above BATCH_BYTES (statements of about 1.3 KB)."""
    registration = registration or str(uuid.uuid4())
    return [
        make_statement(context={"registration": registration}, result={"response": PADDING})
        for _ in range(count)
    ]


def batch_processes(app: FastAPI) -> BatchProcesses:
    batches = app.state.lrs.batch_processes
    assert isinstance(batches, BatchProcesses)
    return batches


async def until(condition: Callable[[], bool], what: str, within: float = 30.0) -> None:
    """Wait until `condition()` holds; fail naming `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"not {what} after {within} s"
        await asyncio.sleep(0.05)


async def all_running(batches: BatchProcesses) -> None:
    """Wait until every batch process has started."""
    await until(
        lambda: all(process.running for process in batches.processes),
        "every batch process running",
    )
