"""Shared setup of the console tests: two console users and logged-in clients."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from lrs.services import console

ADMIN_USER, ADMIN_PASSWORD = "ops-lead", "ops-lead-password"
VIEWER_USER, VIEWER_PASSWORD = "store-manager", "store-manager-password"
BASE = "http://lrs.test"


@pytest.fixture(scope="session")
async def console_users(app: FastAPI) -> None:
    """Made once per database (each test module that imports this fixture asks again)."""
    engine = app.state.lrs.engine
    existing = {user.name for user in await console.list_users(engine)}
    for name, password, role in (
        (ADMIN_USER, ADMIN_PASSWORD, "admin"),
        (VIEWER_USER, VIEWER_PASSWORD, "viewer"),
    ):
        if name not in existing:
            await console.create_user(engine, name, password, role, actor="test")


def browser(app: FastAPI) -> httpx.AsyncClient:
    """A client that keeps cookies, like a browser, without any credentials."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


async def log_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/admin/login", data={"username": username, "password": password})


@pytest.fixture
async def admin_console(app: FastAPI, console_users: None) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app) as client:
        response = await log_in(client, ADMIN_USER, ADMIN_PASSWORD)
        assert response.status_code == 303, response.text
        yield client


@pytest.fixture
async def viewer_console(app: FastAPI, console_users: None) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app) as client:
        response = await log_in(client, VIEWER_USER, VIEWER_PASSWORD)
        assert response.status_code == 303, response.text
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


async def csrf(client: httpx.AsyncClient, page: str = "/admin/") -> str:
    response = await client.get(page)
    assert response.status_code == 200, response.text
    return csrf_of(response.text)
