"""``lrs pull``: copy every statement of another LRS into this one, resumably.

Each page the source answers (stored order, attachments included) goes through the import
path: every statement is checked as a one-statement POST with its payloads
(`lrs.services.bulk.parse_line`) and stored as an exact restore (own id, stored, authority
and version kept; a statement without authority gets the import's, as ``lrs import``
documents). One page is held at a time, and the next is fetched while this one is written:
memory is bounded by the page size, whatever the source holds.

Resume: after a page is written, the ``stored`` of its last statement is saved per source
(table ``pull_positions``). A rerun asks for ``since`` that moment less a millisecond, so
statements sharing the last ``stored`` are read again and skipped as already stored
(statements are idempotent by id, ST-PROC-015): nothing is lost or duplicated. Once a
statement is refused, the position stops moving for the rest of the run, so a rerun meets it
again and never reports success past a loss.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.errors import LRSError
from lrs.services.bulk import ImportLine, ImportReport, batches, parse_line, store_batch
from lrs.services.pull_source import Source, SourcePage, SourceUnavailable, first_page_url
from lrs.services.statements import IngestHook
from lrs.storage import pull as positions
from lrs.storage.database import autocommit
from lrs.xapi.multipart import AttachmentPart
from lrs.xapi.primitives import parse_timestamp
from lrs.xapi.validate.attachments import all_attachments
from lrs.xapi.versions import XapiVersion

# Re-read this much before the saved position: the source's `since` is exclusive and its
# `stored` values may carry no more than milliseconds.
RESUME_OVERLAP = timedelta(milliseconds=1)


@dataclass
class PullReport:
    """What a pull did: `statements` counts (`refused` and `conflicts` hold their position in
    this run and a message), `resumed_after` the saved position it started from, `error` why
    it stopped early (None when it read the source to the end)."""

    statements: ImportReport = field(default_factory=ImportReport)
    pages: int = 0
    retries: int = 0
    resumed_after: datetime | None = None
    position: datetime | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.statements.ok


@dataclass(frozen=True)
class PullOptions:
    since: datetime | None = None
    until: datetime | None = None
    default_version: XapiVersion = XapiVersion.V2_0_0
    page_size: int = 500
    restart: bool = False


def page_lines(
    page: SourcePage, first: int, default: XapiVersion, report: ImportReport
) -> list[ImportLine]:
    """The page's statements checked as ``lrs import`` checks lines, numbered from `first`;
    refused ones go to ``report.invalid`` with their id."""
    lines: list[ImportLine] = []
    for number, statement in enumerate(page.statements, start=first):
        report.read += 1
        try:
            lines.append(parse_line(number, statement, default, _parts_of(statement, page.parts)))
        except LRSError as error:
            where = f" at {error.path}" if error.path else ""
            report.invalid.append((number, f"statement {_id(statement)}: {error.message}{where}"))
    return lines


def _parts_of(statement: Any, parts: Mapping[str, AttachmentPart]) -> dict[str, AttachmentPart]:
    """The page's payloads this statement uses (a page's payloads serve all its statements)."""
    if not parts or not isinstance(statement, dict):
        return {}
    wanted = {a.get("sha2") for a in all_attachments(statement)}
    return {sha2: part for sha2, part in parts.items() if sha2 in wanted}


def _id(statement: Any) -> str:
    return str(statement.get("id")) if isinstance(statement, dict) else "(not an object)"


def _last_position(page: SourcePage) -> tuple[datetime, str] | None:
    """The `stored` and id of the page's last statement, if the source gave them."""
    for statement in reversed(page.statements):
        if isinstance(statement, dict) and isinstance(statement.get("stored"), str):
            try:
                return parse_timestamp(statement["stored"]), _id(statement)
            except ValueError:
                return None
    return None


async def _start(engine: AsyncEngine, source: Source, options: PullOptions) -> datetime | None:
    """The saved position of this source (forgotten first with `restart`)."""
    async with autocommit(engine) as conn:
        if options.restart:
            await positions.forget_position(conn, source.endpoint)
            return None
        saved = await positions.find_position(conn, source.endpoint)
    return saved.last_stored if saved is not None else None


async def pull_statements(
    engine: AsyncEngine,
    source: Source,
    options: PullOptions,
    *,
    authority: dict[str, Any],
    hooks: Sequence[IngestHook] = (),
    progress: Callable[[int], None] = lambda _: None,
) -> PullReport:
    """Copy the source's statements (between `since` and `until`) page by page."""
    report = PullReport()
    report.resumed_after = await _start(engine, source, options)
    since = options.since
    if report.resumed_after is not None:
        resume = report.resumed_after - RESUME_OVERLAP
        since = resume if since is None else max(since, resume)
    url = first_page_url(source.endpoint, since=since, until=options.until, limit=options.page_size)
    fetching: asyncio.Task[SourcePage] | None = asyncio.create_task(source.page(url))
    try:
        while fetching is not None:
            try:
                page = await fetching
            except SourceUnavailable as error:
                report.error = error.message
                break
            fetching = _fetch_next(source, page, url, report)
            url = page.more or url
            await _write_page(engine, source, page, options, authority, hooks, report)
            progress(len(page.statements))
    finally:
        if fetching is not None and not fetching.done():
            fetching.cancel()
        report.retries = source.retries
    return report


def _fetch_next(
    source: Source, page: SourcePage, url: str, report: PullReport
) -> asyncio.Task[SourcePage] | None:
    """Start fetching the page after `page` (fetched from `url`) while this one is written;
    a `more` link pointing back at its own page would loop forever and ends the pull."""
    if page.more is None:
        return None
    if page.more == url:
        report.error = f"the source's more link repeats its page ({page.more})"
        return None
    return asyncio.create_task(source.page(page.more))


async def _write_page(
    engine: AsyncEngine,
    source: Source,
    page: SourcePage,
    options: PullOptions,
    authority: dict[str, Any],
    hooks: Sequence[IngestHook],
    report: PullReport,
) -> None:
    """Store one page, then move the saved position to its end (unless anything was lost)."""
    counts = report.statements
    clean_before = counts.ok
    lines = page_lines(page, counts.read + 1, options.default_version, counts)
    for batch in batches(iter(lines), options.page_size):
        await store_batch(engine, batch, authority, counts, hooks)
    report.pages += 1
    last = _last_position(page)
    if last is None or not (clean_before and counts.ok):
        return
    async with autocommit(engine) as conn:
        await positions.save_position(
            conn,
            source.endpoint,
            last_stored=last[0],
            last_id=last[1],
            received=len(page.statements),
        )
    report.position = last[0]
