"""Service proof over HTTP on PostgreSQL: rules, door business hours, case evaluation
(tiers, holidays, timezones, DST, late arrivals, voiding, re-tagging, recurring), review."""

from __future__ import annotations

import httpx
import pytest

from tests.api.ext_support import EXT, ext_db, store
from tests.api.service_proof_support import (
    SP,
    V,
    cases,
    dues,
    event,
    example,
    new_case,
    one_case,
    seed,
    sp_db,
    statuses,
)
from tests.factories import make_voiding

pytestmark = pytest.mark.usefixtures("sp_db")
__all__ = ["ext_db", "sp_db"]


async def test_rule_lifecycle(client: httpx.AsyncClient) -> None:
    response = await client.put(f"{SP}/rules/delivery-delay", json=example())
    assert response.status_code == 200
    assert response.json()["name"] == "Delivery Delay Trust Protocol"
    got = await client.get(f"{SP}/rules/delivery-delay")
    assert got.json()["obligations"] == example()["obligations"]
    await client.put(f"{SP}/rules/repair", json=example("repair-return.json"))
    listed = (await client.get(f"{SP}/rules")).json()["rules"]
    assert [r["id"] for r in listed] == ["delivery-delay", "repair"]
    assert (await client.delete(f"{SP}/rules/repair")).status_code == 204
    assert (await client.get(f"{SP}/rules/repair")).status_code == 404
    assert (await client.delete(f"{SP}/rules/repair")).status_code == 404


