"""Ops endpoints outside the xAPI base: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from lrs.api.deps import ContextDep
from lrs.api.responses import JSONResponse
from lrs.services.ops import readiness

router = APIRouter(tags=["ops"])


@router.get("/health")
async def health() -> JSONResponse:
    """The process is alive and answering."""
    return JSONResponse({"status": "ok"})


@router.get("/ready")
async def ready(context: ContextDep) -> JSONResponse:
    """The database answers and its schema is at the head revision; else 503."""
    state = await readiness(context.engine)
    if not state.ready:
        return JSONResponse({"status": "unavailable", "reason": state.reason}, status_code=503)
    return JSONResponse({"status": "ready", "schema": state.schema})


@router.get("/metrics")
async def metrics(context: ContextDep) -> Response:
    pool = context.engine.pool

    def pool_stats() -> tuple[int, int]:
        return int(getattr(pool, "checkedout", lambda: 0)()), int(
            getattr(pool, "size", lambda: 0)()
        )

    return Response(
        context.metrics.render(pool_stats, lambda: context.statement_writer.groups),
        media_type="text/plain; version=0.0.4; charset=utf-8",
    )
