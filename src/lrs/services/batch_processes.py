"""A worker's batch processes (`lrs.services.batch_process`): the first takes every large
body while it holds fewer than `SPILL_AT`; a body arriving when it holds more goes to the
process holding fewest of those running, and the others are started, in the background, the
first time one is wanted.

Why more than one: a batch process is one Python thread, and under batches from 4 clients
it was busy 73-80% of a CPU while the database's backends used the other, so parsing and
validating one batch held up the next. With 4 clients posting batches of 100, a second
process stored 15-18% more statements a second and a third 14% more again, the first
holding 2 and the others 1 each (bench/RESULTS.md, twenty-sixth round). Why only past
`SPILL_AT`: with one or two clients posting batches while others query, the others would
take CPU from the queries' worker for little gain (measured in the twentieth round: query
p95 1.0-1.3 ms higher), so that traffic keeps to the first, as before. A body is never held
back for a process to start: until the next is up, the running ones take it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from lrs.services.batch_process import BatchJob, BatchProcess
from lrs.services.statements import WriteResult

log = logging.getLogger("lrs.batch_process")

# Bodies the first process holds before the next body goes to another.
SPILL_AT = 2


class BatchProcesses:
    """Hands each large body to one of `processes` (the module docstring says which)."""

    def __init__(self, processes: Sequence[BatchProcess]) -> None:
        if not processes:
            raise ValueError("at least one batch process")
        self.processes = tuple(processes)
        self._starting: dict[BatchProcess, asyncio.Task[None]] = {}

    @property
    def first(self) -> BatchProcess:
        return self.processes[0]

    @property
    def handled(self) -> int:
        """Bodies answered for by any of the processes."""
        return sum(process.handled for process in self.processes)

    async def start(self) -> None:
        """Start the first process and wait until it is ready; the others start when wanted."""
        await self.first.start()

    async def store(self, job: BatchJob) -> WriteResult:
        """Parse, validate and store one body in a batch process; raises what the write
        raised."""
        return await self._choose().store(job)

    def _choose(self) -> BatchProcess:
        first = self.first
        if first.held < SPILL_AT or not first.running:
            # A first process that died is started again by its next body, as ever.
            return first
        for process in self.processes[1:]:
            if not process.running:
                self._start_in_background(process)
        running = [process for process in self.processes if process.running]
        return min(running, key=lambda process: process.held)

    def _start_in_background(self, process: BatchProcess) -> None:
        if process in self._starting:
            return
        task = asyncio.create_task(_started(process))
        self._starting[process] = task
        task.add_done_callback(lambda _: self._starting.pop(process, None))

    async def stop(self) -> None:
        """Let every process finish the bodies it holds, then end it (one still starting is
        first let start)."""
        await asyncio.gather(*self._starting.values(), return_exceptions=True)
        await asyncio.gather(*(process.stop() for process in self.processes))


async def _started(process: BatchProcess) -> None:
    try:
        await process.start()
    except Exception as error:
        # Bodies keep going to the running processes; the next one wanted tries again.
        log.error("a further batch process could not be started", exc_info=error)


__all__ = ["SPILL_AT", "BatchProcesses"]
