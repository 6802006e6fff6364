"""The weekly review over HTTP: JSON numbers, door filter, safe CSV, and the one-page HTML
printed in a real headless Chromium."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import httpx
import pytest

from tests.api.ext_support import ext_db, store
from tests.api.service_proof_support import SP, event, example, new_case, seed, sp_db

pytestmark = pytest.mark.usefixtures("sp_db")
__all__ = ["ext_db", "sp_db"]

WEEK = "2026-W06"  # Monday 2 to Sunday 8 February 2026
CHROMIUM = "/usr/bin/chromium"


async def _history(client: httpx.AsyncClient) -> None:
    await seed(client)
    on_time, late, missing, vip = new_case(), new_case(), new_case(), new_case()
    outside = new_case()
    await store(
        client,
        event("opened", "2026-02-02T09:00:00Z", on_time),
        event("contacted", "2026-02-02T10:00:00Z", on_time),
        event("confirmed", "2026-02-02T11:00:00Z", on_time),
        event("opened", "2026-02-03T09:00:00Z", late, role="manager"),
        event("contacted", "2026-02-06T09:00:00Z", late, role="manager"),
        event("opened", "2026-02-04T09:00:00Z", missing, who="bob"),
        event("opened", "2026-02-05T12:00:00Z", vip, priority="vip", door="OPEN"),
        event("contacted", "2026-02-05T13:00:00Z", vip, door="OPEN"),
        # Sunday 8 Feb 23:30 UTC is Monday 9 Feb in Paris: next week there.
        event("opened", "2026-02-08T23:30:00Z", outside),
    )


async def test_report_json(client: httpx.AsyncClient) -> None:
    await _history(client)
    response = await client.get(f"{SP}/report", params={"week": WEEK})
    assert response.status_code == 200, response.text
    review = response.json()
    assert (review["week"], review["from"], review["to"]) == (WEEK, "2026-02-02", "2026-02-08")
    doors = {d["door"]: d for d in review["doors"]}
    assert set(doors) == {"PAR", "OPEN"}
    paris = doors["PAR"]
    assert paris["cases"] == 3
    advisor = next(t for t in paris["teams"] if t["role"] == "advisor")
    contact = next(o for o in advisor["obligations"] if o["obligation"].endswith("first-contact"))
    assert (contact["met"], contact["missing"], contact["on_time_share"]) == (1, 1, 0.5)
    manager = next(t for t in paris["teams"] if t["role"] == "manager")
    late = next(o for o in manager["obligations"] if o["obligation"].endswith("first-contact"))
    assert late["late"] == 1
    assert late["worst_delay_hours"] == late["median_delay_hours"] > 0
    kinds = {(e["obligation"], e["status"]) for e in paris["exceptions"]}
    assert ("first-contact", "missing") in kinds
    assert ("first-contact", "late") in kinds
    assert all(len(e["actor"]) == 64 for e in paris["exceptions"])
    assert paris["pattern"]["obligation"] == "delivery-delay/update"
    vip = doors["OPEN"]["exceptions"]
    assert ("vip-escalation", "missing") in {(e["obligation"], e["status"]) for e in vip}

    only = (await client.get(f"{SP}/report", params={"week": WEEK, "door": "OPEN"})).json()
    assert [d["door"] for d in only["doors"]] == ["OPEN"]
    empty = (await client.get(f"{SP}/report", params={"week": "2026-W20"})).json()
    assert empty["doors"] == []


async def test_report_errors(client: httpx.AsyncClient) -> None:
    for params, path in (
        ({}, None),
        ({"week": "2026-06"}, "param:week"),
        ({"week": "2025-W53"}, "param:week"),
        ({"week": WEEK, "format": "xlsx"}, "param:format"),
        ({"week": WEEK, "door": "bad door"}, "param:door"),
    ):
        response = await client.get(f"{SP}/report", params=params)
        assert response.status_code == 400, params
        if path is not None:
            assert response.json()["error"]["path"] == path


async def test_report_csv_is_formula_safe(client: httpx.AsyncClient) -> None:
    await _history(client)
    body = example()
    body["obligations"][0]["id"] = "=HYPERLINK(evil)"
    assert (await client.put(f"{SP}/rules/delivery-delay", json=body)).status_code == 200
    response = await client.get(f"{SP}/report", params={"week": WEEK, "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["door"] for r in rows} == {"PAR", "OPEN"}
    obligations = {r["obligation"] for r in rows}
    assert "'=HYPERLINK(evil)" in obligations
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    assert {r["status"] for r in rows} >= {"met", "late", "missing"}


async def test_report_html_fits_one_a4_page(client: httpx.AsyncClient, tmp_path: Path) -> None:
    await _history(client)
    response = await client.get(f"{SP}/report", params={"week": WEEK, "format": "html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "Door PAR" in html
    assert "<script" not in html
    assert "https://" not in html.split("</head>")[0]
    if shutil.which(CHROMIUM) is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = await browser.new_page(viewport={"width": 794, "height": 1123})
            await page.set_content(html)
            await page.emulate_media(media="print")
            shot = tmp_path / "review.png"
            await page.screenshot(path=str(shot), full_page=True)
            pdf = await page.pdf(format="A4", print_background=True)
            text = await page.inner_text("body")
        finally:
            await browser.close()
    assert shot.stat().st_size > 10_000
    # The page tree of the printed PDF counts one A4 page.
    assert re.findall(rb"/Count (\d+)", pdf) == [b"1"]
    assert "Most often missed" in text
