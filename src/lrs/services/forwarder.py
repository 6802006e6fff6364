"""The background forwarder each `lrs` process runs in its lifespan.

Every poll it renews the leases it holds and takes the lease of every due target with
pending statements that no live process holds (see `lrs.storage.forwarding`), then drains
each of its targets in its own task: the oldest queue rows first, filtered, sent in batches,
acknowledged under the lease. Delivery is at least once: a process killed between sending
and acknowledging leaves the rows queued and the next lease holder sends them again (an xAPI
target keeps one copy per id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.services.forwarding_rules import Facts, backoff, matches
from lrs.services.forwarding_secrets import SecretBox, load_box
from lrs.services.forwarding_send import Destination, Outcome, send
from lrs.settings import Settings
from lrs.storage import forwarding as repo
from lrs.storage.database import make_engine, read_only, transaction
from lrs.storage.statements import load_attachments

log = logging.getLogger("lrs.forwarding")

STATS_SECONDS = 5.0


@dataclass(frozen=True)
class TargetStatus:
    """One target's figures for /metrics."""

    id: str
    pending: int
    lag_seconds: float
    delivered: int
    filtered: int
    retried: int
    dead: int


Publish = Callable[[Sequence[TargetStatus], bool], None]


@dataclass(frozen=True)
class _Work:
    row: repo.TargetRow
    queue_ids: list[int]
    statements: list[repo.Outgoing]
    attachments: list[tuple[str, str, bytes]]


@dataclass
class _Sent:
    """What a send of a target's batch came to: settled together by `_settle`."""

    delivered: list[repo.Outgoing] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)
    error: str | None = None


def _facts(s: repo.Outgoing) -> Facts:
    return Facts(s.verb, s.activity, s.activity_type, s.door, s.role, s.version)


def _sha2s(statements: Sequence[repo.Outgoing]) -> list[str]:
    return sorted(
        {
            str(a["sha2"])
            for s in statements
            for a in s.payload.get("attachments") or ()
            if isinstance(a, dict) and "sha2" in a and "fileUrl" not in a
        }
    )


