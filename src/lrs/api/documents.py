"""The three document resources: State, Activity Profile, Agent Profile (DOC-*, CONC-*).

One generic implementation; the resources differ only by their key parameters, their
scopes, whether DELETE may omit the document id (State only, DOC-ST-004) and the rules for
unconditional PUTs (decided in ``lrs.xapi.documents.check_unconditional_put``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from lrs.api.deps import EngineDep, PrincipalDep, SettingsDep, VersionDep
from lrs.api.openapi_params import document_params
from lrs.api.params import check_params
from lrs.auth.scopes import Access
from lrs.errors import BadRequest
from lrs.services import documents as service
from lrs.xapi.documents import DocumentKey, DocumentKind, DocumentScope, Preconditions, etag_for
from lrs.xapi.documents import quote_etag as quoted
from lrs.xapi.ifi import ifi_key
from lrs.xapi.validate import (
    parse_agent_param,
    parse_iri_param,
    parse_timestamp_param,
    parse_uuid_param,
)
from lrs.xapi.versions import XapiVersion

ACTIVITY = "activityId"
AGENT = "agent"
REGISTRATION = "registration"
SINCE = "since"


@dataclass(frozen=True)
class DocumentResource:
    kind: DocumentKind
    path: str
    tag: str
    id_param: str
    key_params: tuple[str, ...]
    read: Access
    write: Access
    bulk_delete: bool = False

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(name for name in self.key_params if name != REGISTRATION)


STATE = DocumentResource(
    DocumentKind.STATE,
    "/xAPI/activities/state",
    "state",
    "stateId",
    (ACTIVITY, AGENT, REGISTRATION),
    Access.STATE_READ,
    Access.STATE_WRITE,
    bulk_delete=True,
)
ACTIVITY_PROFILE = DocumentResource(
    DocumentKind.ACTIVITY_PROFILE,
    "/xAPI/activities/profile",
    "activity profile",
    "profileId",
    (ACTIVITY,),
    Access.PROFILE_READ,
    Access.PROFILE_WRITE,
)
AGENT_PROFILE = DocumentResource(
    DocumentKind.AGENT_PROFILE,
    "/xAPI/agents/profile",
    "agent profile",
    "profileId",
    (AGENT,),
    Access.PROFILE_READ,
    Access.PROFILE_WRITE,
)


@dataclass(frozen=True)
class DocumentTarget:
    """What the query string addresses: one document (``doc_id``) or a scope of them."""

    scope: DocumentScope
    doc_id: str | None
    since: datetime | None

    def key(self) -> DocumentKey:
        assert self.doc_id is not None
        return DocumentKey(
            kind=self.scope.kind,
            doc_id=self.doc_id,
            activity_id=self.scope.activity_id,
            agent_key=self.scope.agent_key,
            registration=self.scope.registration or "",
        )


def _agent_key(raw: str, version: XapiVersion) -> str:
    """Key on the IFI only, ignoring name and member (DOC-015, DOC-AGP-003)."""
    key = ifi_key(parse_agent_param(raw, version))
    if key is None:  # parse_agent_param refuses agents without an IFI
        raise BadRequest("agent must carry an inverse functional identifier", path="param:agent")
    return key


def parse_target(
    resource: DocumentResource,
    request: Request,
    version: XapiVersion,
    *,
    id_required: bool,
    listing: bool = False,
) -> DocumentTarget:
    """Check names (ERR-005/006/008, DOC-014) and values (DOC-013) of the parameters."""
    items = request.query_params.multi_items()
    allowed = [*resource.key_params, resource.id_param, *([SINCE] if listing else [])]
    required = [*resource.required, *([resource.id_param] if id_required else [])]
    check_params(items, allowed=allowed, required=required)
    params = dict(items)
    doc_id = params.get(resource.id_param)
    if doc_id == "":
        raise BadRequest(
            f"{resource.id_param} must not be empty", path=f"param:{resource.id_param}"
        )
    if doc_id is not None and SINCE in params:
        raise BadRequest(  # DOC-ST-005; for the profiles `since` is unknown here (ERR-005)
            f"since applies only to id lists; leave it out when {resource.id_param} is given",
            path="param:since",
        )
    scope = DocumentScope(
        kind=resource.kind,
        activity_id=parse_iri_param(params[ACTIVITY], name=ACTIVITY) if ACTIVITY in params else "",
        agent_key=_agent_key(params[AGENT], version) if AGENT in params else "",
        registration=(
            parse_uuid_param(params[REGISTRATION], name=REGISTRATION)
            if REGISTRATION in params
            else None
        ),
    )
    since = parse_timestamp_param(params[SINCE], name=SINCE) if SINCE in params else None
    return DocumentTarget(scope=scope, doc_id=doc_id, since=since)


def _preconditions(request: Request) -> Preconditions:
    return Preconditions(
        if_match=request.headers.get("if-match"),
        if_none_match=request.headers.get("if-none-match"),
    )


def _http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


async def _read_one(engine: EngineDep, key: DocumentKey) -> Response:
    """The stored bytes under their stored type, with ETag and Last-Modified (DOC-006/007,
    CT-005, CONC-001/002)."""
    document = await service.get_document(engine, key)
    return Response(
        document.content,
        headers={
            "Content-Type": document.content_type,
            "ETag": quoted(document.etag),
            "Last-Modified": _http_date(document.updated),
        },
    )


async def _read_ids(engine: EngineDep, target: DocumentTarget) -> Response:
    """A JSON array of ids (DOC-011) with an ETag (CONC-001) and, when there are documents,
    the latest change time as Last-Modified (DOC-008)."""
    listed = await service.list_document_ids(engine, target.scope, since=target.since)
    body = orjson.dumps(listed.ids)
    headers = {"ETag": quoted(etag_for(body))}
    if listed.last_modified is not None:
        headers["Last-Modified"] = _http_date(listed.last_modified)
    return Response(body, media_type="application/json", headers=headers)


def _router(resource: DocumentResource) -> APIRouter:
    router = APIRouter(tags=[resource.tag])
    name = resource.kind.value

    async def read(
        request: Request, principal: PrincipalDep, engine: EngineDep, version: VersionDep
    ) -> Response:
        """One document with ETag and Last-Modified, or without the id a JSON array of
        ids (with ``since``)."""
        principal.require(resource.read)
        target = parse_target(resource, request, version, id_required=False, listing=True)
        if target.doc_id is None:
            return await _read_ids(engine, target)
        return await _read_one(engine, target.key())

    async def write(
        request: Request,
        principal: PrincipalDep,
        engine: EngineDep,
        settings: SettingsDep,
        version: VersionDep,
    ) -> Response:
        """PUT stores or replaces the document; POST merges a JSON object into it.
        If-Match / If-None-Match are honoured (412)."""
        principal.require(resource.write)
        target = parse_target(resource, request, version, id_required=True)
        document = service.DocumentWrite(
            key=target.key(),
            content=await request.body(),
            content_type=request.headers.get("content-type"),
            conditions=_preconditions(request),
            max_bytes=settings.max_document_bytes,
        )
        if request.method == "PUT":
            await service.put_document(engine, document, version=version)
        else:
            await service.post_document(engine, document)
        return Response(status_code=204)

    async def remove(
        request: Request, principal: PrincipalDep, engine: EngineDep, version: VersionDep
    ) -> Response:
        """Remove one document (If-Match honoured); State without stateId removes every
        document of activity + agent (+ registration)."""
        principal.require(resource.write)
        id_required = not resource.bulk_delete  # DOC-AGP-004, DOC-ACP-003
        target = parse_target(resource, request, version, id_required=id_required)
        if target.doc_id is None:
            await service.delete_documents(engine, target.scope)
        else:
            await service.delete_document(engine, target.key(), _preconditions(request))
        return Response(status_code=204)

    read_params = document_params(resource.id_param, resource.key_params, write=False)
    write_params = document_params(resource.id_param, resource.key_params, write=True)
    router.add_api_route(
        resource.path,
        read,
        methods=["GET"],
        name=f"{name}_get",
        openapi_extra={"parameters": read_params},
    )
    # HEAD answers like GET without a body (CT-007); one schema entry is enough.
    router.add_api_route(
        resource.path, read, methods=["HEAD"], name=f"{name}_head", include_in_schema=False
    )
    for method in ("PUT", "POST"):
        router.add_api_route(
            resource.path,
            write,
            methods=[method],
            name=f"{name}_{method.lower()}",
            status_code=204,
            openapi_extra={"parameters": write_params},
        )
    router.add_api_route(
        resource.path,
        remove,
        methods=["DELETE"],
        name=f"{name}_delete",
        status_code=204,
        openapi_extra={"parameters": write_params},
    )
    return router


router = APIRouter()
for _resource in (STATE, ACTIVITY_PROFILE, AGENT_PROFILE):
    router.include_router(_router(_resource))