async def test_bad_rule_names_the_field(client: httpx.AsyncClient) -> None:
    body = example()
    body["obligations"][1]["every"]["hours"] = -1
    response = await client.put(f"{SP}/rules/delivery-delay", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "$.obligations[1].every.hours"
    bad_id = await client.put(f"{SP}/rules/has space", json=example())
    assert bad_id.status_code == 400
    not_json = await client.put(
        f"{SP}/rules/x", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert (await client.get(f"{SP}/rules")).json()["rules"] == []


async def test_door_business_hours_fields(client: httpx.AsyncClient) -> None:
    await seed(client, rule=False)
    door = (await client.get(f"{EXT}/doors/NYC")).json()
    assert door["opening_hours"] == "mon-sat 10:00-19:00"
    assert (door["holidays_country"], door["holidays_region"]) == ("US", "NY")
    bad = await client.put(f"{EXT}/doors/X", json={"name": "X", "opening_hours": "mon 9-5"})
    assert bad.status_code == 400
    assert bad.json()["error"]["path"] == "$.opening_hours"
    bad = await client.put(f"{EXT}/doors/X", json={"name": "X", "holidays_country": "XX"})
    assert bad.json()["error"]["path"] == "$.holidays_country"
    bad = await client.put(
        f"{EXT}/doors/X", json={"name": "X", "holidays_country": "DE", "holidays_region": "ZZ"}
    )
    assert bad.json()["error"]["path"] == "$.holidays_region"
    csv_body = (
        "id,name,timezone,opening_hours,holidays_country\n"
        'LYO,Lyon,Europe/Paris,"mon-fri 09:00-12:00,14:00-19:00",fr\n'
    )
    response = await client.post(
        f"{EXT}/doors", content=csv_body, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    lyon = (await client.get(f"{EXT}/doors/LYO")).json()
    assert lyon["opening_hours"] == "mon-fri 09:00-12:00,14:00-19:00"
    assert lyon["holidays_country"] == "FR"
    plain = (await client.get(f"{EXT}/doors/OPEN")).json()
    assert plain["opening_hours"] is None


async def test_tiers_weekend_and_holiday(client: httpx.AsyncClient) -> None:
    await seed(client)
    standard, vip, xmas = new_case(), new_case(), new_case()
    await store(
        client,
        # Friday 16 Jan 2026 17:00 Paris: 24 business hours -> Wednesday 14:00 Paris.
        event("opened", "2026-01-16T16:00:00Z", standard),
        event("contacted", "2026-01-21T12:00:00Z", standard),
        # VIP opened Saturday: 4 business hours from Monday 09:00 -> 13:00 Paris.
        event("opened", "2026-01-17T10:00:00Z", vip, priority="vip"),
        event("contacted", "2026-01-19T12:30:00Z", vip),
        event("escalated", "2026-01-17T10:30:00Z", vip, role="manager"),
        # Thursday 24 Dec 2026 16:00 Paris, VIP: 2 h, Christmas Friday, Monday 11:00 Paris.
        event("opened", "2026-12-24T15:00:00Z", xmas, priority="vip"),
    )
    first = await one_case(client, standard)
    assert dues(first)["first-contact#1"] == "2026-01-21T13:00:00Z"
    assert statuses(first)["first-contact#1"] == "met"
    assert first["door"] == "PAR"
    assert first["priority"] == "standard"
    assert "vip-escalation#1" not in statuses(first)
    second = await one_case(client, vip)
    assert dues(second)["first-contact#1"] == "2026-01-19T12:00:00Z"
    assert statuses(second)["first-contact#1"] == "late"
    contact = second["obligations"][0]
    assert contact["late_hours"] == 0.5
    assert statuses(second)["vip-escalation#1"] == "met"
    third = await one_case(client, xmas)
    assert dues(third)["first-contact#1"] == "2026-12-28T10:00:00Z"


async def test_door_timezone_and_dst(client: httpx.AsyncClient) -> None:
    await seed(client)
    paris, nyc = new_case(), new_case()
    await store(
        client,
        # Friday 27 March 2026 16:00 CET; clocks go forward on the 29th: Monday 09:00 CEST
        # is 07:00 UTC, so 4 h = 2 h Friday + 2 h Monday -> 09:00 UTC.
        event("opened", "2026-03-27T15:00:00Z", paris, priority="time-sensitive"),
        # Saturday 7 March 2026 18:00 EST (23:00 UTC), New York opens Saturdays; DST on the
        # 8th; Monday 10:00 EDT = 14:00 UTC; 1 h Sat + 3 h Monday -> 17:00 UTC.
        event("opened", "2026-03-07T23:00:00Z", nyc, priority="vip", door="NYC"),
    )
    assert dues(await one_case(client, paris))["first-contact#1"] == "2026-03-30T09:00:00Z"
    assert dues(await one_case(client, nyc))["first-contact#1"] == "2026-03-09T17:00:00Z"


async def test_late_arrival_counts_by_timestamp(client: httpx.AsyncClient) -> None:
    await seed(client)
    case = new_case()
    await store(client, event("opened", "2026-02-02T09:00:00Z", case, door="OPEN"))
    assert statuses(await one_case(client, case))["first-contact#1"] == "missing"
    # The contact happened on time but reaches the LRS days later.
    await store(client, event("contacted", "2026-02-02T20:00:00Z", case, door="OPEN"))
    found = await one_case(client, case)
    assert statuses(found)["first-contact#1"] == "met"
    assert found["obligations"][0]["met_at"] == "2026-02-02T20:00:00Z"


async def test_voided_statement_stops_counting(client: httpx.AsyncClient) -> None:
    await seed(client)
    case = new_case()
    _, contact = await store(
        client,
        event("opened", "2026-02-02T09:00:00Z", case, door="OPEN"),
        event("contacted", "2026-02-02T10:00:00Z", case, door="OPEN"),
    )
    assert statuses(await one_case(client, case))["first-contact#1"] == "met"
    await store(client, make_voiding(contact))
    assert statuses(await one_case(client, case))["first-contact#1"] == "missing"


async def test_voided_trigger_removes_the_case(client: httpx.AsyncClient) -> None:
    await seed(client)
    case = new_case()
    (opened,) = await store(client, event("opened", "2026-02-02T09:00:00Z", case))
    await store(client, make_voiding(opened))
    assert [c for c in await cases(client) if c["case"] == case] == []


async def test_retagging_moves_the_case(client: httpx.AsyncClient) -> None:
    await seed(client)
    case = new_case()
    (opened,) = await store(client, event("opened", "2026-01-17T10:00:00Z", case))
    assert (await one_case(client, case))["door"] == "PAR"
    assert [c["case"] for c in await cases(client, door="PAR")] == [case]
    # Saturday: Paris counts 24 business hours from Monday 09:00 (9 + 9 + 6 h: Wednesday
    # 15:00 Paris); OPEN counts calendar hours.
    assert dues(await one_case(client, case))["first-contact#1"] == "2026-01-21T14:00:00Z"
    tagged = await client.put(f"{EXT}/tags/{opened}", json={"door": "OPEN"})
    assert tagged.status_code in (200, 204), tagged.text
    moved = await one_case(client, case)
    assert moved["door"] == "OPEN"
    assert dues(moved)["first-contact#1"] == "2026-01-18T10:00:00Z"
    assert await cases(client, door="PAR") == []


async def test_recurring_updates_until_confirmed(client: httpx.AsyncClient) -> None:
    await seed(client)
    case = new_case()
    await store(
        client,
        event("opened", "2026-02-02T00:00:00Z", case, door="OPEN"),
        event("contacted", "2026-02-02T01:00:00Z", case, door="OPEN"),
        event("updated", "2026-02-03T12:00:00Z", case, door="OPEN"),  # due 02-04 00:00: met
        event("updated", "2026-02-06T00:00:00Z", case, door="OPEN"),  # due 02-05 12:00: late
        # due 02-08 00:00: missing; due 02-10 00:00: confirmed first, the series ends.
        event("confirmed", "2026-02-09T00:00:00Z", case, door="OPEN"),
        event("updated", "2026-02-09T06:00:00Z", case, door="OPEN"),  # after: does not count
    )
    found = await one_case(client, case)
    got = {k: v for k, v in statuses(found).items() if k.startswith("update")}
    assert got == {"update#1": "met", "update#2": "late", "update#3": "missing"}
    assert found["obligations"][2]["late_hours"] == 12.0
    assert found["status"] == "missing"


async def test_case_filters_and_errors(client: httpx.AsyncClient) -> None:
    await seed(client)
    met, missing = new_case(), new_case()
    await store(
        client,
        event("opened", "2026-02-02T09:00:00Z", met, door="OPEN"),
        event("contacted", "2026-02-02T10:00:00Z", met, door="OPEN"),
        event("confirmed", "2026-02-02T11:00:00Z", met, door="OPEN"),
        event("opened", "2026-02-03T09:00:00Z", missing),
    )
    assert [c["case"] for c in await cases(client, status="met")] == [met]
    assert [c["case"] for c in await cases(client, status="missing")] == [missing]
    assert [c["case"] for c in await cases(client, door="OPEN")] == [met]
    window = await cases(client, since="2026-02-03T00:00:00Z", until="2026-02-04T00:00:00Z")
    assert [c["case"] for c in window] == [missing]
    assert len(await cases(client, rule="delivery-delay")) == 2
    for params, path in (
        ({"rule": "nope"}, None),
        ({"status": "bad"}, "param:status"),
        ({"since": "yesterday"}, "param:since"),
        ({"limit": "0"}, "param:limit"),
        ({"colour": "red"}, None),
        ({"since": "2026-02-04T00:00:00Z", "until": "2026-02-03T00:00:00Z"}, "param:since"),
    ):
        response = await client.get(f"{SP}/cases", params=params)
        assert response.status_code in (400, 404), (params, response.text)
        if path is not None:
            assert response.json()["error"]["path"] == path


async def test_actor_is_a_pseudonym(client: httpx.AsyncClient) -> None:
    await seed(client)
    case = new_case()
    await store(client, event("opened", "2026-02-02T09:00:00Z", case, who="carol"))
    actor = (await one_case(client, case))["actor"]
    assert len(actor) == 64
    assert "carol" not in actor


async def test_other_statements_are_not_indexed(client: httpx.AsyncClient) -> None:
    await seed(client)
    case = new_case()
    plain = event("opened", "2026-02-02T09:00:00Z", case)
    plain["object"]["definition"]["type"] = "http://example.com/other"
    no_reg = event("opened", "2026-02-02T09:00:00Z", case)
    del no_reg["context"]["registration"]
    await store(client, plain, no_reg)
    assert await cases(client) == []
    assert V.endswith("/")
