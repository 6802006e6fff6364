"""The door and role extension under /xAPI/extensions/ (thin: read, call lrs.ext, render).

The version header is accepted here but not required, so plain BI connectors work.
Scopes: ``ext/tags/write`` for the registry, roster, tags and KPIs; ``ext/bi/read`` for reads,
exports, summaries and comparisons; ``ext/bi/identities`` for real IFIs in exports and for
aggregates without small-group suppression.

Doors and roles are one generic resource: `registry_routes` adds the same four routes for
each `RegistryKind`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.responses import Response

from lrs.api import ext_schemas as schemas
from lrs.api.context import AppContext
from lrs.api.deps import ContextDep, ExtReader, ExtWriter, PagingDep, VersionDep
from lrs.api.path_params import named_path_param
from lrs.api.responses import JSONResponse
from lrs.auth.principal import Principal
from lrs.auth.scopes import Access
from lrs.ext.rules import csvio
from lrs.ext.rules.model import check_id
from lrs.ext.services import door_week, kpis, queries, registry, roster, summary, tagging
from lrs.ext.services.export import parse_export
from lrs.ext.services.registry import RegistryKind
from lrs.xapi.ifi import ifi_key
from lrs.xapi.validate import parse_agent_param, parse_bool_param, parse_uuid_param, query_values

router = APIRouter(prefix="/xAPI/extensions", tags=["extensions"])

# The media type of each export format.
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "ndjson": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}

Endpoint = Callable[..., Awaitable[JSONResponse]]


async def _json(request: Request) -> Any:
    query_values(request.query_params.multi_items(), ())
    return await csvio.load_json(await request.body())


async def _bulk(request: Request, kind: csvio.Kind) -> csvio.BulkBody:
    query_values(request.query_params.multi_items(), ())
    return await csvio.load_bulk(await request.body(), request.headers.get("content-type"), kind)


def _minimum(context: AppContext, principal: Principal) -> int | None:
    """The smallest group an aggregate may show this caller; None: every group."""
    return None if principal.allows(Access.EXT_IDENTITIES) else context.settings.min_group_size


def _active(request: Request) -> bool | None:
    values = query_values(request.query_params.multi_items(), ("active",))
    raw = values.get("active")
    return None if raw is None else parse_bool_param(raw, name="active")


def registry_routes(
    kind: RegistryKind[Any], schema: dict[str, Any], docs: Mapping[str, str]
) -> None:
    """PUT and GET /{plural}/{id}, GET and POST /{plural} for one kind of registry entry;
    `docs` holds the OpenAPI description of a route, by its name."""

    async def put_entry(
        ident: str, request: Request, context: ContextDep, principal: ExtWriter
    ) -> JSONResponse:
        check_id(ident, f"param:{kind.id_param}", kind.name)
        body = await _json(request)
        saved = await registry.put_entry(context.engine, kind, ident, body, actor=principal.key)
        return JSONResponse(kind.to_json(saved))

    async def get_entry(ident: str, context: ContextDep, _: ExtReader) -> JSONResponse:
        return JSONResponse(kind.to_json(await registry.get_entry(context.engine, kind, ident)))

    async def list_entries(request: Request, context: ContextDep, _: ExtReader) -> JSONResponse:
        entries = await registry.list_entries(context.engine, kind, _active(request))
        return JSONResponse({kind.plural: [kind.to_json(e) for e in entries]})

    async def post_entries(
        request: Request, context: ContextDep, principal: ExtWriter
    ) -> JSONResponse:
        bulk = await _bulk(request, kind.csv)
        count = await registry.bulk_upsert(context.engine, kind, bulk, actor=principal.key)
        return JSONResponse({"upserted": count})

    one, many = f"/{kind.plural}/{{{kind.id_param}}}", f"/{kind.plural}"
    put_body = schemas.body(schema, bulk=False)
    post_body = schemas.body(schema, bulk=True, csv_columns=", ".join(kind.csv.columns))
    routes: tuple[tuple[str, Endpoint, str, str, dict[str, Any] | None], ...] = (
        (one, named_path_param(put_entry, kind.id_param), "PUT", f"put_{kind.name}", put_body),
        (one, named_path_param(get_entry, kind.id_param), "GET", f"get_{kind.name}", None),
        (many, list_entries, "GET", f"list_{kind.plural}", None),
        (many, post_entries, "POST", f"post_{kind.plural}", post_body),
    )
    for path, endpoint, method, name, extra in routes:
        router.add_api_route(
            path,
            endpoint,
            methods=[method],
            name=name,
            description=docs.get(name),
            openapi_extra=extra,
        )


registry_routes(
    registry.DOORS,
    schemas.DOOR,
    {
        "put_door": 'Create or replace a door; `"active": false` deactivates it.',
        "list_doors": "Every door, by id; `active=true|false` filters.",
        "post_doors": "Upsert many doors (JSON array or CSV), all or nothing.",
    },
)
registry_routes(registry.ROLES, schemas.ROLE, {})


@router.post(
    "/roster",
    openapi_extra=schemas.body(
        schemas.ASSIGNMENT, bulk=True, csv_columns=", ".join(csvio.ROSTER.columns)
    ),
)
async def post_roster(
    request: Request,
    context: ContextDep,
    version: VersionDep,
    principal: ExtWriter,
) -> JSONResponse:
    """Upsert assignments (key: agent and valid_from) and re-tag the agents' statements."""
    bulk = await _bulk(request, csvio.ROSTER)
    result = await roster.upsert_roster(context.engine, bulk, version, actor=principal.key)
    return JSONResponse({"assignments": result.assignments, "retagged": result.retagged})


