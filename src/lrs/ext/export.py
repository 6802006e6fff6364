"""The BI export: every statement as one flat, typed row, streamed in constant memory.

Rows come from a server-side cursor in batches and leave as soon as they are rendered, so
the server holds one batch at a time however many statements there are. The actor is a
stable pseudonym unless the caller asks for identities and holds ``ext/bi/identities``.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.errors import BadRequest, TooManyRequests
from lrs.ext.columns import csv_header, csv_rows, ndjson_rows
from lrs.ext.filters import EXPORT_PARAMS, Filters, parse_filters
from lrs.ext.registry import Ref, check_known
from lrs.ext.storage_query import stream_export
from lrs.storage.database import read_only
from lrs.xapi.validate import parse_bool_param, query_values

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}


@dataclass(frozen=True)
class ExportRequest:
    filters: Filters
    format: str
    identities: bool


def parse_export(items: Sequence[tuple[str, str]]) -> ExportRequest:
    """format: csv (default) or ndjson; identities: true for real IFI keys."""
    values = query_values(items, EXPORT_PARAMS)
    fmt = values.get("format", "csv")
    if fmt not in MEDIA_TYPES:
        raise BadRequest("format must be 'csv' or 'ndjson'", path="param:format")
    identities = parse_bool_param(values.get("identities", "false"), name="identities")
    return ExportRequest(parse_filters(values), fmt, identities)


async def check_filter_ids(engine: AsyncEngine, filters: Filters) -> None:
    """A door or role filter must name a registered id (400, not an empty result)."""
    if filters.door is None and filters.role is None:
        return
    async with read_only(engine) as conn:
        await check_known(conn, [Ref(0, filters.door, filters.role, "param")])


# The exports streaming now, per engine (one per worker process), as their live body
# generators: one that ends releases its slot, and so does one dropped unstarted (a client
# gone before the body began), since the set holds it weakly.
_RUNNING: weakref.WeakKeyDictionary[AsyncEngine, weakref.WeakSet[AsyncGenerator[bytes, None]]]
_RUNNING = weakref.WeakKeyDictionary()


def _running(engine: AsyncEngine) -> weakref.WeakSet[AsyncGenerator[bytes, None]]:
    return _RUNNING.setdefault(engine, weakref.WeakSet())


def _check_slot(engine: AsyncEngine, limit: int) -> None:
    running = len(_running(engine))
    if running >= limit:
        raise TooManyRequests(
            f"{running} exports are already running, the limit is {limit} "
            "(LRS_MAX_CONCURRENT_EXPORTS); retry later"
        )


async def open_export(
    engine: AsyncEngine, request: ExportRequest, *, max_running: int
) -> AsyncGenerator[bytes, None]:
    """The export body as chunks: the header (CSV), then one chunk per batch of rows. At most
    `max_running` exports stream at once (429 with Retry-After beyond)."""
    await check_filter_ids(engine, request.filters)
    _check_slot(engine, max_running)
    batches = await stream_export(engine, request.filters, identities=request.identities)
    try:
        _check_slot(engine, max_running)  # again: others may have started while this read
    except TooManyRequests:
        await batches.aclose()
        raise
    render = csv_rows if request.format == "csv" else ndjson_rows

    async def chunks() -> AsyncGenerator[bytes, None]:
        try:
            if request.format == "csv":
                yield csv_header()
            async for batch in batches:
                yield render(batch)
        finally:
            _running(engine).discard(body)
            await batches.aclose()

    body = chunks()
    _running(engine).add(body)
    return body
