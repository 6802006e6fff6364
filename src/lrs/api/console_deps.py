"""What every console route shares: the session from its cookie, the admin check, the CSRF
and Origin checks of a form post, HTML responses and the HTML error page.

The console never reads the Authorization header: xAPI Basic credentials do not open it,
and its cookie is never looked at by the xAPI routes.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from lrs.api.deps import get_context
from lrs.console.page import NAVIGATION, render
from lrs.errors import Forbidden, LRSError, Unauthorized
from lrs.services import console
from lrs.services.console import ConsoleSession

PREFIX = "/admin"
COOKIE = "lrs_console"
# Pages are never cached, framed, or allowed to load anything from elsewhere.
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' "
    "data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


class LoginRequired(Unauthorized):
    """No live console session: a page answers with a redirect to the login form."""


def page(template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(render(template, **values), status_code=status, headers=HEADERS)


def set_cookie(request: Request, response: Response, token: str) -> None:
    settings = get_context(request).settings
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.console_absolute_hours * 3600,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=settings.console_secure_cookie,
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _session(request: Request) -> ConsoleSession:
    context = get_context(request)
    settings = context.settings
    found = await console.current(
        context.engine,
        request.cookies.get(COOKIE),
        idle=timedelta(minutes=settings.console_idle_minutes),
        absolute=timedelta(hours=settings.console_absolute_hours),
    )
    if found is None:
        raise LoginRequired("log in to the console first")
    request.state.console_session = found  # the error page keeps the navigation
    return found


async def _admin(session: Annotated[ConsoleSession, Depends(_session)]) -> ConsoleSession:
    if not session.is_admin:
        raise Forbidden("this page is for console administrators")
    return session


def check_origin(request: Request) -> None:
    """A cross-site form post is refused: its Origin (or Referer) names another site."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise Forbidden("cross-site request refused")


async def _form(
    request: Request, session: Annotated[ConsoleSession, Depends(_session)]
) -> AsyncIterator[FormData]:
    """The posted form, after the Origin check and the session's CSRF token; its uploaded
    files are closed when the request is done."""
    check_origin(request)
    async with request.form() as form:
        token = form.get("csrf")
        if not isinstance(token, str) or not secrets.compare_digest(token, session.csrf):
            raise Forbidden("the form's CSRF token is missing or wrong; reload the page")
        yield form


Session = Annotated[ConsoleSession, Depends(_session)]
Admin = Annotated[ConsoleSession, Depends(_admin)]
Form = Annotated[FormData, Depends(_form)]


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def back_to(path: str) -> str:
    """The page a form was posted from: the longest console page the path starts with."""
    pages = [p for p, _, _ in NAVIGATION if p != f"{PREFIX}/" and path.startswith(p)]
    return max(pages, key=len, default=f"{PREFIX}/")


def install_console(app: FastAPI) -> None:
    """Errors under /admin/ answer with an HTML page (a missing session: the login form);
    elsewhere the JSON handler answers as before."""
    json_handler = app.exception_handlers[LRSError]

    async def handler(request: Request, error: Exception) -> Response:
        assert isinstance(error, LRSError)
        if not request.url.path.startswith(PREFIX):
            answer = json_handler(request, error)
            return answer if isinstance(answer, Response) else await answer
        if isinstance(error, LoginRequired) and request.method in ("GET", "HEAD"):
            return RedirectResponse(f"{PREFIX}/login", status_code=303, headers=HEADERS)
        if request.url.path == f"{PREFIX}/login":
            username = getattr(request.state, "console_username", "")
            return page("login.html", status=error.status, message=error.message, username=username)
        session = getattr(request.state, "console_session", None)
        back = back_to(request.url.path)
        return page(
            "error.html",
            status=error.status,
            user=session,
            current=back,
            heading=f"Not done ({error.status})",
            message=error.message,
            back=back,
        )

    app.add_exception_handler(LRSError, handler)
