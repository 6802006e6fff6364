"""The BI export: every statement as one flat, typed row, streamed in constant memory; and
the other datasets, assignments (the roster as a dimension) and door_week (facts per door,
role and ISO week).

Rows come from a server-side cursor in batches and leave as soon as they are rendered, so
the server holds one batch at a time however many statements there are (Parquet: one row
group). The actor is a stable pseudonym unless the caller asks for identities and holds
``ext/bi/identities``.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.errors import BadRequest, TooManyRequests
from lrs.ext.rules.columns import EXPORT_COLUMNS, csv_header, csv_rows, ndjson_rows
from lrs.ext.rules.filters import EXPORT_PARAMS, Filters, date_param, parse_filters
from lrs.ext.services.known import check_filter_ids
from lrs.ext.storage.bi import assignments_sql
from lrs.ext.storage.query import stream_export, stream_rows
from lrs.xapi.validate import parse_bool_param, query_values

# The export formats (their media types are the router's concern).
FORMATS = ("csv", "ndjson", "parquet")
DATASETS = ("statements", "assignments", "door_week")
ASSIGNMENT_COLUMNS = ("actor_key", "door", "role", "valid_from", "valid_to", "tenure_start")
# The parameters each dataset takes besides dataset, format and identities.
_FILTERS = {
    "statements": ("since", "until", "door", "role", "verb", "activity"),
    "assignments": ("door", "role"),
    "door_week": ("since", "until", "door", "role"),
}

Batches = AsyncIterator[Sequence[Sequence[object]]]


@dataclass(frozen=True)
class ExportRequest:
    filters: Filters
    format: str
    identities: bool
    dataset: str = "statements"
    # door_week: the weeks whose Monday falls in [since, until) (dates).
    weeks: tuple[date, date] = (date.min, date.max)


def parse_export(items: Sequence[tuple[str, str]]) -> ExportRequest:
    """dataset: statements (default), assignments or door_week; format: csv (default),
    ndjson or parquet; identities: true for real IFI keys."""
    values = query_values(items, (*EXPORT_PARAMS, "dataset"))
    dataset = values.get("dataset", "statements")
    if dataset not in DATASETS:
        raise BadRequest(f"dataset must be one of {', '.join(DATASETS)}", path="param:dataset")
    for name in values:
        if name in EXPORT_PARAMS[:6] and name not in _FILTERS[dataset]:
            raise BadRequest(f"{name!r} does not apply to dataset {dataset}", path=f"param:{name}")
    fmt = values.get("format", "csv")
    if fmt not in FORMATS:
        raise BadRequest("format must be 'csv', 'ndjson' or 'parquet'", path="param:format")
    identities = parse_bool_param(values.get("identities", "false"), name="identities")
    if dataset == "door_week":
        reason = " for dataset door_week"
        weeks = (
            date_param(values, "since", date.min, reason=reason),
            date_param(values, "until", date.max, reason=reason),
        )
        ids = {k: v for k, v in values.items() if k in ("door", "role")}
        return ExportRequest(parse_filters(ids), fmt, identities, dataset, weeks)
    return ExportRequest(parse_filters(values), fmt, identities, dataset)


# The exports streaming now, per engine (one per worker process), as their live body
# generators: one that ends releases its slot, and so does one dropped unstarted (a client
# gone before the body began), since the set holds it weakly.
_RUNNING: weakref.WeakKeyDictionary[AsyncEngine, weakref.WeakSet[AsyncGenerator[bytes, None]]]
_RUNNING = weakref.WeakKeyDictionary()


def _running(engine: AsyncEngine) -> weakref.WeakSet[AsyncGenerator[bytes, None]]:
    return _RUNNING.setdefault(engine, weakref.WeakSet())


def check_slot(engine: AsyncEngine, limit: int) -> None:
    """429 when `limit` exports already stream from this worker (LRS_MAX_CONCURRENT_EXPORTS)."""
    running = len(_running(engine))
    if running >= limit:
        raise TooManyRequests(
            f"{running} exports are already running, the limit is {limit} "
            "(LRS_MAX_CONCURRENT_EXPORTS); retry later"
        )


async def open_rows(engine: AsyncEngine, request: ExportRequest) -> tuple[Sequence[str], Batches]:
    """The statements or assignments dataset: its columns and its row batches."""
    await check_filter_ids(engine, request.filters)
    if request.dataset == "assignments":
        sql = assignments_sql(identities=request.identities)
        params = {"door": request.filters.door, "role": request.filters.role}
        return ASSIGNMENT_COLUMNS, await stream_rows(engine, sql, params)
    batches = await stream_export(engine, request.filters, identities=request.identities)
    return EXPORT_COLUMNS, batches


async def render(columns: Sequence[str], batches: Batches, fmt: str) -> AsyncGenerator[bytes, None]:
    """The body as chunks: CSV (header first), NDJSON, or Parquet built off the event loop."""
    if fmt == "parquet":
        from lrs.ext.rules.parquet import ParquetStream  # pyarrow loads only when asked for

        stream = await asyncio.to_thread(ParquetStream, columns)
        async for batch in batches:
            chunk = await asyncio.to_thread(stream.add, batch)
            if chunk:
                yield chunk
        yield await asyncio.to_thread(stream.close)
        return
    if fmt == "csv":
        yield csv_header(columns)
    async for batch in batches:
        yield csv_rows(batch) if fmt == "csv" else ndjson_rows(batch, columns)


async def open_export(
    engine: AsyncEngine, request: ExportRequest, *, max_running: int
) -> AsyncGenerator[bytes, None]:
    """The statements or assignments export as chunks. At most `max_running` exports stream
    at once (429 with Retry-After beyond)."""
    check_slot(engine, max_running)
    columns, batches = await open_rows(engine, request)
    try:
        check_slot(engine, max_running)  # again: others may have started while this read
    except TooManyRequests:
        await _close(batches)
        raise

    async def chunks() -> AsyncGenerator[bytes, None]:
        try:
            async for chunk in render(columns, batches, request.format):
                yield chunk
        finally:
            _running(engine).discard(body)
            await _close(batches)

    body = chunks()
    _running(engine).add(body)
    return body


async def _close(batches: Batches) -> None:
    aclose = getattr(batches, "aclose", None)
    if aclose is not None:
        await aclose()
