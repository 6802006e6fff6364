"""Moving statements in and out in bulk: ``lrs import`` and ``lrs export`` (NDJSON, with
attachment lines carrying payloads: `lrs.xapi.bulk_format`).

Import checks every line exactly as POST /statements checks a body (the same strict JSON
parser, `parse_statements_body` and the CT-003 attachment rule), reports a bad line by its
number and stores nothing of it. It is an exact restore, not a new submission: a statement
keeps its own ``id``, ``authority``, ``stored``, ``timestamp`` and ``version``, so exporting
and importing into an empty LRS reproduces every statement byte for byte. Only what a
statement lacks is filled in as on POST (ST-PROC-001..011), under the import's authority.
A statement without an ``id`` gets one derived from its content (UUID v5), so running an
import again never stores it twice.

Idempotence: a statement whose id is already stored is skipped when equivalent
(ST-PROC-015) and reported as a conflict otherwise (STR-W-006); the other statements of its
batch are still stored. An interrupted import is simply run again.

Attachments: the payload lines before a statement are paired with its Attachment objects as
a multipart POST pairs parts (ATT-007..011); a statement whose Attachment lacks ``fileUrl``
needs its payload line (CT-003). Only the pending payloads of the next statement are held, and
a batch is cut early once its payloads reach ``BATCH_PAYLOAD_BYTES``: memory stays bounded by
the batch, not by the file.

Export streams ``payload`` in stored order with a server-side cursor, one statement per line,
voided statements included (a voiding statement needs its target), each preceded by the
payload lines of its stored attachments (those of that one statement are loaded at a time).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.errors import BadRequest, Conflict, LRSError
from lrs.services.statements import Attachment, IngestHook, build_row, write_rows
from lrs.storage import bulk as bulk_sql
from lrs.storage import statements as repo
from lrs.storage.database import autocommit, transaction
from lrs.xapi.bulk_format import attachment_line, encode_attachment_line, is_attachment_line
from lrs.xapi.equivalence import statements_equivalent
from lrs.xapi.jsonparse import loads_strict
from lrs.xapi.multipart import AttachmentPart, match_attachments
from lrs.xapi.prepare import prepare_statement
from lrs.xapi.primitives import parse_timestamp
from lrs.xapi.relations import IndexTerms, statement_index_terms
from lrs.xapi.validate import attachments_without_file_url, parse_statements_body
from lrs.xapi.validate.attachments import all_attachments
from lrs.xapi.versions import XapiVersion

# Ids of id-less imported statements: uuid5(this namespace, the statement's sorted JSON).
IMPORT_NAMESPACE = uuid.UUID("6f1c1f8e-4a39-5d0e-9d4b-2b1f3c1e7a10")
Progress = Callable[[int], None]
# A batch is cut early once its attachment payloads reach this many bytes.
BATCH_PAYLOAD_BYTES = 32 * 1024 * 1024


@dataclass
class ImportReport:
    """What an import did; `invalid` and `conflicts` hold (line number, message)."""

    read: int = 0
    stored: int = 0
    skipped: int = 0
    invalid: list[tuple[int, str]] = field(default_factory=list)
    conflicts: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.invalid and not self.conflicts


@dataclass(frozen=True)
class ImportLine:
    number: int
    statement: dict[str, Any]
    version: XapiVersion
    attachments: tuple[Attachment, ...] = ()

    @property
    def payload_bytes(self) -> int:
        return sum(len(a.data) for a in self.attachments)


def version_of(statement: Mapping[str, Any], default: XapiVersion) -> XapiVersion:
    """The rules a statement was accepted under: its own ``version`` when it has one."""
    declared = statement.get("version")
    if isinstance(declared, str):
        return XapiVersion.V1_0_3 if declared.startswith("1.0") else XapiVersion.V2_0_0
    return default


def parse_line(
    number: int,
    raw: bytes | Any,
    default: XapiVersion,
    parts: Mapping[str, AttachmentPart] | None = None,
) -> ImportLine:
    """One statement line (raw, or already parsed) checked as a one-statement POST body with
    `parts` as its multipart parts (the payload lines before it); raises ``BadRequest``."""
    parsed = loads_strict(raw) if isinstance(raw, bytes) else raw
    version = version_of(parsed, default) if isinstance(parsed, dict) else default
    [statement] = parse_statements_body(parsed, version, single=True)
    if not parts:
        missing = attachments_without_file_url([statement])
        if missing:
            raise BadRequest(
                f"an Attachment without fileUrl needs its data: an attachment line before "
                f"the statement (sha2 {missing[0]}; CT-003)",
                path="$.attachments",
            )
        return ImportLine(number, statement, version)
    used = match_attachments([statement], parts, batch=False)
    attachments = tuple(Attachment(p.sha2, p.content_type, p.data) for p in used.values())
    return ImportLine(number, statement, version, attachments)


def statement_id(statement: Mapping[str, Any]) -> str:
    """The id an imported statement is stored under: its own, else one derived from its
    content, so that importing the same line twice names the same statement."""
    own = statement.get("id")
    if isinstance(own, str):
        return own.lower()
    canonical = orjson.dumps(statement, option=orjson.OPT_SORT_KEYS).decode()
    return str(uuid.uuid5(IMPORT_NAMESPACE, canonical))


def restored_form(line: ImportLine, *, authority: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The stored form of an imported statement: its own id, authority, stored, timestamp
    and version kept; missing ones filled in as on POST (ST-PROC-001..011)."""
    statement = line.statement
    stored = parse_timestamp(statement["stored"]) if "stored" in statement else now
    own_authority = statement.get("authority")
    return prepare_statement(
        statement,
        version=line.version,
        authority=own_authority if isinstance(own_authority, dict) else authority,
        stored=stored,
        new_id=lambda: statement_id(statement),
    )


