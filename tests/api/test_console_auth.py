"""The console's login, sessions, CSRF, throttling and roles, over HTTP on real PostgreSQL;
console users are not xAPI credentials and the two never open each other's doors."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from lrs.app import create_app
from lrs.services import console
from lrs.settings import Settings
from tests.api.console_support import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    VIEWER_PASSWORD,
    VIEWER_USER,
    admin_console,
    browser,
    console_users,
    csrf,
    log_in,
    viewer_console,
)
from tests.conftest import ADMIN_KEY, ADMIN_SECRET, basic

__all__ = ["admin_console", "console_users", "viewer_console"]


async def test_login_sets_a_strict_httponly_cookie_and_opens_the_overview(
    app: FastAPI, console_users: None
) -> None:
    async with browser(app) as client:
        response = await log_in(client, ADMIN_USER, ADMIN_PASSWORD)
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/"
        cookie = response.headers["set-cookie"].lower()
        for attribute in ("httponly", "samesite=strict", "path=/admin"):
            assert attribute in cookie
        assert "secure" not in cookie
        page = await client.get("/admin/")
        assert page.status_code == 200
        assert "Overview" in page.text
        assert ADMIN_USER in page.text
        assert page.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_the_secure_setting_marks_the_cookie_secure(
    settings: Settings, console_users: None
) -> None:
    secure_app = create_app(settings.model_copy(update={"console_secure_cookie": True}))
    async with secure_app.router.lifespan_context(secure_app), browser(secure_app) as client:
        response = await log_in(client, ADMIN_USER, ADMIN_PASSWORD)
        assert response.status_code == 303
        assert "secure" in response.headers["set-cookie"].lower()


@pytest.mark.parametrize(
    ("username", "password"),
    [(ADMIN_USER, "wrong-password"), ("nobody-at-all", "whatever1"), (ADMIN_USER, "")],
)
async def test_a_wrong_password_or_user_is_refused_with_the_form_again(
    app: FastAPI, console_users: None, username: str, password: str
) -> None:
    async with browser(app) as client:
        response = await log_in(client, username, password)
        assert response.status_code == 401
        assert "wrong user name or password" in response.text
        assert 'name="username"' in response.text
        assert "www-authenticate" not in response.headers
        assert "set-cookie" not in response.headers
        assert (await client.get("/admin/")).status_code == 303


async def test_five_failures_throttle_the_username_and_address(
    app: FastAPI, console_users: None
) -> None:
    await console.create_user(
        app.state.lrs.engine, "throttled", "right-password", "viewer", actor="test"
    )
    async with browser(app) as client:
        for _ in range(5):
            assert (await log_in(client, "throttled", "wrong-password")).status_code == 401
        refused = await log_in(client, "throttled", "right-password")
        assert refused.status_code == 429
        assert "too many failed logins" in refused.text
        # Another user from the same address is not throttled.
        assert (await log_in(client, VIEWER_USER, VIEWER_PASSWORD)).status_code == 303


async def test_anonymous_pages_redirect_to_login_and_posts_are_401(
    app: FastAPI, console_users: None
) -> None:
    async with browser(app) as client:
        response = await client.get("/admin/credentials")
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/login"
        post = await client.post("/admin/credentials", data={"name": "x"})
        assert post.status_code == 401
        assert "www-authenticate" not in post.headers


async def test_basic_credentials_never_open_the_console(app: FastAPI) -> None:
    headers = {"Authorization": basic(ADMIN_KEY, ADMIN_SECRET)}
    async with browser(app) as client:
        for path in ("/admin/", "/admin/credentials", "/admin/audit"):
            response = await client.get(path, headers=headers)
            assert response.status_code == 303, path
        post = await client.post(
            "/admin/credentials", headers=headers, data={"scopes": "all", "csrf": "x"}
        )
        assert post.status_code == 401


async def test_a_console_session_never_authorises_xapi(admin_console: httpx.AsyncClient) -> None:
    for path in ("/xAPI/statements", "/xAPI/extensions/audit"):
        response = await admin_console.get(path, headers={"X-Experience-API-Version": "2.0.0"})
        assert response.status_code == 401, path
    # The cookie is scoped to /admin: a browser would not even send it to /xAPI.
    assert all(c.path == "/admin" for c in admin_console.cookies.jar)


async def test_logout_ends_the_session_for_good(app: FastAPI, console_users: None) -> None:
    async with browser(app) as client:
        await log_in(client, ADMIN_USER, ADMIN_PASSWORD)
        token = csrf_token = await csrf(client)
        stolen = dict(client.cookies)
        response = await client.post("/admin/logout", data={"csrf": token})
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/login"
    async with browser(app) as replayer:
        replayer.cookies.update(stolen)
        assert (await replayer.get("/admin/")).status_code == 303
        again = await replayer.post("/admin/logout", data={"csrf": csrf_token})
        assert again.status_code == 401


async def test_an_idle_or_old_session_expires(app: FastAPI, console_users: None) -> None:
    engine = app.state.lrs.engine
    for column, age in (("last_seen", "31 minutes"), ("created", "13 hours")):
        async with browser(app) as client:
            await log_in(client, VIEWER_USER, VIEWER_PASSWORD)
            assert (await client.get("/admin/")).status_code == 200
            async with engine.begin() as conn:
                await conn.exec_driver_sql(
                    f"UPDATE console_sessions SET {column} = now() - interval '{age}' "
                    f"WHERE username = '{VIEWER_USER}'"
                )
            assert (await client.get("/admin/")).status_code == 303, column
    async with browser(app) as client:
        await log_in(client, VIEWER_USER, VIEWER_PASSWORD)
    async with engine.begin() as conn:
        old = await conn.exec_driver_sql(
            "SELECT count(*) FROM console_sessions WHERE created < now() - interval '12 hours'"
        )
        assert old.scalar_one() == 0


async def test_a_forged_cross_site_post_is_refused(admin_console: httpx.AsyncClient) -> None:
    token = await csrf(admin_console)
    form = {"name": "forged", "scopes": "all", "csrf": token}
    evil = await admin_console.post(
        "/admin/credentials", data=form, headers={"Origin": "https://evil.example"}
    )
    assert evil.status_code == 403
    assert "cross-site" in evil.text
    missing = await admin_console.post("/admin/credentials", data={**form, "csrf": ""})
    assert missing.status_code == 403
    wrong = await admin_console.post("/admin/credentials", data={**form, "csrf": token + "x"})
    assert wrong.status_code == 403
    listing = await admin_console.get("/admin/credentials")
    assert ">forged<" not in listing.text
    same_site = await admin_console.post(
        "/admin/credentials", data=form, headers={"Origin": "http://lrs.test"}
    )
    assert same_site.status_code == 200
    assert ">forged<" in same_site.text


async def test_a_cross_site_login_is_refused(app: FastAPI, console_users: None) -> None:
    async with browser(app) as client:
        response = await client.post(
            "/admin/login",
            data={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
            headers={"Origin": "https://evil.example"},
        )
        assert response.status_code == 403


async def test_a_viewer_sees_the_overview_but_no_admin_page(
    viewer_console: httpx.AsyncClient,
) -> None:
    overview = await viewer_console.get("/admin/")
    assert overview.status_code == 200
    assert "/admin/credentials" not in overview.text
    for path in ("/admin/credentials", "/admin/audit", "/admin/privacy", "/admin/forwarding"):
        response = await viewer_console.get(path)
        assert response.status_code == 403, path
    token = await csrf(viewer_console)
    post = await viewer_console.post("/admin/credentials", data={"scopes": "all", "csrf": token})
    assert post.status_code == 403


async def test_a_disabled_user_loses_their_session_and_cannot_log_in(
    app: FastAPI, console_users: None
) -> None:
    engine = app.state.lrs.engine
    await console.create_user(engine, "leaver", "leaver-password", "admin", actor="test")
    async with browser(app) as client:
        await log_in(client, "leaver", "leaver-password")
        assert (await client.get("/admin/")).status_code == 200
        await console.disable_user(engine, "leaver", actor="test")
        assert (await client.get("/admin/")).status_code == 303
        assert (await log_in(client, "leaver", "leaver-password")).status_code == 401


async def test_logins_and_failures_are_in_the_audit_trail(
    admin_console: httpx.AsyncClient,
) -> None:
    page = await admin_console.get("/admin/audit", params={"action": "console.login"})
    assert page.status_code == 200
    assert f"console:{ADMIN_USER}" in page.text
    failed = await admin_console.get("/admin/audit", params={"action": "console.login_failed"})
    assert "console.login_failed" in failed.text
