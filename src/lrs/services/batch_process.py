"""Large statement bodies handled in a process of their own.

A batch of 100 realistic statements costs the server a few milliseconds of CPU to parse,
validate and store; in the process that also answers queries and one-statement POSTs, that
time is taken from them (Python runs one thread at a time), and their p95 doubled while two
clients posted batches (bench/RESULTS.md). So `lrs serve` starts a child process, the
batch process (further ones past two bodies at once, `lrs.services.batch_processes`), and
hands it every POST body above `BATCH_BYTES` as it was received: the child parses and
validates it exactly as the server would (`parse_statement_input`), stores it in one
transaction (`store_statements`, the same ingest hooks) on a pool of its own, and sends back
the ids or the error. The server only reads the body and answers.

Guarantees are those of the write path itself: the child answers after COMMIT, so an
acknowledged batch is durable; a batch is stored whole or not at all; a principal taken from
memory is confirmed in the child's transaction (a `StaleCredential` comes back and the
server authenticates again). Should the child die, the requests it held get 503 (nothing of
a batch is stored unless its transaction committed, and sending it again is safe,
ST-PROC-015) and the next batch starts a new child. The child ignores SIGINT (a terminal's
Ctrl-C reaches the whole process group; the server stops it after draining) and exits when
the server's end of their socket closes, the server having gone for whatever reason.

Messages are pickled, each framed by its length: to the child its arguments (the database
URL, the settings, the function building the ingest hooks, whether logs are JSON), then
(number, BatchJob) for each body; back "ready", then (number, WriteResult or the exception
to raise).
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import signal
import socket
import struct
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.auth.principal import Principal, StaleCredential
from lrs.errors import BadRequest, DatabaseUnavailable, LRSError
from lrs.heap import settle_heap
from lrs.logs import configure_logging, request_id_var
from lrs.services.statement_input import parse_statement_input
from lrs.services.statements import IngestHook, WriteResult, store_statements
from lrs.settings import Settings
from lrs.storage.database import client_fault, is_unavailable, make_engine
from lrs.xapi.versions import XapiVersion

log = logging.getLogger("lrs.batch_process")

# POST bodies above this size go to the batch process; smaller ones (one statement, a
# handful) cost less than the trip.
BATCH_BYTES = 64 * 1024
# Batches the child handles at once (more wait in arrival order): enough to overlap one's
# parsing with another's round trips (4 clients posting batches: 2,928/s against 2,750/s
# with 2); its pool keeps as many connections open, one for each (with overflow connections
# a batch often opened one, a new PostgreSQL backend, and closed it at the end).
BATCHES_AT_ONCE = 4
# What PostgreSQL shows for the child's connections (pg_stat_activity.application_name).
APPLICATION_NAME = "lrs batch process"
# How long the child may take to start (import and connect) before the server gives up.
START_TIMEOUT_SECONDS = 60.0
# How long a stopping child may take to finish the batches it holds.
STOP_TIMEOUT_SECONDS = 30.0

_LENGTH = struct.Struct("!Q")
_READY = "ready"

HooksFactory = Callable[[Settings], Sequence[IngestHook]]


@dataclass(frozen=True)
class BatchJob:
    """One POST body as received, with what the child needs to handle it."""

    body: bytes
    content_type: str | None
    version: XapiVersion
    principal: Principal
    request_id: str | None


def _frame(message: object) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


async def _read_message(reader: asyncio.StreamReader) -> Any | None:
    """The next message, or None once the other end has closed."""
    try:
        head = await reader.readexactly(_LENGTH.size)
        data = await reader.readexactly(_LENGTH.unpack(head)[0])
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    # Only the server and its own child hold the ends of this socket pair.
    return pickle.loads(data)  # noqa: S301


class BatchProcess:
    """The server's side: start the child, hand it jobs, settle each request's outcome."""

    def __init__(
        self, url: str, settings: Settings, hooks: HooksFactory, *, json_logs: bool
    ) -> None:
        self._arguments = (url, settings, hooks, json_logs)
        self._process: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._receiver: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[WriteResult]] = {}
        self._numbers = 0
        self._starting = asyncio.Lock()
        # Bodies the child has answered for, and children started (a dead one is replaced).
        self.handled = 0
        self.started = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the child is up and taking bodies."""
        return self._writer is not None

    @property
    def held(self) -> int:
        """Bodies handed to the child and not answered yet."""
        return len(self._pending)

    async def start(self) -> None:
        """Start the child and wait until it is ready."""
        async with self._starting:
            if self._writer is None:
                await self._spawn()

    async def _spawn(self) -> None:
        """`python -m lrs.services.batch_process FD`, the socket's other end as FD; its
        arguments go over the socket (a plain interpreter: multiprocessing's spawn would
        import the server's main module, the whole CLI, into the child too)."""
        ours, theirs = socket.socketpair()
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                __name__,
                str(theirs.fileno()),
                pass_fds=(theirs.fileno(),),
                stdin=asyncio.subprocess.DEVNULL,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        reader, writer = await asyncio.open_connection(sock=ours)
        writer.write(_frame(self._arguments))
        try:
            ready = await asyncio.wait_for(_read_message(reader), START_TIMEOUT_SECONDS)
        except TimeoutError:
            ready = None
        if ready != _READY:
            writer.close()
            await _ended(process, within=1.0)
            raise RuntimeError("the batch process did not start (its log lines say why)")
        self._process, self._writer = process, writer
        self.started += 1
        self._receiver = asyncio.create_task(self._receive(reader, writer))

    async def store(self, job: BatchJob) -> WriteResult:
        """Parse, validate and store one body in the child; raises what the write raised."""
        if self._writer is None:
            try:
                await self.start()
            except Exception as error:
                log.error("the batch process could not be started", exc_info=error)
                raise DatabaseUnavailable(
                    "the server cannot store batches now; retry later"
                ) from None
        assert self._writer is not None
        self._numbers += 1
        number = self._numbers
        future: asyncio.Future[WriteResult] = asyncio.get_running_loop().create_future()
        self._pending[number] = future
        try:
            self._writer.write(_frame((number, job)))
            return await future
        finally:
            self._pending.pop(number, None)

    async def _receive(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (message := await _read_message(reader)) is not None:
                number, outcome = message
                self.handled += 1
                future = self._pending.get(number)
                if future is None or future.done():
                    continue  # its request has gone away
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
        finally:
            if self._writer is writer:
                self._writer = None
                log.error("the batch process stopped; the next batch starts a new one")
            writer.close()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(
                        DatabaseUnavailable("the batch was interrupted; send it again")
                    )

    async def stop(self) -> None:
        """Let the child finish the batches it holds, then end it."""
        writer, process, receiver = self._writer, self._process, self._receiver
        self._writer = None
        if writer is not None:
            writer.close()
        if process is not None:
            await _ended(process, within=STOP_TIMEOUT_SECONDS)
        if receiver is not None:
            await receiver


async def _ended(process: asyncio.subprocess.Process, *, within: float) -> None:
    """Wait for `process` to exit; kill it when it does not `within` seconds."""
    try:
        await asyncio.wait_for(process.wait(), within)
    except TimeoutError:
        process.kill()
        await process.wait()


def run_child(fd: int) -> None:
    """The batch process's body: its arguments, then jobs, come over the socket `fd`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(_serve(socket.socket(fileno=fd)))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return None
    return uvloop.new_event_loop


async def _serve(sock: socket.socket) -> None:
    reader, writer = await asyncio.open_connection(sock=sock)
    arguments = await _read_message(reader)
    if arguments is None:
        return
    url, settings, hooks_factory, json_logs = arguments
    if json_logs:
        configure_logging(settings.log_level)
    hooks = tuple(hooks_factory(settings))
    engine = make_engine(
        url,
        pool_size=BATCHES_AT_ONCE,
        max_overflow=0,
        statement_timeout_ms=settings.statement_timeout_ms,
        application_name=APPLICATION_NAME,
    )
    settle_heap()  # as the server does: a batch in flight is not walked again and again
    writer.write(_frame(_READY))
    child = _Child(engine, settings, hooks, writer)
    running: set[asyncio.Task[None]] = set()
    try:
        while (message := await _read_message(reader)) is not None:
            task = asyncio.create_task(child.handle(*message))
            running.add(task)
            task.add_done_callback(running.discard)
    finally:
        if running:
            await asyncio.wait(running)
        writer.close()
        await engine.dispose()


@dataclass
class _Child:
    engine: AsyncEngine
    settings: Settings
    hooks: tuple[IngestHook, ...]
    writer: asyncio.StreamWriter
    # Tasks wait on it in the order they were created: jobs start in arrival order.
    at_once: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(BATCHES_AT_ONCE))

    async def handle(self, number: int, job: BatchJob) -> None:
        request_id_var.set(job.request_id)
        async with self.at_once:
            outcome = await _outcome(_stored(job, self.engine, self.settings, self.hooks))
        if not self.writer.is_closing():
            self.writer.write(_frame((number, outcome)))


async def _stored(
    job: BatchJob, engine: AsyncEngine, settings: Settings, hooks: tuple[IngestHook, ...]
) -> WriteResult:
    data = parse_statement_input(
        job.body,
        job.content_type,
        job.version,
        single=False,
        max_statements=settings.max_batch_statements,
    )
    return await store_statements(
        engine,
        data.statements,
        principal=job.principal,
        version=job.version,
        attachments=data.attachments,
        hooks=hooks,
    )


async def _outcome(write: Awaitable[WriteResult]) -> object:
    """What the server raises or answers: the write's result or its error, the others
    turned into the error the server would answer for them (lrs.api.errors)."""
    try:
        return await write
    except (LRSError, StaleCredential) as error:
        return error
    except Exception as error:
        fault = client_fault(error)
        if fault is not None:
            return BadRequest(fault)
        if is_unavailable(error):
            return DatabaseUnavailable("the database is unavailable; retry later")
        log.error("unexpected error", exc_info=error)
        return LRSError("internal error; the request id in the logs tells more")


__all__ = [
    "APPLICATION_NAME",
    "BATCHES_AT_ONCE",
    "BATCH_BYTES",
    "BatchJob",
    "BatchProcess",
    "run_child",
]

if __name__ == "__main__":
    # Run as `python -m`: use the module under its own name, the one pickled jobs refer to.
    from lrs.services.batch_process import run_child as _run

    _run(int(sys.argv[1]))
