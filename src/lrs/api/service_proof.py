"""Service proof under /xAPI/extensions/service-proof (thin: read, call the service, render).

Scopes: ``ext/tags/write`` manages rules; ``ext/bi/read`` reads rules, cases and the review.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from lrs.api.deps import ContextDep, ExtReader, ExtWriter
from lrs.api.responses import JSONResponse
from lrs.services import service_proof as service
from lrs.xapi.jsonparse import loads_strict
from lrs.xapi.validate import query_values

router = APIRouter(prefix="/xAPI/extensions/service-proof", tags=["service-proof"])


@router.put("/rules/{rule}")
async def put_rule(rule: str, request: Request, context: ContextDep, _: ExtWriter) -> JSONResponse:
    """Create or replace a rule (JSON; see examples/rules/); errors name the bad field."""
    query_values(request.query_params.multi_items(), ())
    body = loads_strict(await request.body(), path="$")
    return JSONResponse(await service.put_rule(context.engine, rule, body))


@router.get("/rules/{rule}")
async def get_rule(rule: str, context: ContextDep, _: ExtReader) -> JSONResponse:
    return JSONResponse(await service.get_rule(context.engine, rule))


@router.delete("/rules/{rule}", status_code=204)
async def delete_rule(rule: str, context: ContextDep, _: ExtWriter) -> Response:
    await service.delete_rule(context.engine, rule)
    return Response(status_code=204)


@router.get("/rules")
async def list_rules(request: Request, context: ContextDep, _: ExtReader) -> JSONResponse:
    query_values(request.query_params.multi_items(), ())
    return JSONResponse({"rules": await service.list_rules(context.engine)})


@router.get("/cases")
async def list_cases(request: Request, context: ContextDep, _: ExtReader) -> JSONResponse:
    """Cases opened in [since, until) (default: the last 30 days) with every obligation's
    status; filters: rule, door, status (the case's worst), limit."""
    items = request.query_params.multi_items()
    return JSONResponse(await service.list_cases(context.engine, items))


@router.get("/report")
async def report(request: Request, context: ContextDep, _: ExtReader) -> Response:
    """The weekly exception review of an ISO week (week=YYYY-Www), as json, csv or html."""
    body, media_type = await service.report(context.engine, request.query_params.multi_items())
    if isinstance(body, str):
        return Response(body, media_type=media_type)
    return JSONResponse(body)
