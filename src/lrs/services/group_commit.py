"""Group commit: concurrent one-statement writes share one transaction and one commit.

A one-statement POST or PUT costs little in rows but a whole transaction in fixed costs (a
checkout, BEGIN, the first read, the insert, the hooks, COMMIT and its WAL flush). Requests
that arrive while a group is being written wait for the next group, which is written
together. A group that needs nothing but inserts (known agents and definitions, no voiding,
no StatementRef: most of them) is one command (`lrs.services.group_write`); any other is
written like a batch of that many statements: the same commands, the same ingest hooks in
the same transaction. Either way their cost is shared, and each request keeps its own
outcome:

- a statement that conflicts with a stored one (STR-W-006) fails alone; two requests with
  the same statement id never share a group (the second waits for the next one and is
  compared with what the first stored);
- any other failure (a concurrent writer's conflicting row, a hook raising, the database
  refusing a row) rolls the shared transaction back and each request of the group is then
  written in a transaction of its own, so a bad request cannot fail another;
- a request is answered only after the commit of the transaction that holds its statement,
  so an acknowledged statement is durable.

No request waits for a timer: the first one after an idle moment is written at once, alone.
Requests arriving while a group is being built (its one command, or checked out, inserted,
hooks run) wait for its COMMIT to be sent (or for its one command's answer), then form the
next group together: a second group of the full path starts while the first waits for its
commit (a commit's wait is most of a small transaction's time), but never while another is
still being built, which would only split the waiting requests into smaller groups (with 4
clients, starting it at once cost 9% more server and 11% more database CPU per statement,
and 5% of the throughput). A statement id in a group being written waits for that group to
end, so two groups in flight never insert the same id (no lock waits between them).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.auth.principal import Principal
from lrs.errors import DatabaseUnavailable
from lrs.services.group_write import ActivityVersions, write_group_at_once
from lrs.services.statements import (
    Attachment,
    GroupEntry,
    IngestHook,
    WriteResult,
    store_prepared_group,
    store_statements,
)
from lrs.storage.database import KeptConnection
from lrs.xapi.versions import XapiVersion

log = logging.getLogger("lrs.group_commit")

# Statements per shared transaction: past this the group is a batch like any other and
# sharing more buys nothing; a bound keeps one transaction (and its latency) short.
MAX_GROUP = 100
# Groups written at the same time, each in its own transaction.
MAX_GROUPS_IN_FLIGHT = 2


@dataclass(eq=False)
class _Pending:
    statement: Mapping[str, Any]
    principal: Principal
    version: XapiVersion
    future: asyncio.Future[WriteResult] = field(repr=False)

    @property
    def client_id(self) -> str | None:
        raw = self.statement.get("id")
        return str(raw).lower() if raw is not None else None


def _settle(pending: _Pending, outcome: WriteResult | BaseException) -> None:
    """Hand a request its outcome (it may have gone away: a cancelled wait)."""
    if pending.future.done():
        return
    if isinstance(outcome, BaseException):
        pending.future.set_exception(outcome)
    else:
        pending.future.set_result(outcome)


class StatementWriter:
    """The write path of the Statement Resource: batches and statements with attachments
    are stored as they come, single statements are grouped (see the module docstring)."""

    def __init__(self, engine: AsyncEngine, hooks: Sequence[IngestHook] = ()) -> None:
        self.engine = engine
        self.hooks = tuple(hooks)
        self._queue: list[_Pending] = []
        self._drainers: set[asyncio.Task[None]] = set()
        self._in_flight: set[str] = set()  # statement ids of the groups being written
        self._filling = 0  # groups written that have not reached their COMMIT yet
        self._activities = ActivityVersions()
        # The one-command path's connection, kept between groups while they follow each other.
        self._connection = KeptConnection(engine)
        # Groups written, by way: "one_command", "one_transaction", "one_by_one".
        self.groups: Counter[str] = Counter()

    async def close(self) -> None:
        """Return the connection the writer keeps to the pool (at shutdown)."""
        await self._connection.release()

    def close_soon(self) -> None:
        """`close` without waiting (a writer replaced by another)."""
        self._connection.release_soon()

    async def store(
        self,
        statements: Sequence[Mapping[str, Any]],
        *,
        principal: Principal,
        version: XapiVersion,
        attachments: Sequence[Attachment] = (),
    ) -> WriteResult:
        """Store a validated batch, all or nothing (as `store_statements`)."""
        if len(statements) != 1 or attachments:
            return await store_statements(
                self.engine,
                statements,
                principal=principal,
                version=version,
                attachments=attachments,
                hooks=self.hooks,
            )
        future: asyncio.Future[WriteResult] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(statements[0], principal, version, future))
        self._start_drainer()
        return await future

    def _start_drainer(self) -> None:
        """Start writing the queue unless a group is still being built (the queue joins the
        next one when it commits) or enough groups are in flight."""
        if self._filling or not self._queue or len(self._drainers) >= MAX_GROUPS_IN_FLIGHT:
            return
        # A context of its own: the group's work belongs to no single request (its log
        # lines must not carry the first request's id).
        drainer = asyncio.create_task(self._drain(), context=contextvars.Context())
        self._drainers.add(drainer)
        drainer.add_done_callback(self._drainers.discard)

    def _next_group(self) -> tuple[list[_Pending], set[str]]:
        """Up to MAX_GROUP queued requests in arrival order, no statement id twice nor one
        of a group in flight (those wait for a later group); their ids are marked in flight."""
        group: list[_Pending] = []
        rest: list[_Pending] = []
        ids: set[str] = set()
        for pending in self._queue:
            if pending.future.done():  # its request has gone away
                continue
            client_id = pending.client_id
            taken = client_id is not None and (client_id in ids or client_id in self._in_flight)
            if len(group) >= MAX_GROUP or taken:
                rest.append(pending)
                continue
            if client_id is not None:
                ids.add(client_id)
            group.append(pending)
        self._queue = rest
        self._in_flight |= ids
        return group, ids

    async def _drain(self) -> None:
        group: list[_Pending] = []
        try:
            while not self._filling:
                group, ids = self._next_group()
                if not group:
                    return  # what is left waits on a group in flight, whose drainer loops
                try:
                    await self._write(group)
                finally:
                    self._in_flight -= ids
        finally:
            # Leave the set at once, with no await since the decision to stop: a request
            # queued from now on starts a drainer of its own.
            self._drainers.discard(asyncio.current_task())
            # Only when this task itself was cancelled (the event loop closing): nobody is
            # left without an answer; a statement may have been stored, and sending it again
            # is safe (ST-PROC-015).
            stranded = group if self._drainers else [*group, *self._queue]
            for pending in stranded:
                _settle(pending, DatabaseUnavailable("the server is shutting down; retry later"))

    async def _write(self, group: list[_Pending]) -> None:
        """Write `group`, counted as being built until its COMMIT is sent (or it failed)."""
        self._filling += 1
        filling = True

        def committing(*, start_next: bool = True) -> None:
            nonlocal filling
            if filling:
                filling = False
                self._filling -= 1
                if start_next:
                    self._start_drainer()

        try:
            await self._write_group(group, committing)
        except BaseException:
            committing(start_next=False)  # cancelled (the event loop closing): start nothing
            raise
        committing()

    async def _write_group(self, group: list[_Pending], committing: Callable[[], None]) -> None:
        """In one command when the group needs nothing but inserts, else the full way."""
        entries = [(p.statement, p.principal, p.version) for p in group]
        try:
            outcomes = await write_group_at_once(
                self._connection, entries, hooks=self.hooks, activities=self._activities
            )
        except Exception:  # nothing was written: every request is retried on its own
            log.debug("group of %d failed; writing one by one", len(group), exc_info=True)
            committing()
            await self._write_each(group, committing)
            return
        if outcomes is None:
            await self._write_in_transaction(group, entries, committing)
            return
        committing()
        self.groups["one_command"] += 1
        for pending, outcome in zip(group, outcomes, strict=True):
            _settle(pending, outcome)

    async def _write_in_transaction(
        self, group: list[_Pending], entries: list[GroupEntry], committing: Callable[[], None]
    ) -> None:
        """The full write path: the group in one transaction (one by one when that fails)."""
        if len(group) > 1:
            try:
                outcomes = await store_prepared_group(
                    self.engine, entries, hooks=self.hooks, committing=committing
                )
            except Exception:  # every request is retried on its own below
                log.debug("group of %d rolled back; writing one by one", len(group), exc_info=True)
                committing()  # the next group need not wait for these retries
            else:
                self.groups["one_transaction"] += 1
                for pending, outcome in zip(group, outcomes, strict=True):
                    _settle(pending, outcome)
                return
        await self._write_each(group, committing)

    async def _write_each(self, group: list[_Pending], committing: Callable[[], None]) -> None:
        self.groups["one_by_one"] += 1
        for pending in group:
            await self._write_one(pending, committing)

    async def _write_one(self, pending: _Pending, committing: Callable[[], None]) -> None:
        try:
            result = await store_statements(
                self.engine,
                [pending.statement],
                principal=pending.principal,
                version=pending.version,
                hooks=self.hooks,
                committing=committing,
            )
        except Exception as error:  # the request's own outcome
            _settle(pending, error)
        else:
            _settle(pending, result)
