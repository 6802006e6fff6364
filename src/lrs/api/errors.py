"""The one place errors become HTTP responses: ``{"error": {status, message, path?}}``."""

from __future__ import annotations

import logging

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from lrs.errors import BadRequest, DatabaseUnavailable, LRSError
from lrs.services.ops import STATEMENT_ERRORS, client_fault, database_unavailable

log = logging.getLogger("lrs.api")


def error_response(error: LRSError, *, headers: dict[str, str] | None = None) -> Response:
    merged = {"Cache-Control": "no-store"}
    if error.status == 401:
        merged["WWW-Authenticate"] = 'Basic realm="xAPI"'
    if error.status in (429, 503):
        merged["Retry-After"] = "2"
    merged.update(headers or {})
    return Response(
        orjson.dumps(error.to_dict()),
        status_code=error.status,
        media_type="application/json",
        headers=merged,
    )


def _validation_path(loc: tuple[object, ...]) -> str:
    if loc and loc[0] in {"query", "header", "path"}:
        return f"param:{loc[-1]}" if loc[0] != "header" else f"header:{loc[-1]}"
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[1:])


async def _lrs_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, LRSError)
    return error_response(error)


async def _request_validation(_: Request, error: Exception) -> Response:
    """FastAPI's 422 becomes xAPI's 400 (ERR-004)."""
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0]
    loc = tuple(first.get("loc", ()))
    message = f"{first.get('msg', 'invalid request')}"
    return error_response(BadRequest(message, path=_validation_path(loc)))


async def _http_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    generic = LRSError(str(error.detail))
    generic.status = error.status_code
    return error_response(generic, headers=dict(error.headers or {}))


async def _database_error(request: Request, error: Exception) -> Response:
    """A value PostgreSQL cannot store is the client's fault (ERR-004), not a 500 (ERR-016)."""
    fault = client_fault(error)
    if fault is not None:
        return error_response(BadRequest(fault))
    return await _unexpected(request, error)


def unexpected_response(error: Exception) -> Response:
    """The answer to an exception nothing else handled: 503 when the database is away, else
    a logged 500 (called inside the request context, so the log line has the request id)."""
    if database_unavailable(error):
        return error_response(DatabaseUnavailable("the database is unavailable; retry later"))
    log.error("unexpected error", exc_info=error)
    return error_response(LRSError("internal error; the request id in the logs tells more"))


async def _unexpected(_: Request, error: Exception) -> Response:
    return unexpected_response(error)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LRSError, _lrs_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for kind in STATEMENT_ERRORS:
        app.add_exception_handler(kind, _database_error)
    app.add_exception_handler(Exception, _unexpected)
