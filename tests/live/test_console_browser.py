"""The console in a real headless Chromium (Debian's) against a live server: log in, every
page at 1280 and 768 wide (screenshots in reports/console/), and the forms that matter most:
create and revoke a credential, a roster upload with a bad line, an erasure after its dry
run, a dead letter replayed, the forged cross-site post refused, a logged-out session refused,
and a viewer kept out of the admin pages."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from lrs.auth.scopes import Scope
from tests.api.console_support import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    VIEWER_PASSWORD,
    VIEWER_USER,
    console_users,
)
from tests.api.ext_support import assignment, ext_db, roster, seed_registry, statement, store
from tests.conftest import ROOT, ScopedClients
from tests.factories import make_agent, make_statement
from tests.reliability.receiver import Receiver

__all__ = ["console_users", "ext_db"]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
SHOTS = ROOT / "reports" / "console"
FWD = "/xAPI/extensions/forwarding"
PAGES = [
    ("overview", "/admin/"),
    ("dashboard", "/admin/dashboard"),
    ("service-proof", "/admin/service-proof"),
    ("statements", "/admin/statements"),
    ("credentials", "/admin/credentials"),
    ("doors", "/admin/doors"),
    ("roles", "/admin/roles"),
    ("roster", "/admin/roster"),
    ("audit", "/admin/audit"),
    ("privacy", "/admin/privacy"),
    ("forwarding", "/admin/forwarding"),
]
BAD_ROSTER = (
    "mbox,door,role,valid_from\nok@example.com,PAR,advisor,2024-01-01\n"
    "x@example.com,MARS,advisor,2024-01-01\n"
)

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="chromium is not installed (apt-get install chromium)"
)


async def _seed(client: httpx.AsyncClient) -> dict[str, str]:
    await seed_registry(client)
    start = (datetime.now(UTC) - timedelta(weeks=4)).date().isoformat()
    people = [f"b{i}" for i in range(6)]
    await roster(client, *(assignment(p, "PAR", "advisor", start) for p in people))
    now = datetime.now(UTC)
    await store(
        client,
        *(
            statement(p, (now - timedelta(days=d, hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
            for d in range(0, 15, 2)
            for p in people[: 2 + d % 4]
        ),
    )
    leaver = make_agent(who="browser-leaver")
    await store(client, *(make_statement(actor=leaver) for _ in range(2)))
    return leaver


@pytest.fixture
async def browser_page(live_base_url: str) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": 1280, "height": 900}, base_url=live_base_url
            )
            yield await context.new_page()
        finally:
            await browser.close()


async def _replay_a_dead_letter(page: Any, scoped: ScopedClients) -> None:
    from playwright.async_api import expect

    receiver = Receiver("hook-secret").start()
    try:
        receiver.set(400)
        async with await scoped.client(Scope.ADMIN, Scope.ALL) as api:
            hook = {"type": "webhook", "url": receiver.url, "secret": "hook-secret", "name": "hook"}
            target = (await api.post(f"{FWD}/targets", json=hook)).json()
            sent = make_statement()
            assert (await api.post("/xAPI/statements", json=sent)).status_code == 200
            letters: list[dict[str, Any]] = []
            for _ in range(300):
                listed = await api.get(f"{FWD}/targets/{target['id']}/dead-letters")
                letters = listed.json()["dead_letters"]
                if letters:
                    break
                await asyncio.sleep(0.1)
            assert letters, "the refused statement never reached the dead letters"
            receiver.set(200)
            await page.goto("/admin/forwarding")
            await page.screenshot(
                path=str(SHOTS / "forwarding-dead-letter-1280.png"), full_page=True
            )
            await page.get_by_role("button", name=f"Replay dead letter {letters[0]['id']}").click()
            await expect(page.locator("body")).to_contain_text("Queued 1 statement(s) again")
            assert await asyncio.to_thread(receiver.wait_for, 1) == [sent["id"]]
            await api.delete(f"{FWD}/targets/{target['id']}")
    finally:
        receiver.close()


@pytest.mark.usefixtures("ext_db", "console_users")
async def test_the_console_in_a_browser(
    browser_page: object, client: httpx.AsyncClient, live_base_url: str, scoped: ScopedClients
) -> None:
    from playwright.async_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    leaver = await _seed(client)
    SHOTS.mkdir(parents=True, exist_ok=True)

    await page.goto("/admin/credentials")
    await expect(page).to_have_url(f"{live_base_url}/admin/login")
    await page.get_by_label("User name").fill(ADMIN_USER)
    await page.get_by_label("Password").fill("not-the-password")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("alert")).to_contain_text("wrong user name or password")
    await page.get_by_label("Password").fill(ADMIN_PASSWORD)
    await page.get_by_label("Password").press("Enter")
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    for width in (1280, 768):
        await page.set_viewport_size({"width": width, "height": 900})
        for name, path in PAGES:
            response = await page.goto(path)
            assert response is not None
            assert response.status == 200, path
            await expect(page.get_by_role("navigation", name="Console")).to_be_visible()
            # Nothing wider than the window: readable without sideways scrolling.
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (name, width, overflow)
            await page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)

    # The dashboard's before/after comparison, filled in with the keyboard, on a tablet.
    today = datetime.now(UTC).date()
    await page.goto("/admin/dashboard")
    await page.get_by_label("Before (start/end dates)").fill(
        f"{today - timedelta(days=42)}/{today - timedelta(days=22)}"
    )
    await page.get_by_label("After (start/end dates)").fill(f"{today - timedelta(days=13)}/{today}")
    await page.get_by_label("After (start/end dates)").press("Enter")
    await expect(page.locator("#compare")).to_contain_text("practice rate")
    await page.screenshot(path=str(SHOTS / "dashboard-compare-768.png"), full_page=True)

    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto("/admin/")
    await expect(page.locator("svg.chart rect")).to_have_count(30)

    # Create a credential (the secret shown once), then revoke it.
    await page.goto("/admin/credentials")
    await page.get_by_label("Name").fill("browser tool")
    await page.get_by_label("state", exact=True).check()
    await page.get_by_role("button", name="Create credential").click()
    await expect(page.get_by_role("status")).to_contain_text("shown only this once")
    key = await page.locator("#issued-key").inner_text()
    await page.get_by_role("button", name=f"Revoke browser tool ({key})").click()
    await expect(page.get_by_role("row", name=key)).to_contain_text("revoked")

    # Register a door through its own form, then see it in the list.
    await page.goto("/admin/doors/BRW")
    await expect(page.get_by_role("heading", name="New door BRW")).to_be_visible()
    await page.get_by_label("name", exact=True).fill("Browser Boutique")
    await page.get_by_label("timezone").fill("Europe/Paris")
    await page.get_by_label("opening hours").fill("mon-sat 10:00-19:00")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("Saved")
    await page.screenshot(path=str(SHOTS / "door-edit-1280.png"), full_page=True)
    await page.goto("/admin/doors")
    await expect(page.get_by_role("link", name="BRW")).to_be_visible()

    # A roster with a bad line: the line-numbered error in the page, nothing saved.
    await page.goto("/admin/roster")
    await page.get_by_label("Upload assignments").set_input_files(
        {"name": "roster.csv", "mimeType": "text/csv", "buffer": BAD_ROSTER.encode()}
    )
    await page.get_by_role("button", name="Upload", exact=True).click()
    await expect(page.get_by_role("alert")).to_contain_text("CSV line 3:")
    await page.screenshot(path=str(SHOTS / "roster-error-1280.png"), full_page=True)

    # Erase a person: the dry run first, then the confirm.
    await page.goto("/admin/privacy")
    email = leaver["mbox"].removeprefix("mailto:")
    await page.get_by_label("Agent (e-mail address or Agent JSON)").fill(email)
    await page.get_by_role("button", name="Dry run: count what would be erased").click()
    await expect(page.locator("#erasure-result")).to_contain_text("statements: 2")
    await page.screenshot(path=str(SHOTS / "privacy-dry-run-1280.png"), full_page=True)
    await page.get_by_role("button", name="Erase this person now").click()
    await expect(page.locator("#erasure-result")).to_contain_text("Erased")

    # Replay a dead letter: a webhook refuses a statement (400), then accepts it again.
    await _replay_a_dead_letter(page, scoped)

    # A page elsewhere posting to the console: no session cookie goes along (SameSite=Strict)
    # and the Origin is refused.
    forged = await page.context.request.post(
        f"{live_base_url}/admin/credentials",
        form={"name": "forged", "scopes": "all"},
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status == 403

    # Log out: the console is closed again.
    await page.get_by_role("button", name="Log out").click()
    await expect(page).to_have_url(f"{live_base_url}/admin/login")
    await page.goto("/admin/")
    await expect(page).to_have_url(f"{live_base_url}/admin/login")

    # A store manager (viewer) sees the reports, not the admin pages.
    await page.get_by_label("User name").fill(VIEWER_USER)
    await page.get_by_label("Password").fill(VIEWER_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    dashboard = await page.goto("/admin/dashboard")
    assert dashboard is not None
    assert dashboard.status == 200
    for path in ("/admin/credentials", "/admin/privacy", "/admin/statements"):
        refused = await page.goto(path)
        assert refused is not None
        assert refused.status == 403, path
    await page.screenshot(path=str(SHOTS / "viewer-refused-1280.png"), full_page=True)
