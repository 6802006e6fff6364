"""The one exception tree of lrs; each class knows its HTTP status.

    LRSError (500)
     +-- BadRequest (400)            invalid argument, JSON or statement; carries a JSON path
     |    +-- VersionError (400)     missing or unsupported X-Experience-API-Version
     +-- Unauthorized (401)          missing or refused credentials
     +-- Forbidden (403)             credentials lack the scope
     +-- NotFound (404)
     +-- Conflict (409)              statement id reused with other content; PUT without If-Match
     +-- PreconditionFailed (412)    If-Match / If-None-Match did not hold
     +-- PayloadTooLarge (413)       body, batch or document past the configured limit
     +-- TooManyRequests (429)       a bounded resource (concurrent exports) is in full use
     +-- DatabaseUnavailable (503)   PostgreSQL is unreachable

Domain code raises these; `lrs.api.errors` renders every one as
``{"error": {"status": ..., "message": ..., "path": ...}}``.
"""

from __future__ import annotations


class LRSError(Exception):
    """Base of every error lrs raises on purpose."""

    status: int = 500

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled whole (path and an instance's own status included): the batch process
        sends errors back to the server (`lrs.services.batch_process`)."""
        return (_rebuilt, (type(self), self.message, dict(self.__dict__)))

    def to_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"status": self.status, "message": self.message}
        if self.path is not None:
            body["path"] = self.path
        return {"error": body}


def _rebuilt(kind: type[LRSError], message: str, state: dict[str, object]) -> LRSError:
    error = kind.__new__(kind)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class BadRequest(LRSError):
    status = 400


class VersionError(BadRequest):
    """The X-Experience-API-Version header is missing or not supported (HDR-005..008)."""


class Unauthorized(LRSError):
    status = 401


class Forbidden(LRSError):
    status = 403


class NotFound(LRSError):
    status = 404


class Conflict(LRSError):
    status = 409


class PreconditionFailed(LRSError):
    status = 412


class PayloadTooLarge(LRSError):
    status = 413


class TooManyRequests(LRSError):
    status = 429


class DatabaseUnavailable(LRSError):
    status = 503