async def store_imported(
    engine: AsyncEngine,
    lines: Iterable[ImportLine],
    *,
    authority: dict[str, Any],
    report: ImportReport,
    hooks: Sequence[IngestHook] = (),
) -> None:
    """Store one batch of import lines in one transaction, keeping each statement's own
    ``stored`` and ``authority`` (which `store_statements` replaces, ST-PROC-002/005): same
    rows, same storage functions and ingest hooks, only those two values differ."""
    batch = list(lines)
    stored = 0
    payloads: dict[str, Attachment] = {}
    async with transaction(engine) as conn:
        ids = [statement_id(line.statement) for line in batch]
        start = await repo.begin_write(conn, ids)
        now, existing = start.stored, start.existing
        rows: list[repo.NewStatement] = []
        all_terms: list[IndexTerms] = []
        for line in batch:
            prepared = restored_form(line, authority=authority, now=now)
            previous = existing.get(prepared["id"])
            if previous is not None:
                if statements_equivalent(previous, prepared):
                    report.skipped += 1
                    payloads.update((a.sha2, a) for a in line.attachments)
                else:
                    report.conflicts.append((line.number, f"statement {prepared['id']} differs"))
                continue
            payloads.update((a.sha2, a) for a in line.attachments)
            existing[prepared["id"]] = prepared
            terms = statement_index_terms(prepared)
            rows.append(build_row(prepared, terms, parse_timestamp(prepared["stored"])))
            all_terms.append(terms)
        if rows:
            stored = len(await write_rows(conn, start, rows, all_terms, hooks=hooks))
        # Payloads are content-addressed and stored once (ON CONFLICT DO NOTHING).
        await repo.store_attachments(
            conn, [(a.sha2, a.content_type, a.data) for a in payloads.values()]
        )
    report.stored += stored
    # Rows a concurrent writer stored first were found equivalent by `write_rows`.
    report.skipped += len(rows) - stored


def read_lines(
    source: IO[bytes], default: XapiVersion, report: ImportReport, progress: Progress
) -> Iterator[ImportLine]:
    """The valid statements of an import stream, each with the payloads of the attachment
    lines right before it; bad lines go to ``report.invalid``."""
    pending: dict[str, AttachmentPart] = {}
    first_pending = 0
    for number, raw in enumerate(source, start=1):
        progress(len(raw))
        if not raw.strip():
            continue
        try:
            parsed = loads_strict(raw)
        except LRSError as error:
            # Not JSON: counted as a statement line, which takes the payloads before it.
            report.read += 1
            _invalid(report, number, error)
            pending, first_pending = {}, 0
            continue
        if is_attachment_line(parsed):
            try:
                part = attachment_line(parsed, number)
                pending.setdefault(part.sha2, part)
                first_pending = first_pending or number
            except LRSError as error:
                _invalid(report, number, error)
            continue
        report.read += 1
        parts, pending, first_pending = pending, {}, 0
        try:
            yield parse_line(number, parsed, default, parts)
        except LRSError as error:
            _invalid(report, number, error)
    if pending:
        report.invalid.append((first_pending, "attachment lines at the end serve no statement"))


