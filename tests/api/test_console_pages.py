"""Each console page renders its real data and each form acts, over HTTP on real PostgreSQL,
through the same services as the API."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from lrs.auth.scopes import Scope
from tests.api.console_support import admin_console, console_users, csrf, viewer_console
from tests.api.ext_support import ext_db
from tests.conftest import ScopedClients, basic
from tests.factories import make_agent, make_statement
from tests.reliability.receiver import Receiver

__all__ = ["admin_console", "console_users", "ext_db", "viewer_console"]

FWD = "/xAPI/extensions/forwarding"
V2 = {"X-Experience-API-Version": "2.0.0"}


async def test_the_overview_shows_totals_the_last_statement_and_a_chart(
    admin_console: httpx.AsyncClient, client: httpx.AsyncClient, clean_db: None
) -> None:
    statements = [make_statement() for _ in range(7)]
    assert (await client.post("/xAPI/statements", json=statements)).status_code == 200
    page = await admin_console.get("/admin/")
    assert page.status_code == 200
    assert '<div class="figure">7</div><div class="label">statements stored' in page.text
    assert "<svg" in page.text
    assert re.search(r"<title>\d\d-\d\d: 7</title>", page.text)
    assert "reachable" in page.text


async def test_create_a_credential_see_its_secret_once_use_it_then_revoke_it(
    admin_console: httpx.AsyncClient, app: FastAPI
) -> None:
    token = await csrf(admin_console, "/admin/credentials")
    created = await admin_console.post(
        "/admin/credentials",
        data={"csrf": token, "name": "authoring tool", "scopes": ["statements/write", "state"]},
    )
    assert created.status_code == 200
    key = re.search(r'id="issued-key">([^<]+)<', created.text)
    secret = re.search(r'id="issued-secret">([^<]+)<', created.text)
    assert key is not None
    assert secret is not None
    assert "statements/write, state" in created.text
    listing = await admin_console.get("/admin/credentials")
    assert secret.group(1) not in listing.text
    assert key.group(1) in listing.text
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://lrs.test"
    ) as xapi:
        headers = {**V2, "Authorization": basic(key.group(1), secret.group(1))}
        posted = await xapi.post("/xAPI/statements", json=make_statement(), headers=headers)
        assert posted.status_code == 200
        revoked = await admin_console.post(
            f"/admin/credentials/{key.group(1)}/revoke", data={"csrf": token}
        )
        assert revoked.status_code == 200
        assert "revoked" in revoked.text
        refused = await xapi.post("/xAPI/statements", json=make_statement(), headers=headers)
        assert refused.status_code == 401
    again = await admin_console.post(
        f"/admin/credentials/{key.group(1)}/revoke", data={"csrf": token}
    )
    assert again.status_code == 404
    none = await admin_console.post("/admin/credentials", data={"csrf": token, "name": "x"})
    assert none.status_code == 400
    assert "choose at least one scope" in none.text
    audit = await admin_console.get("/admin/audit", params={"action": "credential.revoke"})
    assert key.group(1) in audit.text


async def _upload(client: httpx.AsyncClient, page: str, body: str) -> httpx.Response:
    token = await csrf(client, page)
    files = {"file": ("upload.csv", body.encode(), "text/csv")}
    return await client.post(page, data={"csrf": token}, files=files)


@pytest.mark.usefixtures("ext_db")
async def test_doors_roles_and_roster_uploads_and_their_line_numbered_errors(
    admin_console: httpx.AsyncClient,
) -> None:
    doors = await _upload(
        admin_console,
        "/admin/doors",
        "id,name,region,timezone\nPAR,Paris Flagship,EU,Europe/Paris\nNYC,New York 5th,US,"
        "America/New_York\n",
    )
    assert doors.status_code == 200, doors.text
    assert "2 door(s) saved" in doors.text
    assert "Paris Flagship" in doors.text
    roles = await _upload(admin_console, "/admin/roles", "id,name\nadvisor,Advisor\n")
    assert "1 role(s) saved" in roles.text
    assert ">Advisor<" in roles.text
    bad = await _upload(
        admin_console,
        "/admin/roster",
        "mbox,door,role,valid_from\na@example.com,PAR,advisor,2024-01-01\n"
        "b@example.com,MARS,advisor,2024-01-01\n",
    )
    assert bad.status_code == 400
    assert "CSV line 3:" in bad.text
    nothing = await admin_console.get("/admin/roster", params={"agent": "a@example.com"})
    assert "No assignments for a@example.com" in nothing.text
    good = await _upload(
        admin_console,
        "/admin/roster",
        "mbox,door,role,valid_from\na@example.com,PAR,advisor,2024-01-01\n",
    )
    assert "1 assignment(s) saved" in good.text
    shown = await admin_console.get("/admin/roster", params={"agent": "a@example.com"})
    assert "<td>PAR</td><td>advisor</td>" in shown.text
    unknown_column = await _upload(admin_console, "/admin/doors", "id,colour\nX,red\n")
    assert unknown_column.status_code == 400
    assert "CSV line 1: unknown column" in unknown_column.text


async def test_erase_a_person_after_a_dry_run(
    admin_console: httpx.AsyncClient, client: httpx.AsyncClient, clean_db: None
) -> None:
    person = make_agent(who="leaver")
    mine = [make_statement(actor=person) for _ in range(3)]
    assert (await client.post("/xAPI/statements", json=mine)).status_code == 200
    email = person["mbox"].removeprefix("mailto:")
    token = await csrf(admin_console, "/admin/privacy")
    dry = await admin_console.post(
        "/admin/privacy/erasure", data={"csrf": token, "agent": email, "actor_key": ""}
    )
    assert dry.status_code == 200
    assert "Dry run for" in dry.text
    assert "statements: 3" in dry.text
    assert 'name="confirm" value="yes"' in dry.text
    still = await client.get("/xAPI/statements", params={"statementId": mine[0]["id"]})
    assert still.status_code == 200
    done = await admin_console.post(
        "/admin/privacy/erasure",
        data={"csrf": token, "agent": email, "actor_key": "", "confirm": "yes"},
    )
    assert "Erased" in done.text
    gone = await client.get("/xAPI/statements", params={"statementId": mine[0]["id"]})
    assert gone.status_code == 404
    audit = await admin_console.get("/admin/audit", params={"action": "erasure"})
    assert "console:ops-lead" in audit.text
    bad = await admin_console.post(
        "/admin/privacy/erasure", data={"csrf": token, "agent": "", "actor_key": "nope"}
    )
    assert bad.status_code == 400


async def test_purge_dry_run_then_confirm(
    admin_console: httpx.AsyncClient, client: httpx.AsyncClient, clean_db: None
) -> None:
    assert (await client.post("/xAPI/statements", json=make_statement())).status_code == 200
    token = await csrf(admin_console, "/admin/privacy")
    page = await admin_console.get("/admin/privacy")
    assert "kept forever" in page.text
    dry = await admin_console.post(
        "/admin/privacy/purge", data={"csrf": token, "before": "2999-01-01T00:00:00Z"}
    )
    assert "Dry run: would purge" in dry.text
    assert "statements: 1" in dry.text
    done = await admin_console.post(
        "/admin/privacy/purge",
        data={"csrf": token, "before": "2999-01-01T00:00:00Z", "confirm": "yes"},
    )
    assert "Purged before" in done.text
    listed = await client.get("/xAPI/statements")
    assert listed.json()["statements"] == []
    bad = await admin_console.post("/admin/privacy/purge", data={"csrf": token, "before": "x"})
    assert bad.status_code == 400


@pytest.fixture
async def fwd_admin(scoped: ScopedClients) -> AsyncIterator[httpx.AsyncClient]:
    async with await scoped.client(Scope.ADMIN, Scope.ALL) as client:
        yield client
        for target in (await client.get(f"{FWD}/targets")).json()["targets"]:
            await client.delete(f"{FWD}/targets/{target['id']}")


async def test_forwarding_shows_dead_letters_and_replays_one(
    admin_console: httpx.AsyncClient, fwd_admin: httpx.AsyncClient
) -> None:
    receiver = Receiver("hook-secret").start()
    try:
        receiver.set(400)
        body = {"type": "webhook", "url": receiver.url, "secret": "hook-secret", "name": "BI hook"}
        target = (await fwd_admin.post(f"{FWD}/targets", json=body)).json()
        statement = make_statement()
        await fwd_admin.post("/xAPI/statements", json=statement)
        for _ in range(300):
            letters = (await fwd_admin.get(f"{FWD}/targets/{target['id']}/dead-letters")).json()
            if letters["dead_letters"]:
                break
            await asyncio.sleep(0.1)
        [letter] = letters["dead_letters"]
        page = await admin_console.get("/admin/forwarding")
        assert "BI hook" in page.text
        assert f"Replay dead letter {letter['id']}" in page.text
        assert "HTTP 400" in page.text
        receiver.set(200)
        token = await csrf(admin_console, "/admin/forwarding")
        replayed = await admin_console.post(
            f"/admin/forwarding/{target['id']}/replay",
            data={"csrf": token, "dead_letter": str(letter["id"])},
        )
        assert replayed.status_code == 200
        assert "Queued 1 statement(s) again" in replayed.text
        assert await asyncio.to_thread(receiver.wait_for, 1) == [statement["id"]]
        audit = await admin_console.get("/admin/audit", params={"action": "forwarding.replay"})
        assert target["id"] in audit.text
    finally:
        receiver.close()


@pytest.mark.usefixtures("ext_db")
async def test_edit_one_door_and_one_role(admin_console: httpx.AsyncClient) -> None:
    await _upload(
        admin_console, "/admin/doors", "id,name,region,timezone\nPAR,Paris,EU,Europe/Paris\n"
    )
    await _upload(admin_console, "/admin/roles", "id,name\nadvisor,Advisor\n")
    listing = await admin_console.get("/admin/doors")
    assert '<a href="/admin/doors/PAR">PAR</a>' in listing.text
    form = await admin_console.get("/admin/doors/PAR")
    assert form.status_code == 200
    assert 'value="Europe/Paris"' in form.text
    token = await csrf(admin_console, "/admin/doors/PAR")
    fields = {
        "name": "Paris Flagship",
        "region": "EU-West",
        "timezone": "Europe/Paris",
        "opening_hours": "mon-sat 10:00-19:00",
        "holidays_country": "FR",
        "active": "on",
    }
    saved = await admin_console.post("/admin/doors/PAR", data={"csrf": token, **fields})
    assert saved.status_code == 200, saved.text
    assert 'id="saved"' in saved.text
    assert 'value="EU-West"' in saved.text
    after = await admin_console.get("/admin/doors")
    assert "Paris Flagship" in after.text
    assert "mon-sat 10:00-19:00" in after.text
    bad = await admin_console.post(
        "/admin/doors/PAR", data={"csrf": token, "name": "P", "timezone": "Mars/Olympus"}
    )
    assert bad.status_code == 400
    assert "timezone" in bad.text
    forged = await admin_console.post("/admin/doors/PAR", data={"csrf": "nope", **fields})
    assert forged.status_code == 403
    new = await admin_console.get("/admin/doors/LON")
    assert new.status_code == 200
    assert "New door LON" in new.text
    created = await admin_console.post(
        "/admin/doors/LON", data={"csrf": token, "name": "London", "timezone": "Europe/London"}
    )
    assert created.status_code == 200, created.text
    assert "London" in (await admin_console.get("/admin/doors")).text
    role = await admin_console.post(
        "/admin/roles/advisor", data={"csrf": token, "name": "Client Advisor"}
    )
    assert role.status_code == 200, role.text
    roles = await admin_console.get("/admin/roles")
    assert "Client Advisor" in roles.text
    assert "<td>False</td>" in roles.text  # the unchecked box deactivated it
    audit = await admin_console.get("/admin/audit")
    assert "PAR" in audit.text


@pytest.mark.usefixtures("ext_db")
async def test_a_doors_assignments_are_listed(admin_console: httpx.AsyncClient) -> None:
    await _upload(
        admin_console, "/admin/doors", "id,name,region,timezone\nPAR,Paris,EU,Europe/Paris\n"
    )
    await _upload(admin_console, "/admin/roles", "id,name\nadvisor,Advisor\n")
    await _upload(
        admin_console,
        "/admin/roster",
        "mbox,door,role,valid_from\na@example.com,PAR,advisor,2024-01-01\n"
        "b@example.com,PAR,advisor,2024-02-01\n",
    )
    page = await admin_console.get("/admin/roster", params={"door": "PAR"})
    assert page.status_code == 200, page.text
    listed = page.text.split('id="door-assignments"')[1].split("</table>")[0]
    assert listed.count("<td>advisor</td>") == 2
    assert "2024-02-01" in listed
    unknown = await admin_console.get("/admin/roster", params={"door": "MARS"})
    assert unknown.status_code in (400, 404)
