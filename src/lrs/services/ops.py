"""What the ops endpoints and the error handler know of the database: whether the server is
ready (the database answers, its schema at this release's head), and which failures mean
the database is away (503) rather than a fault of ours (500)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.storage.database import STATEMENT_ERRORS, client_fault, is_unavailable, ping
from lrs.storage.migrate import current_revision, head_revision

__all__ = [
    "STATEMENT_ERRORS",
    "Readiness",
    "client_fault",
    "database_unavailable",
    "readiness",
]


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str | None = None
    schema: str | None = None


async def readiness(engine: AsyncEngine) -> Readiness:
    """Ready when the database answers and its schema is at the head revision."""
    try:
        await ping(engine)
        revision = await current_revision(engine)
    except Exception as error:  # any failure here means "not ready", never a 500
        return Readiness(False, f"database unreachable: {type(error).__name__}")
    head = head_revision()
    if revision != head:
        return Readiness(False, f"schema at {revision}, expected {head}")
    return Readiness(True, schema=revision)


def database_unavailable(error: BaseException) -> bool:
    """True when `error` (or its cause) says the database cannot be reached."""
    return is_unavailable(error)