@router.get("/roster")
async def get_roster(
    request: Request,
    context: ContextDep,
    version: VersionDep,
    _: ExtReader,
) -> JSONResponse:
    """The assignments of one agent (`agent`: an Agent as JSON), oldest first."""
    values = query_values(request.query_params.multi_items(), ("agent",), ("agent",))
    agent = parse_agent_param(values["agent"], version)
    rows = await roster.roster_of(context.engine, ifi_key(agent) or "")
    return JSONResponse({"assignments": [roster.roster_json(r) for r in rows]})


@router.put(
    "/tags/{statementId}", status_code=204, openapi_extra=schemas.body(schemas.TAG, bulk=False)
)
async def put_tag(
    statementId: str,  # the path parameter's name in the interface
    request: Request,
    context: ContextDep,
    _: ExtWriter,
) -> Response:
    """Set the explicit tag of a statement; `{}` or nulls clear it."""
    statement_id = parse_uuid_param(statementId, name="statementId")
    await tagging.put_tag(context.engine, statement_id, await _json(request))
    return Response(status_code=204)


@router.get("/tags/{statementId}")
async def get_tag(
    statementId: str,
    context: ContextDep,
    _: ExtReader,
) -> JSONResponse:
    """The effective tag of a statement and each source's row."""
    statement_id = parse_uuid_param(statementId, name="statementId")
    return JSONResponse(await tagging.get_tags(context.engine, statement_id))


@router.post(
    "/tags",
    openapi_extra=schemas.body(
        schemas.BULK_TAG, bulk=True, csv_columns=", ".join(csvio.TAGS.columns)
    ),
)
async def post_tags(request: Request, context: ContextDep, _: ExtWriter) -> JSONResponse:
    """Explicit tags for many statements (JSON array or CSV), all or nothing."""
    count = await tagging.bulk_tags(context.engine, await _bulk(request, csvio.TAGS))
    return JSONResponse({"tagged": count})


@router.get("/statements")
async def get_statements(
    request: Request, context: ContextDep, principal: ExtReader, codec: PagingDep
) -> Response:
    """Statements by door, role, since, until, verb, activity; paged by `more`."""
    query = queries.parse_query(
        request.query_params.multi_items(),
        max_limit=context.settings.max_query_limit,
        codec=codec,
    )
    body = await queries.run_query(context.engine, query, principal, codec)
    return Response(body, media_type="application/json")


@router.get("/export", responses=schemas.EXPORT_RESPONSES)
async def get_export(
    request: Request, context: ContextDep, principal: ExtReader
) -> StreamingResponse:
    """A BI dataset, streamed: `dataset=statements|assignments|door_week`,
    `format=csv|ndjson|parquet`, filters since, until, door, role, verb, activity (as the
    dataset takes them); `identities=true` (scope ext/bi/identities) for real IFI keys."""
    export = parse_export(request.query_params.multi_items())
    if export.identities:
        principal.require(Access.EXT_IDENTITIES)
    chunks = await door_week.open_dataset(
        context.engine,
        export,
        suppressed=_minimum(context, principal),
        max_running=context.settings.max_concurrent_exports,
    )
    return StreamingResponse(
        chunks,
        media_type=MEDIA_TYPES[export.format],
        headers={
            "Content-Disposition": (f'attachment; filename="lrs-{export.dataset}.{export.format}"'),
            "Cache-Control": "no-store",
        },
    )


@router.get("/summary")
async def get_summary(request: Request, context: ContextDep, principal: ExtReader) -> JSONResponse:
    """Statements and distinct actors grouped by door, role, verb, activity, day or week."""
    parsed = summary.parse_summary_params(request.query_params.multi_items())
    minimum = _minimum(context, principal)
    return JSONResponse(await summary.run_summary(context.engine, parsed, suppressed=minimum))


@router.post(
    "/kpis",
    openapi_extra=schemas.body(schemas.KPI, bulk=True, csv_columns=", ".join(csvio.KPIS.columns)),
)
async def post_kpis(request: Request, context: ContextDep, _: ExtWriter) -> JSONResponse:
    """Upsert KPI rows by door, period, period_start and metric (JSON array or CSV)."""
    count = await kpis.upsert_kpis(context.engine, await _bulk(request, csvio.KPIS))
    return JSONResponse({"upserted": count})


@router.get("/kpis")
async def get_kpis(request: Request, context: ContextDep, _: ExtReader) -> JSONResponse:
    """KPI rows; filters door, metric, period, since and until (dates on period_start)."""
    query = kpis.parse_kpi_query(request.query_params.multi_items())
    return JSONResponse(await kpis.list_kpis(context.engine, query))


@router.get("/compare")
async def get_compare(request: Request, context: ContextDep, principal: ExtReader) -> JSONResponse:
    """Door-week figures per week over a baseline and a period window, by door, role and
    tenure band, with absolute and relative change."""
    parsed = door_week.parse_compare(request.query_params.multi_items())
    bands = context.settings.tenure_bands
    result = await door_week.compare(
        context.engine, parsed, bands, suppressed=_minimum(context, principal)
    )
    return JSONResponse(result)