def _invalid(report: ImportReport, number: int, error: LRSError) -> None:
    where = f" at {error.path}" if error.path else ""
    report.invalid.append((number, f"{error.message}{where}"))


def batches(
    lines: Iterator[ImportLine], size: int, max_bytes: int = BATCH_PAYLOAD_BYTES
) -> Iterator[list[ImportLine]]:
    batch: list[ImportLine] = []
    payload = 0
    for line in lines:
        batch.append(line)
        payload += line.payload_bytes
        if len(batch) == size or payload >= max_bytes:
            yield batch
            batch, payload = [], 0
    if batch:
        yield batch


async def import_statements(
    engine: AsyncEngine,
    source: IO[bytes],
    *,
    authority: dict[str, Any],
    default_version: XapiVersion = XapiVersion.V2_0_0,
    batch_size: int = 500,
    jobs: int = 2,
    hooks: Sequence[IngestHook] = (),
    progress: Progress = lambda _: None,
) -> ImportReport:
    """Import an NDJSON stream in batches, `jobs` transactions in flight (parsing the next
    batch overlaps the database writing the previous ones)."""
    report = ImportReport()
    pending: set[asyncio.Task[None]] = set()
    for batch in batches(read_lines(source, default_version, report, progress), batch_size):
        if len(pending) >= jobs:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        pending.add(asyncio.create_task(store_batch(engine, batch, authority, report, hooks)))
        await asyncio.sleep(0)
    for task in pending:
        await task
    await analyze(engine)
    return report


async def store_batch(
    engine: AsyncEngine,
    batch: list[ImportLine],
    authority: dict[str, Any],
    report: ImportReport,
    hooks: Sequence[IngestHook],
) -> None:
    """Store a batch; if a batch in flight beside it stored one of its ids with other content
    first, the whole transaction was rolled back: run it again, and the id is then reported
    as a conflict like any stored one."""
    try:
        await store_imported(engine, batch, authority=authority, report=report, hooks=hooks)
    except Conflict:
        await store_imported(engine, batch, authority=authority, report=report, hooks=hooks)


async def analyze(engine: AsyncEngine) -> None:
    """Refresh planner statistics after a bulk load: stale ones turn the index probes of the
    write path into sequential scans until autovacuum catches up. VACUUM also sets the
    visibility map, so the query filters' index probes need no heap visits."""
    async with autocommit(engine) as conn:
        await bulk_sql.vacuum_analyze(conn)


async def count_statements(
    engine: AsyncEngine, *, since: datetime | None, until: datetime | None
) -> int:
    async with engine.connect() as conn:
        return await bulk_sql.count_statements(conn, since=since, until=until)


async def export_lines(
    engine: AsyncEngine,
    *,
    since: datetime | None,
    until: datetime | None,
    chunk: int = 1000,
    attachments: bool = True,
) -> AsyncIterator[tuple[int, list[bytes]]]:
    """Stored statements in stored order as lines, `chunk` statements at a time (with the
    count of statements in each), read through a server-side cursor in one snapshot (since
    exclusive, until inclusive, as STR-Q-012/013). With `attachments`, each statement is
    preceded by the attachment lines of its stored payloads (`lrs.xapi.bulk_format`)."""
    async with engine.connect() as conn:
        async for texts in bulk_sql.stream_payloads(conn, since=since, until=until, chunk=chunk):
            if not attachments:
                yield len(texts), [text.encode() + b"\n" for text in texts]
                continue
            lines: list[bytes] = []
            for text in texts:
                lines.extend(await _payload_lines(engine, text))
                lines.append(text.encode() + b"\n")
            yield len(texts), lines


async def _payload_lines(engine: AsyncEngine, text: str) -> list[bytes]:
    """The attachment lines of one stored statement (none for most: a cheap text test first)."""
    if '"attachments"' not in text:
        return []
    sha2s = sorted({str(a["sha2"]) for a in all_attachments(orjson.loads(text)) if "sha2" in a})
    if not sha2s:
        return []
    # Another connection: the export's own is busy with its cursor. Payloads never change.
    async with engine.connect() as conn:
        found = await repo.load_attachments(conn, sha2s)
    return [encode_attachment_line(sha2, ctype, data) for sha2, ctype, data in found]
