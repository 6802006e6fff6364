"""The console's weekly service-proof review per door, and the drill-down to a door's
exceptions (people by pseudonym only), for viewers too."""

from __future__ import annotations

import httpx
import pytest

from tests.api.console_support import console_users, viewer_console
from tests.api.ext_support import ext_db, store
from tests.api.service_proof_support import event, new_case, seed, sp_db

pytestmark = pytest.mark.usefixtures("sp_db")
__all__ = ["console_users", "ext_db", "sp_db", "viewer_console"]

WEEK = "2026-W06"


async def test_the_review_per_door_then_a_doors_exceptions(
    viewer_console: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await seed(client)
    on_time, missing = new_case(), new_case()
    await store(
        client,
        event("opened", "2026-02-02T09:00:00Z", on_time),
        event("contacted", "2026-02-02T10:00:00Z", on_time),
        event("confirmed", "2026-02-02T11:00:00Z", on_time),
        event("opened", "2026-02-04T09:00:00Z", missing, who="bob"),
    )
    page = await viewer_console.get("/admin/service-proof", params={"week": WEEK})
    assert page.status_code == 200, page.text
    assert "Door PAR: 2 case(s)" in page.text
    assert "delivery-delay/first-contact" in page.text
    link = f"/admin/service-proof?week={WEEK}&amp;door=PAR"
    assert link in page.text
    drill = await viewer_console.get("/admin/service-proof", params={"week": WEEK, "door": "PAR"})
    assert drill.status_code == 200
    assert f"<code>{missing}</code>" in drill.text
    assert "missing" in drill.text
    assert "bob@" not in drill.text
    empty = await viewer_console.get("/admin/service-proof", params={"week": "2026-W20"})
    assert "No service cases opened in this week" in empty.text
    bad = await viewer_console.get("/admin/service-proof", params={"week": "soon"})
    assert bad.status_code == 400
    assert "ISO week" in bad.text
