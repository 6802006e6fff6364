"""Ops endpoints outside the xAPI base: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import text

from lrs.api.deps import ContextDep
from lrs.api.responses import JSONResponse
from lrs.storage.database import transaction
from lrs.storage.migrate import current_revision, head_revision

router = APIRouter(tags=["ops"])


@router.get("/health")
async def health() -> JSONResponse:
    """The process is alive and answering."""
    return JSONResponse({"status": "ok"})


@router.get("/ready")
async def ready(context: ContextDep) -> JSONResponse:
    """The database answers and its schema is at the head revision; else 503."""
    try:
        async with transaction(context.engine) as conn:
            await conn.execute(text("SELECT 1"))
        revision = await current_revision(context.engine)
    except Exception as error:  # any failure here means "not ready", never a 500
        return JSONResponse(
            {"status": "unavailable", "reason": f"database unreachable: {type(error).__name__}"},
            status_code=503,
        )
    head = head_revision()
    if revision != head:
        return JSONResponse(
            {"status": "unavailable", "reason": f"schema at {revision}, expected {head}"},
            status_code=503,
        )
    return JSONResponse({"status": "ready", "schema": revision})


@router.get("/metrics")
async def metrics(context: ContextDep) -> Response:
    pool = context.engine.pool

    def pool_stats() -> tuple[int, int]:
        return int(getattr(pool, "checkedout", lambda: 0)()), int(
            getattr(pool, "size", lambda: 0)()
        )

    return Response(
        context.metrics.render(pool_stats),
        media_type="text/plain; version=0.0.4; charset=utf-8",
    )