class Forwarder:
    """Delivery for one process. It has its own small connection pool, so that delivery
    never competes with requests for connections (nor they with it)."""

    def __init__(self, url: str, settings: Settings, publish: Publish | None = None):
        self.engine: AsyncEngine = make_engine(  # connects on first use
            url, pool_size=1, application_name="lrs forwarder"
        )
        self.settings = settings
        self.publish = publish
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self._main: asyncio.Task[None] | None = None
        self._box: SecretBox | None = None
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._box = await load_box(self.engine, self.settings.secret_key)
        self._client = httpx.AsyncClient(
            timeout=self.settings.forwarding_timeout_seconds, follow_redirects=False
        )
        self._main = asyncio.create_task(self._run(), name="lrs-forwarder")

    async def stop(self) -> None:
        """Stop sending and hand the leases back so that another process takes over now."""
        tasks = [t for t in (self._main, *self.tasks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            async with transaction(self.engine) as conn:
                await repo.release_leases(conn, self.owner, list(self.tasks))
        if self._client is not None:
            await self._client.aclose()
        await self.engine.dispose()

    async def _run(self) -> None:
        next_stats = 0.0
        while True:
            try:
                await self._tick()
                if self.publish is not None and time.monotonic() >= next_stats:
                    next_stats = time.monotonic() + min(STATS_SECONDS, 5 * self._poll)
                    await self._publish_stats()
            except Exception as error:  # the loop outlives any one failure (database away...)
                log.warning("forwarding loop: %s", type(error).__name__)
            await asyncio.sleep(self._poll)

    @property
    def _poll(self) -> float:
        return self.settings.forwarding_poll_seconds

    async def _tick(self) -> None:
        for target_id, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[target_id]
        ttl = self.settings.forwarding_lease_seconds
        async with transaction(self.engine) as conn:
            kept = await repo.renew_leases(conn, self.owner, ttl, list(self.tasks))
            claimed = await repo.claim_targets(conn, self.owner, ttl, list(self.tasks))
        for target_id in set(self.tasks) - kept:
            self.tasks.pop(target_id).cancel()  # another process holds it now
        for target_id in claimed:
            self.tasks[target_id] = asyncio.create_task(self._drain(target_id))

    async def _publish_stats(self) -> None:
        assert self.publish is not None
        async with read_only(self.engine) as conn:
            rows = await repo.list_targets(conn)
            stats = await repo.queue_stats(conn)
        now = time.time()
        out: list[TargetStatus] = []
        for row in rows:
            queued = stats.get(row.id)
            oldest = queued.oldest if queued else None
            lag = max(now - oldest.timestamp(), 0.0) if oldest else 0.0
            pending = queued.pending if queued else 0
            out.append(
                TargetStatus(
                    row.id, pending, lag, row.delivered, row.filtered, row.retried, row.dead
                )
            )
        over = any(s.pending > self.settings.forwarding_max_pending for s in out)
        if over:
            log.warning("forwarding outbox over LRS_FORWARDING_MAX_PENDING")
        self.publish(out, over)

    async def _drain(self, target_id: str) -> None:
        try:
            while await self._step(target_id):
                pass
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("forwarding to target %s: %s", target_id, type(error).__name__)

    async def _next(self, target_id: str) -> _Work | None:
        size = self.settings.forwarding_batch_size
        async with read_only(self.engine) as conn:
            row = await repo.get_target(conn, target_id)
            if row is None or row.paused or row.lease_owner != self.owner:
                return None
            picked: list[tuple[int, list[int]]] = []
            for queue_id, seqs in await repo.next_batches(conn, target_id, size):
                if picked and sum(len(s) for _, s in picked) + len(seqs) > size:
                    break
                picked.append((queue_id, seqs))
            if not picked:
                return None
            statements = await repo.statements_for(conn, [q for _, s in picked for q in s])
            attachments = await load_attachments(conn, _sha2s(statements))
        return _Work(row, [q for q, _ in picked], statements, attachments)

    def _destination(self, row: repo.TargetRow) -> Destination:
        assert self._box is not None
        assert row.secret_enc is not None
        secret = self._box.open(row.secret_enc)
        return Destination(row.type, row.url, row.username, secret, row.xapi_version)

    async def _step(self, target_id: str) -> bool:
        """Send the next batch; False when there is nothing (more) to do now."""
        work = await self._next(target_id)
        if work is None:
            async with transaction(self.engine) as conn:
                await repo.release_leases(conn, self.owner, [target_id])
            return False
        wanted = [s for s in work.statements if matches(work.row.filters, _facts(s))]
        sent = await self._send_all(work, wanted)
        if sent is None:
            return False  # a retry is scheduled
        return await self._settle(work, sent.delivered, sent.dead, sent.error)

    async def _send_all(self, work: _Work, wanted: list[repo.Outgoing]) -> _Sent | None:
        """Send `wanted` in chunks of LRS_FORWARDING_BATCH_SIZE. None when a chunk must be
        retried later (the retry is scheduled); past the attempt budget, what is left is
        dead-lettered instead."""
        row = work.row
        size = self.settings.forwarding_batch_size
        sent = _Sent()
        assert self._client is not None
        for start in range(0, len(wanted), size):
            chunk = wanted[start : start + size]
            outcome = await send(
                self._client,
                self._destination(row),
                [s.payload for s in chunk],
                [a for a in work.attachments if a[0] in _sha2s(chunk)],
            )
            if outcome.verdict == "retry":
                attempts = row.attempts + 1
                if attempts < self.settings.forwarding_max_attempts:
                    await self._retry_later(row, attempts, outcome)
                    return None
                done = {s.seq for s in sent.delivered} | set(sent.dead)
                sent.dead += [s.seq for s in wanted if s.seq not in done]
                sent.error = f"{outcome.error} (gave up after {attempts} attempts)"
                break
            if outcome.verdict == "permanent":
                refused = set(outcome.refused) or {str(s.payload["id"]) for s in chunk}
                sent.dead += [s.seq for s in chunk if str(s.payload["id"]) in refused]
                sent.delivered += [s for s in chunk if str(s.payload["id"]) not in refused]
                sent.error = outcome.error
                continue
            sent.delivered += chunk
        return sent

    async def _retry_later(self, row: repo.TargetRow, attempts: int, outcome: Outcome) -> None:
        delay = outcome.wait
        if delay is None:
            delay = backoff(
                attempts,
                self.settings.forwarding_backoff_base_seconds,
                self.settings.forwarding_backoff_max_seconds,
            )
        async with transaction(self.engine) as conn:
            await repo.retry_later(
                conn, row.id, self.owner, attempts, delay, outcome.error or "error"
            )

    async def _settle(
        self, work: _Work, delivered: list[repo.Outgoing], dead: list[int], error: str | None
    ) -> bool:
        async with transaction(self.engine) as conn:
            if not await repo.holds_lease(conn, work.row.id, self.owner):
                return False  # another process took over: it sends these again
            await repo.settle(
                conn,
                work.row.id,
                work.queue_ids,
                delivered=len(delivered),
                filtered=len(work.statements) - len(delivered) - len(dead),
                dead=dead,
                error=error,
                attempts=work.row.attempts + 1,
            )
        if dead:
            log.warning(
                "forwarding to target %s: %d statement(s) dead-lettered", work.row.id, len(dead)
            )
        return True
