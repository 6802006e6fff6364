"""The one place errors become HTTP responses: ``{"error": {status, message, path?}}``."""

from __future__ import annotations

import logging

import asyncpg
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from lrs.errors import BadRequest, DatabaseUnavailable, LRSError
from lrs.storage.database import is_unavailable

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


# PostgreSQL text and jsonb cannot hold U+0000 (and nothing else valid in UTF-8); such a value
# reaches the database only when no earlier check refused it.
_UNSTORABLE = (
    asyncpg.exceptions.CharacterNotInRepertoireError,
    asyncpg.exceptions.UntranslatableCharacterError,
)


# A value past a PostgreSQL limit (an index entry over 2704 bytes) that no earlier length
# check caught: also the client's fault.
_TOO_LARGE = (asyncpg.exceptions.ProgramLimitExceededError,)


def _caused_by(error: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kinds) or isinstance(getattr(seen, "orig", None), kinds):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _unstorable(error: BaseException) -> bool:
    return _caused_by(error, _UNSTORABLE)


async def _database_error(request: Request, error: Exception) -> Response:
    """A value PostgreSQL cannot store is the client's fault (ERR-004), not a 500 (ERR-016)."""
    if _unstorable(error):
        return error_response(
            BadRequest("a value holds a character that cannot be stored (such as U+0000)")
        )
    if _caused_by(error, _TOO_LARGE):
        return error_response(BadRequest("a value is too long to be stored as an identifier"))
    return await _unexpected(request, error)


def unexpected_response(error: Exception) -> Response:
    """The answer to an exception nothing else handled: 503 when the database is away, else
    a logged 500 (called inside the request context, so the log line has the request id)."""
    if is_unavailable(error):
        return error_response(DatabaseUnavailable("the database is unavailable; retry later"))
    log.error("unexpected error", exc_info=error)
    return error_response(LRSError("internal error; the request id in the logs tells more"))


async def _unexpected(_: Request, error: Exception) -> Response:
    return unexpected_response(error)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LRSError, _lrs_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(asyncpg.PostgresError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
