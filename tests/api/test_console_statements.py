"""The console's statement browser: filters (agent, verb, door ...), paging, a statement's
JSON, voided statements and tag sources shown."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.api.console_support import admin_console, console_users
from tests.api.ext_support import ext_db, seed_registry, statement, store
from tests.factories import make_agent, make_statement, make_voiding

pytestmark = pytest.mark.usefixtures("ext_db")
__all__ = ["admin_console", "console_users", "ext_db"]

OTHER_VERB = "http://example.com/verbs/other"


async def test_filters_paging_json_voided_and_tags(
    admin_console: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await seed_registry(client)
    tagged = statement("alice", door="PAR", role="advisor")
    await store(client, tagged)
    person = make_agent(who="pager")
    many = [make_statement(actor=person, verb={"id": OTHER_VERB}) for _ in range(30)]
    await store(client, *many)
    victim = make_statement()
    await store(client, victim)
    await store(client, make_voiding(victim["id"]))

    first = await admin_console.get("/admin/statements")
    assert first.status_code == 200
    assert first.text.count("<summary>JSON of ") == 25
    more = re.search(r'href="/admin/statements\?more=([^"]+)"', first.text)
    assert more is not None
    assert "<strong>voided</strong>" in first.text
    assert ">voiding<" in first.text
    older = await admin_console.get(f"/admin/statements?more={more.group(1)}")
    assert older.status_code == 200
    assert older.text.count("<summary>JSON of ") == 33 - 25
    assert f"JSON of {tagged['id']}" in older.text
    assert "PAR / advisor" in older.text

    by_agent = await admin_console.get(
        "/admin/statements", params={"agent": person["mbox"].removeprefix("mailto:")}
    )
    assert by_agent.text.count("<summary>JSON of ") == 25
    by_door = await admin_console.get("/admin/statements", params={"door": "PAR", "verb": ""})
    assert by_door.text.count("<summary>JSON of ") == 1
    assert "&#34;id&#34;: &#34;" + tagged["id"] in by_door.text
    by_verb = await admin_console.get(
        "/admin/statements", params={"verb": OTHER_VERB, "door": "PAR"}
    )
    assert "No statements match." in by_verb.text
    bad = await admin_console.get("/admin/statements", params={"since": "yesterday"})
    assert bad.status_code == 400
    forged = await admin_console.get("/admin/statements", params={"more": "x.y"})
    assert forged.status_code == 400


async def test_tag_coverage_by_source(
    admin_console: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await seed_registry(client)
    await store(
        client,
        statement("alice", door="PAR", role="advisor"),
        *(statement("bob") for _ in range(3)),
    )
    plain = await admin_console.get("/admin/doors")
    assert 'id="coverage"' not in plain.text
    page = await admin_console.get("/admin/doors", params={"coverage": "1"})
    assert page.status_code == 200
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td><td>([\d.]+)%</td></tr>", page.text)
    assert rows == [("untagged", "3", "75.0"), ("statement", "1", "25.0")]
