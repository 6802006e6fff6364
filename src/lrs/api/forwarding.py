"""Forwarding targets under /xAPI/extensions/forwarding/ (thin: read, call the service,
render). Scope `admin` only. Secrets are accepted on create and update, never returned."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from lrs.api.deps import ContextDep, require
from lrs.api.openapi_params import json_body
from lrs.api.responses import JSONResponse
from lrs.auth.principal import Principal
from lrs.auth.scopes import Access
from lrs.services import forwarding
from lrs.xapi.jsonparse import loads_strict
from lrs.xapi.validate import parse_limit_param, query_values

router = APIRouter(prefix="/xAPI/extensions/forwarding", tags=["forwarding"])
Admin = Annotated[Principal, Depends(require(Access.ADMIN))]

_FILTERS = {
    "type": "object",
    "description": "each key given must match; a value is a string or a list (any of them)",
    "properties": {
        key: {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
        for key in ("verb", "activity", "activity_type", "door", "role", "xapi_version")
    },
}
_TARGET = {
    "type": "object",
    "required": ["type", "url"],
    "properties": {
        "type": {"type": "string", "enum": ["xapi", "webhook"]},
        "name": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        "username": {"type": "string", "description": "xapi: Basic user at the target"},
        "password": {"type": "string", "description": "xapi: stored encrypted, never shown"},
        "xapi_version": {"type": "string", "enum": ["1.0.3", "2.0.0"]},
        "secret": {"type": "string", "description": "webhook: HMAC key, never shown"},
        "filters": _FILTERS,
        "paused": {"type": "boolean", "description": "update only"},
    },
}
_REPLAY = {
    "type": "object",
    "properties": {
        "dead_letters": {
            "oneOf": [
                {"type": "string", "enum": ["all"]},
                {"type": "array", "items": {"type": "integer"}},
            ]
        },
        "since": {"type": "string", "format": "date-time"},
        "until": {"type": "string", "format": "date-time"},
    },
}


async def _json(request: Request) -> Any:
    query_values(request.query_params.multi_items(), ())
    return loads_strict(await request.body(), path="$")


@router.post("/targets", status_code=201, openapi_extra=json_body(_TARGET))
async def create_target(request: Request, context: ContextDep, _: Admin) -> JSONResponse:
    """Create a target; it receives the statements stored from now on."""
    body = await _json(request)
    target = await forwarding.create_target(context.engine, body, context.settings.secret_key)
    return JSONResponse(target, status_code=201)


@router.get("/targets")
async def list_targets(context: ContextDep, _: Admin) -> JSONResponse:
    return JSONResponse({"targets": await forwarding.list_targets(context.engine)})


@router.get("/targets/{target_id}")
async def get_target(target_id: str, context: ContextDep, _: Admin) -> JSONResponse:
    """A target with its status: pending, lag, delivered, retried and dead counts."""
    return JSONResponse(await forwarding.get_target(context.engine, target_id))


@router.put("/targets/{target_id}", openapi_extra=json_body(_TARGET))
async def put_target(
    target_id: str, request: Request, context: ContextDep, _: Admin
) -> JSONResponse:
    """Change a target (fields left out are kept); `"paused": true|false` pauses, resumes."""
    body = await _json(request)
    secret_key = context.settings.secret_key
    return JSONResponse(await forwarding.update_target(context.engine, target_id, body, secret_key))


@router.delete("/targets/{target_id}", status_code=204)
async def delete_target(target_id: str, context: ContextDep, _: Admin) -> Response:
    await forwarding.delete_target(context.engine, target_id)
    return Response(status_code=204)


@router.get("/targets/{target_id}/dead-letters")
async def get_dead_letters(
    target_id: str, request: Request, context: ContextDep, _: Admin
) -> JSONResponse:
    """Dead letters oldest first, paged by `after` (the last id seen) and `limit` (at most
    1000; 0 or none: 100)."""
    values = query_values(request.query_params.multi_items(), ("limit", "after"))
    limit = min(parse_limit_param(values.get("limit", "0")) or 100, 1000)
    after = parse_limit_param(values.get("after", "0"), name="after")
    return JSONResponse(await forwarding.dead_letters(context.engine, target_id, after, limit))


@router.post("/targets/{target_id}/replay", openapi_extra=json_body(_REPLAY))
async def replay(target_id: str, request: Request, context: ContextDep, _: Admin) -> JSONResponse:
    """Queue dead letters again (`{}` or `{"dead_letters": "all" | [ids]}`) or every
    statement stored in `[since, until)`."""
    body = await _json(request)
    size = context.settings.forwarding_batch_size
    return JSONResponse(await forwarding.replay(context.engine, target_id, body, size))
