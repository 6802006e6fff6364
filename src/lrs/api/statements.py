"""The Statement Resource: PUT, POST, GET and HEAD /xAPI/statements (STR-*, ATT-*, SIG-*)."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, NamedTuple

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from lrs.api.context import AppContext
from lrs.api.deps import get_context, get_version, reconfirmed, remembered_principal
from lrs.api.errors import error_response
from lrs.api.openapi_params import STATEMENT_GET, STATEMENT_POST, STATEMENT_PUT
from lrs.api.responses import JSONResponse
from lrs.auth.principal import Principal, StaleCredential
from lrs.auth.scopes import Access
from lrs.errors import BadRequest, LRSError
from lrs.logs import request_id_var
from lrs.services import statement_query as reads
from lrs.services.batch_process import BATCH_BYTES, BatchJob
from lrs.services.batch_processes import BatchProcesses
from lrs.services.paging import token_codec
from lrs.services.statement_input import StatementInput, read_statement_input
from lrs.services.statements import Attachment, WriteResult
from lrs.xapi.languages import parse_accept_language
from lrs.xapi.multipart import build_multipart_response
from lrs.xapi.validate import parse_uuid_param, query_values
from lrs.xapi.versions import XapiVersion

CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"


class _StatementRoute(APIRoute):
    """Every Statement Resource response carries Consistent-Through, errors included
    (STR-R-008, STR-W-011); other resources' errors are untouched.

    The handlers take the request alone and return a Response, so FastAPI's own handler
    (dependency solving, body parsing into parameters, response serialization, its
    telemetry) has nothing to do for them and is left out: it cost about 17 µs of the
    server's CPU a one-statement POST called in process (7%; 2-3% over HTTP). A handler
    with any other signature gets FastAPI's handler."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        if list(inspect.signature(self.endpoint).parameters) == ["request"]:
            handler: Callable[[Request], Coroutine[Any, Any, Response]] = self.endpoint
        else:
            handler = super().get_route_handler()

        async def with_through(request: Request) -> Response:
            try:
                return await handler(request)
            except LRSError as error:
                through = (
                    error.consistent_through
                    if isinstance(error, reads.StatementNotFound)
                    else await reads.current_consistent_through(get_context(request).engine)
                )
                headers = _through_header(through) if through is not None else {}
                return error_response(error, headers=headers)

        return with_through


router = APIRouter(tags=["statements"], route_class=_StatementRoute)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _through_header(moment: datetime) -> dict[str, str]:
    return {CONSISTENT_THROUGH: _iso(moment)}


class _Call(NamedTuple):
    context: AppContext
    version: XapiVersion
    principal: Principal


async def _call(request: Request, access: Access) -> _Call:
    """What each handler starts from: the app's context, the negotiated version and the
    principal (authenticated before anything of the request is read, possibly remembered:
    `remembered_principal`). Plain calls rather than FastAPI dependencies: resolving them
    as dependencies cost about 30 µs of the server's CPU per request (4% of a
    one-statement POST), on the busiest resource."""
    return _Call(
        get_context(request), get_version(request), await remembered_principal(request, access)
    )


async def _read_body(
    request: Request, body: bytes, context: AppContext, version: XapiVersion, *, single: bool
) -> StatementInput:
    """The PUT or POST body as validated statements and their attachments."""
    return await read_statement_input(
        body,
        request.headers.get("content-type"),
        version,
        single=single,
        max_statements=context.settings.max_batch_statements,
    )


@contextlib.asynccontextmanager
async def _answering_confirmed(
    request: Request, principal: Principal, access: Access
) -> AsyncIterator[None]:
    """An error is answered only to a confirmed credential: one revoked since it was
    remembered gets its 401 instead (`lrs.auth.authenticator`). A statement not found was
    looked for by a read that had confirmed it first."""
    try:
        yield
    except LRSError as error:
        if not principal.confirmed and not isinstance(error, reads.StatementNotFound):
            await reconfirmed(request, principal, access)
        raise


async def _store(
    request: Request,
    context: AppContext,
    principal: Principal,
    statements: Sequence[Mapping[str, Any]],
    version: XapiVersion,
    attachments: Sequence[Attachment],
) -> WriteResult:
    """Store through the statement writer; when it could not confirm a principal taken
    from memory (nothing was stored), authenticate again and store once more."""
    try:
        return await context.statement_writer.store(
            statements, principal=principal, version=version, attachments=attachments
        )
    except StaleCredential:
        principal = await reconfirmed(request, principal, Access.STATEMENTS_WRITE)
        return await context.statement_writer.store(
            statements, principal=principal, version=version, attachments=attachments
        )


