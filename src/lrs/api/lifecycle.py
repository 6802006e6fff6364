"""Erasure, purge and the audit trail under /xAPI/extensions/ (scope ``admin`` only; `all`
does not grant it). Thin: read, call one service, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from lrs.api.deps import ContextDep, PagingDep, VersionDep, require
from lrs.api.openapi_params import json_body
from lrs.api.responses import JSONResponse
from lrs.auth.principal import Principal
from lrs.auth.scopes import Access
from lrs.services import audit_query, erasure, purge
from lrs.services.lifecycle_input import parse_erasure, parse_purge
from lrs.xapi.jsonparse import loads_strict
from lrs.xapi.validate import query_values

router = APIRouter(prefix="/xAPI/extensions", tags=["administration"])

Admin = Annotated[Principal, Depends(require(Access.ADMIN))]

_ERASURE_BODY = json_body(
    {
        "type": "object",
        "properties": {
            "agent": {"type": "object", "description": "an Agent or identified Group"},
            "actor_key": {"type": "string", "description": "the BI pseudonym"},
            "dry_run": {"type": "boolean", "default": False},
        },
    }
)
_PURGE_BODY = json_body(
    {
        "type": "object",
        "required": ["before"],
        "properties": {
            "before": {"type": "string", "format": "date-time"},
            "dry_run": {"type": "boolean", "default": False},
        },
    }
)


async def _body(request: Request) -> object:
    query_values(request.query_params.multi_items(), ())
    return loads_strict(await request.body(), path="$")


@router.post("/erasure", openapi_extra=_ERASURE_BODY)
async def post_erasure(
    request: Request, context: ContextDep, version: VersionDep, principal: Admin
) -> JSONResponse:
    """Erase one person (by `agent` or `actor_key`) everywhere; `dry_run` only counts."""
    parsed = parse_erasure(await _body(request), version)
    return JSONResponse(await erasure.erase(context.engine, parsed, actor=principal.key))


@router.post("/purge", openapi_extra=_PURGE_BODY)
async def post_purge(request: Request, context: ContextDep, principal: Admin) -> JSONResponse:
    """Purge every statement stored before `before`, in chunks; `dry_run` only counts."""
    parsed = parse_purge(await _body(request))
    return JSONResponse(await purge.purge(context.engine, parsed, actor=principal.key))


@router.get("/audit")
async def get_audit(request: Request, context: ContextDep, _: Admin, codec: PagingDep) -> Response:
    """Audit entries oldest first; filters since, until, action; paged by `more`."""
    query = audit_query.parse_audit_query(request.query_params.multi_items(), codec)
    body = await audit_query.read_page(context.engine, query, codec)
    return Response(body, media_type="application/json")
