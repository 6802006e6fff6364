"""The console's reports with real data: the door-week dashboard (small groups suppressed
for every console user, viewers included)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest

from tests.api.console_support import admin_console, console_users, viewer_console
from tests.api.ext_support import assignment, ext_db, roster, seed_registry, statement, store

pytestmark = pytest.mark.usefixtures("ext_db")
__all__ = ["admin_console", "console_users", "ext_db", "viewer_console"]


def _last_weeks_wednesday() -> datetime:
    """Noon UTC on last week's Wednesday: in one ISO week in every door's timezone whatever
    the time of the run (the doors' weeks are local: on a Monday before 05:00 UTC, this
    week has not begun in New York, which then has no row for it)."""
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    return datetime.combine(monday - timedelta(days=5), time(12), tzinfo=UTC)


async def _seed(client: httpx.AsyncClient) -> str:
    """Seven advisors in Paris, six cashiers in New York (shown, or hidden as the complement
    of the small group) and one manager in London (too small to show); four advisors and
    the manager active last week, whose ISO week (`2026-W48`) is returned."""
    await seed_registry(client)
    start = (datetime.now(UTC) - timedelta(weeks=6)).date().isoformat()
    people = [f"p{i}" for i in range(7)]
    await roster(
        client,
        *(assignment(p, "PAR", "advisor", start) for p in people),
        *(assignment(f"c{i}", "NYC", "cashier", start) for i in range(6)),
        assignment("lonely", "LON", "manager", start),
    )
    active = _last_weeks_wednesday()
    await store(
        client,
        *(statement(p, active.strftime("%Y-%m-%dT%H:%M:%SZ")) for p in [*people[:4], "lonely"]),
    )
    year, week, _ = active.isocalendar()
    return f"{year}-W{week:02d}"


async def test_the_dashboard_shows_door_weeks_and_suppresses_small_groups(
    viewer_console: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    week = await _seed(client)
    page = await viewer_console.get("/admin/dashboard", params={"weeks": "2"})
    assert page.status_code == 200, page.text
    rows = [r for r in page.text.split("<tr>") if r.startswith("<td>") and week in r]
    [paris] = [r for r in rows if r.startswith("<td>PAR</td><td>advisor</td>")]
    assert "<td>7</td><td>4</td><td>57%</td>" in paris
    [london] = [r for r in rows if r.startswith("<td>LON</td>")]
    assert "<td>1</td>" not in london
    assert "min_group_size" in london
    assert "<svg" in page.text
    assert "Active learners per ISO week" in page.text


async def test_dashboard_filters_and_their_errors(
    admin_console: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await _seed(client)
    only_par = await admin_console.get("/admin/dashboard", params={"door": "PAR", "weeks": "1"})
    assert only_par.status_code == 200
    assert "<td>PAR</td>" in only_par.text
    assert "<td>NYC</td>" not in only_par.text
    unknown = await admin_console.get("/admin/dashboard", params={"door": "MARS"})
    assert unknown.status_code in (400, 404)
    assert "MARS" in unknown.text


async def test_the_dashboard_compares_before_and_after(
    viewer_console: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await _seed(client)
    today = datetime.now(UTC).date()
    before = f"{today - timedelta(days=42)}/{today - timedelta(days=22)}"
    after = f"{today - timedelta(days=13)}/{today}"
    page = await viewer_console.get(
        "/admin/dashboard", params={"weeks": "1", "baseline": before, "period": after}
    )
    assert page.status_code == 200, page.text
    assert 'id="compare"' in page.text
    compare = page.text.split('id="compare"')[1]
    paris = r"<tr><td>PAR</td><td>advisor</td><td>([a-z ]+)</td>\s*<td>([^<]+)</td>"
    rows = re.findall(paris, compare)
    assert ("active learners", "0.0") in rows
    assert '<tr><td>LON</td><td>manager</td><td colspan="4" class="muted">suppressed' in compare
    overlap = await viewer_console.get(
        "/admin/dashboard", params={"baseline": after, "period": after}
    )
    assert overlap.status_code == 400
    assert "must not share a week" in overlap.text


async def test_dashboard_region_filter(
    admin_console: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await _seed(client)
    page = await admin_console.get("/admin/dashboard", params={"region": "US", "weeks": "2"})
    assert page.status_code == 200, page.text
    assert "<td>NYC</td>" in page.text
    assert "<td>PAR</td>" not in page.text
    assert '<option value="EU">EU</option>' in page.text
    assert '<option value="US" selected>US</option>' in page.text
    nowhere = await admin_console.get("/admin/dashboard", params={"region": "APAC"})
    assert nowhere.status_code == 200
    assert "<td>NYC</td>" not in nowhere.text