@router.put("/xAPI/statements", status_code=204, openapi_extra={"parameters": STATEMENT_PUT})
async def put_statement(request: Request) -> Response:
    """Store one statement under `statementId` (STR-W-001..006)."""
    context, version, principal = await _call(request, Access.STATEMENTS_WRITE)
    async with _answering_confirmed(request, principal, Access.STATEMENTS_WRITE):
        values = query_values(
            request.query_params.multi_items(), ("statementId",), ("statementId",)
        )
        statement_id = parse_uuid_param(values["statementId"], name="statementId")
        data = await _read_body(request, await request.body(), context, version, single=True)
        statement = data.statements[0]
        if "id" in statement and str(statement["id"]).lower() != statement_id:
            raise BadRequest(
                f"the statement id {statement['id']} differs from statementId {statement_id} "
                "(STR-W-003)",
                path="$.id",
            )
        statement = {**statement, "id": statement_id}
        result = await _store(request, context, principal, [statement], version, data.attachments)
    return Response(status_code=204, headers=_through_header(result.consistent_through))


async def _store_in_batch_process(
    request: Request,
    batches: BatchProcesses,
    principal: Principal,
    body: bytes,
    version: XapiVersion,
) -> WriteResult:
    """A large body parsed, validated and stored by the batch process; when it could not
    confirm a principal taken from memory (nothing was stored), authenticate again and send
    the body once more."""

    def job(principal: Principal) -> BatchJob:
        return BatchJob(
            body, request.headers.get("content-type"), version, principal, request_id_var.get()
        )

    try:
        return await batches.store(job(principal))
    except StaleCredential:
        principal = await reconfirmed(request, principal, Access.STATEMENTS_WRITE)
        return await batches.store(job(principal))


@router.post("/xAPI/statements", openapi_extra={"parameters": STATEMENT_POST})
async def post_statements(request: Request) -> JSONResponse:
    """Store one statement or a batch, all or nothing; answer the ids in order (STR-W-007/008).
    Bodies above `BATCH_BYTES` are handled by a batch process (`lrs.services.batch_processes`)."""
    context, version, principal = await _call(request, Access.STATEMENTS_WRITE)
    async with _answering_confirmed(request, principal, Access.STATEMENTS_WRITE):
        query_values(request.query_params.multi_items(), ())
        body = await request.body()
        batches = context.batches
        if batches is not None and len(body) > BATCH_BYTES:
            result = await _store_in_batch_process(request, batches, principal, body, version)
        else:
            data = await _read_body(request, body, context, version, single=False)
            result = await _store(
                request, context, principal, data.statements, version, data.attachments
            )
    return JSONResponse(result.ids, headers=_through_header(result.consistent_through))


@router.get("/xAPI/statements", openapi_extra={"parameters": STATEMENT_GET})
@router.head("/xAPI/statements", include_in_schema=False)
async def get_statements(request: Request) -> Response:
    """One statement by id, or a StatementResult page (STR-R-*, STR-Q-*, STR-M-*, ATT-014)."""
    context, version, principal = await _call(request, Access.STATEMENTS_READ)
    codec = await token_codec(context.engine)
    async with _answering_confirmed(request, principal, Access.STATEMENTS_READ):
        parsed = reads.parse_get(
            request.query_params.multi_items(),
            version,
            max_limit=context.settings.max_query_limit,
            codec=codec,
        )
        languages = parse_accept_language(request.headers.get("accept-language"))
        try:
            page = await reads.read_statements(context.engine, parsed, principal, codec)
        except StaleCredential:
            principal = await reconfirmed(request, principal, Access.STATEMENTS_READ)
            page = await reads.read_statements(context.engine, parsed, principal, codec)
    body = reads.render_body(page, parsed, languages)
    return _respond(body, page, parsed.presentation)


def _respond(body: bytes, page: reads.Page, presentation: reads.Presentation) -> Response:
    headers = _through_header(page.consistent_through)
    if page.rows:
        headers["Last-Modified"] = format_datetime(max(r.stored for r in page.rows), usegmt=True)
    if presentation.attachments:
        multipart, content_type = build_multipart_response(body, page.attachments)
        return Response(multipart, media_type=content_type, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
