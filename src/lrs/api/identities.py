"""GET/HEAD /xAPI/agents (AGT-*) and /xAPI/activities (ACT-*): read-only views."""

from __future__ import annotations

from fastapi import APIRouter, Request

from lrs.api.deps import EngineDep, PrincipalDep, VersionDep
from lrs.api.openapi_params import ACTIVITIES_GET, AGENTS_GET
from lrs.api.params import check_params
from lrs.api.responses import JSONResponse
from lrs.auth.scopes import Access
from lrs.services import identities as service
from lrs.xapi.validate import parse_agent_param, parse_iri_param

router = APIRouter()


async def agents(
    request: Request, principal: PrincipalDep, engine: EngineDep, version: VersionDep
) -> JSONResponse:
    """The Person object for a plain Agent (AGT-001..006); a Group is 400 (AGT-002)."""
    principal.require(Access.DEFINITIONS_READ)
    items = request.query_params.multi_items()
    check_params(items, allowed=["agent"], required=["agent"])
    agent = parse_agent_param(dict(items)["agent"], version, allow_identified_group=False)
    return JSONResponse(await service.get_person(engine, agent))


async def activities(request: Request, principal: PrincipalDep, engine: EngineDep) -> JSONResponse:
    """The canonical Activity (ACT-001, ACT-004/005), or just its id when unknown (ACT-002);
    ``activityId`` must be an IRI (ACT-003)."""
    principal.require(Access.DEFINITIONS_READ)
    items = request.query_params.multi_items()
    check_params(items, allowed=["activityId"], required=["activityId"])
    activity_id = parse_iri_param(dict(items)["activityId"], name="activityId")
    return JSONResponse(await service.get_activity(engine, activity_id))


for _path, _handler, _tag, _params in (
    ("/xAPI/agents", agents, "agents", AGENTS_GET),
    ("/xAPI/activities", activities, "activities", ACTIVITIES_GET),
):
    router.add_api_route(
        _path,
        _handler,
        methods=["GET"],
        name=f"{_tag}_get",
        tags=[_tag],
        openapi_extra={"parameters": _params},
    )
    # HEAD answers like GET without a body (CT-007).
    router.add_api_route(
        _path, _handler, methods=["HEAD"], name=f"{_tag}_head", tags=[_tag], include_in_schema=False
    )
