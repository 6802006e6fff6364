"""What the routers share, built once by the app's lifespan (never at import)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.api.metrics import Metrics
from lrs.auth.authenticator import Authenticator
from lrs.services.batch_processes import BatchProcesses
from lrs.services.group_commit import StatementWriter
from lrs.services.statements import IngestHook
from lrs.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    authenticator: Authenticator
    metrics: Metrics
    # Extra work done inside every statement write's transaction (see IngestHook).
    ingest_hooks: tuple[IngestHook, ...] = field(default=())
    # Large POST bodies are handled here, processes of their own (built with the same hooks).
    batch_processes: BatchProcesses | None = None
    _writer: StatementWriter | None = field(default=None, init=False, repr=False)
    _started_hooks: tuple[IngestHook, ...] = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        self._started_hooks = tuple(self.ingest_hooks)

    @property
    def batches(self) -> BatchProcesses | None:
        """The batch processes, while the registered hooks are those they were started with
        (they build their own from the settings; other hooks need the in-process writer)."""
        if tuple(self.ingest_hooks) != self._started_hooks:
            return None
        return self.batch_processes

    @property
    def statement_writer(self) -> StatementWriter:
        """The Statement Resource's writer (group commit of single statements), rebuilt
        when the registered hooks change."""
        if self._writer is None or self._writer.hooks != tuple(self.ingest_hooks):
            if self._writer is not None:
                self._writer.close_soon()
            self._writer = StatementWriter(self.engine, self.ingest_hooks)
        return self._writer

    async def close(self) -> None:
        """Give back what the shared parts hold of the pool (before the engine is disposed)."""
        if self._writer is not None:
            await self._writer.close()
