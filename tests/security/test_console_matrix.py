"""Every console route x anonymous, xAPI Basic credentials, a viewer and an admin: the login
form or 401 for the first two, 403 for a viewer on admin routes, allowed for an admin."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.api.console_support import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    VIEWER_PASSWORD,
    VIEWER_USER,
    browser,
    console_users,
    csrf,
    log_in,
)
from tests.conftest import ADMIN_KEY, ADMIN_SECRET, basic
from tests.security.console_endpoints import CONSOLE_ROUTES, ConsoleRoute

__all__ = ["console_users"]

GUARDED = [r for r in CONSOLE_ROUTES if r.needs != "public"]


async def _send(
    client: httpx.AsyncClient, route: ConsoleRoute, token: str, **headers: str
) -> httpx.Response:
    if route.method == "GET":
        return await client.get(route.url, headers=headers)
    return await client.post(route.url, data={**route.form, "csrf": token}, headers=headers)


@pytest.mark.parametrize("route", GUARDED, ids=lambda r: r.id)
async def test_anonymous_and_basic_credentials_get_the_login_form_or_401(
    app: FastAPI, route: ConsoleRoute
) -> None:
    async with browser(app) as client:
        for headers in ({}, {"Authorization": basic(ADMIN_KEY, ADMIN_SECRET)}):
            response = await _send(client, route, "", **headers)
            if route.method == "GET":
                assert response.status_code == 303
                assert response.headers["location"] == "/admin/login"
            else:
                assert response.status_code == 401


@pytest.mark.parametrize("route", GUARDED, ids=lambda r: r.id)
async def test_a_viewer_is_refused_admin_routes(
    app: FastAPI, console_users: None, route: ConsoleRoute
) -> None:
    async with browser(app) as client:
        await log_in(client, VIEWER_USER, VIEWER_PASSWORD)
        response = await _send(client, route, await csrf(client))
        if route.needs == "admin":
            assert response.status_code == 403, response.text
        else:
            assert response.status_code in (200, 303), response.text


@pytest.mark.parametrize("route", GUARDED, ids=lambda r: r.id)
async def test_an_admin_may_use_every_route(
    app: FastAPI, console_users: None, route: ConsoleRoute
) -> None:
    async with browser(app) as client:
        await log_in(client, ADMIN_USER, ADMIN_PASSWORD)
        response = await _send(client, route, await csrf(client))
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500, response.text
        if route.method == "GET":
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/html")
