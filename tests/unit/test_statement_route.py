"""The Statement Resource's route class: a handler that takes the request alone runs as it
is (no FastAPI request handler around it); any other handler keeps FastAPI's, with its
parameter parsing and validation."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI, Request
from starlette.responses import JSONResponse, Response

from lrs.api.statements import _StatementRoute


def _app() -> tuple[FastAPI, APIRouter]:
    router = APIRouter(route_class=_StatementRoute)

    @router.get("/plain")
    async def plain(request: Request) -> Response:
        return JSONResponse({"query": request.query_params.get("q")})

    @router.get("/typed")
    async def typed(n: int) -> dict[str, int]:
        return {"n": n}

    app = FastAPI()
    app.include_router(router)
    return app, router


async def test_a_request_only_handler_runs_as_it_is() -> None:
    app, router = _app()
    route = next(r for r in router.routes if getattr(r, "path", None) == "/plain")
    assert isinstance(route, _StatementRoute)
    assert route.endpoint in _wrapped(route)  # the endpoint itself, nothing between
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/plain", params={"q": "x"})
    assert response.status_code == 200
    assert response.json() == {"query": "x"}


def _wrapped(route: _StatementRoute) -> list[object]:
    """What the route's handler calls (its closure)."""
    return [cell.cell_contents for cell in route.get_route_handler().__closure__ or ()]


async def test_any_other_handler_keeps_fastapis() -> None:
    app, router = _app()
    route = next(r for r in router.routes if getattr(r, "path", None) == "/typed")
    assert isinstance(route, _StatementRoute)
    assert route.endpoint not in _wrapped(route)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/typed", params={"n": "3"})).json() == {"n": 3}
        refused = await client.get("/typed", params={"n": "three"})
    assert refused.status_code == 422  # FastAPI's own parameter validation
