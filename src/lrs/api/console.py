"""The admin console under /admin/: login, logout and the overview (HTML, not in the
OpenAPI schema). Thin: read the form, call one service, render."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from lrs.api.console_deps import (
    HEADERS,
    PREFIX,
    Form,
    Session,
    check_origin,
    client_address,
    field,
    page,
    set_cookie,
)
from lrs.api.deps import ContextDep
from lrs.console.charts import Bar, bar_chart
from lrs.services import console, console_overview

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/login")
async def login_form() -> HTMLResponse:
    return page("login.html", message=None, username="")


@router.post("/login")
async def login(request: Request, context: ContextDep) -> Response:
    """Fields `username` and `password`; a session cookie and a redirect to the overview."""
    check_origin(request)
    form = await request.form()
    username = field(form, "username")
    request.state.console_username = username  # shown again if the login is refused
    password = form.get("password")
    session = await console.login(
        context.engine,
        username,
        password if isinstance(password, str) else "",
        client_address(request),
        absolute=timedelta(hours=context.settings.console_absolute_hours),
    )
    response = RedirectResponse(f"{PREFIX}/", status_code=303, headers=HEADERS)
    set_cookie(request, response, session.token)
    return response


@router.post("/logout")
async def logout(context: ContextDep, session: Session, _: Form) -> Response:
    await console.logout(context.engine, session)
    response = RedirectResponse(f"{PREFIX}/login", status_code=303, headers=HEADERS)
    response.delete_cookie("lrs_console", path=PREFIX)
    return response


@router.get("/")
async def overview(context: ContextDep, session: Session) -> HTMLResponse:
    figures = await console_overview.overview(context.engine)
    chart = bar_chart(
        [Bar(day.strftime("%m-%d"), n) for day, n in figures.per_day],
        title=f"Statements stored per day, last {figures.days} days",
    )
    return page("overview.html", user=session, current=f"{PREFIX}/", o=figures, chart=chart)
