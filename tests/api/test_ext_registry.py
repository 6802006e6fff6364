"""The registry of doors and roles, and the extension's scopes, over HTTP."""

from __future__ import annotations

import warnings

import httpx
import pytest
from fastapi import FastAPI

from lrs.auth.scopes import Scope
from tests.api.ext_support import EXT, ext_db
from tests.conftest import ScopedClients

pytestmark = pytest.mark.usefixtures("ext_db")
__all__ = ["ext_db"]

PARIS = {"name": "Paris Flagship", "region": "EU", "format": "flagship", "timezone": "Europe/Paris"}
# Business hours of service proof: absent unless given.
NO_HOURS = {"opening_hours": None, "holidays_country": None, "holidays_region": None}


async def test_put_get_list_deactivate_door(client: httpx.AsyncClient) -> None:
    response = await client.put(f"{EXT}/doors/PAR-001", json=PARIS)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": "PAR-001", **PARIS, "active": True, **NO_HOURS}
    assert (await client.get(f"{EXT}/doors/PAR-001")).json()["timezone"] == "Europe/Paris"
    response = await client.put(f"{EXT}/doors/PAR-001", json={**PARIS, "active": False})
    assert response.json()["active"] is False
    await client.put(f"{EXT}/doors/LON-001", json={"name": "London"})
    listed = (await client.get(f"{EXT}/doors")).json()["doors"]
    assert [d["id"] for d in listed] == ["LON-001", "PAR-001"]
    assert listed[0] == {
        "id": "LON-001",
        "name": "London",
        "region": None,
        "format": None,
        "timezone": "UTC",
        "active": True,
        **NO_HOURS,
    }
    active = (await client.get(f"{EXT}/doors", params={"active": "true"})).json()["doors"]
    assert [d["id"] for d in active] == ["LON-001"]
    assert (await client.get(f"{EXT}/doors/NOPE")).status_code == 404


async def test_roles(client: httpx.AsyncClient) -> None:
    assert (await client.put(f"{EXT}/roles/advisor", json={"name": "Advisor"})).status_code == 200
    csv_body = "id,name,active\ncashier,Cashier,yes\nstock,Stock,false\n"
    response = await client.post(
        f"{EXT}/roles", content=csv_body, headers={"Content-Type": "text/csv; charset=utf-8"}
    )
    assert response.json() == {"upserted": 2}
    roles = (await client.get(f"{EXT}/roles")).json()["roles"]
    assert roles == [
        {"id": "advisor", "name": "Advisor", "active": True},
        {"id": "cashier", "name": "Cashier", "active": True},
        {"id": "stock", "name": "Stock", "active": False},
    ]
    assert (await client.get(f"{EXT}/roles/stock")).json()["active"] is False


async def test_bulk_doors_csv_excel_style(client: httpx.AsyncClient) -> None:
    """A BOM and semicolons, as Excel writes them in much of Europe."""
    body = (
        "\ufeffID;Name;Region;Timezone\n"
        "PAR;Paris;EU;Europe/Paris\n"
        'NYC;"New York; 5th";US;America/New_York\n'
    )
    response = await client.post(
        f"{EXT}/doors", content=body.encode(), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert (await client.get(f"{EXT}/doors/NYC")).json()["name"] == "New York; 5th"


@pytest.mark.parametrize(
    ("body", "path", "needle"),
    [
        ("id,name,timezone\nPAR,Paris,Mars/Olympus\n", "$[0].timezone", "CSV line 2"),
        ("id,name\nPAR,Paris\nPAR,Paris again\n", "$[1].id", "CSV line 3"),
        ("id,name,colour\nPAR,Paris,red\n", "$", "unknown column"),
        ("id,name\nPAR SOUTH,Paris\n", "$[0].id", "CSV line 2"),
        ("id,name,active\nPAR,Paris,maybe\n", "$[0].active", "CSV line 2"),
        ("id,name\n\nPAR,\n", "$[0].name", "CSV line 3"),
        ("", "$", "empty"),
    ],
)
async def test_bad_door_csv(client: httpx.AsyncClient, body: str, path: str, needle: str) -> None:
    response = await client.post(f"{EXT}/doors", content=body, headers={"Content-Type": "text/csv"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["path"], needle in error["message"]) == (path, True)
    assert (await client.get(f"{EXT}/doors")).json()["doors"] == []


@pytest.mark.parametrize(
    ("url", "body", "path"),
    [
        ("/doors/PAR", {"region": "EU"}, "$.name"),
        ("/doors/PAR", {"id": "LON", "name": "x"}, "$.id"),
        ("/doors/PAR", {"name": "x", "active": "yes"}, "$.active"),
        ("/doors/PAR", {"name": "x", "city": "Paris"}, "$.city"),
        ("/doors/a%20b", {"name": "x"}, "param:door"),
        ("/roles/advisor", [], "$"),
    ],
)
async def test_bad_registry_json(
    client: httpx.AsyncClient, url: str, body: object, path: str
) -> None:
    response = await client.put(EXT + url, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["path"] == path


async def test_scopes(scoped: ScopedClients, anon_client: httpx.AsyncClient) -> None:
    """AUTH-005: ext/bi/read reads but does not write; ext/tags/write writes; no credential
    is 401. No version header is needed under /xAPI/extensions/."""
    async with await scoped.client(Scope.EXT_TAGS_WRITE) as writer:
        del writer.headers["X-Experience-API-Version"]
        response = await writer.put(f"{EXT}/doors/PAR", json={"name": "Paris"})
        assert response.status_code == 200, response.text
        assert response.headers["X-Experience-API-Version"] == "2.0.0"
        assert (await writer.get(f"{EXT}/doors")).status_code == 403
    async with await scoped.client(Scope.EXT_BI_READ) as reader:
        del reader.headers["X-Experience-API-Version"]
        assert (await reader.get(f"{EXT}/doors/PAR")).status_code == 200
        assert (await reader.put(f"{EXT}/doors/PAR", json={"name": "x"})).status_code == 403
        assert (await reader.post(f"{EXT}/roster", json=[])).status_code == 403
        assert (await reader.post(f"{EXT}/tags", json=[])).status_code == 403
    async with await scoped.client(Scope.ALL_READ) as all_read:
        assert (await all_read.get(f"{EXT}/doors")).status_code == 200
    async with await scoped.client(Scope.STATEMENTS_READ) as statements_reader:
        assert (await statements_reader.get(f"{EXT}/summary")).status_code == 403
    assert (await anon_client.get(f"{EXT}/doors")).status_code == 401


def test_openapi_lists_the_extension(app: FastAPI) -> None:
    with warnings.catch_warnings():
        # Another resource's GET+HEAD route repeats its operation id; not ours to judge here.
        warnings.filterwarnings("ignore", "Duplicate Operation ID", UserWarning)
        paths = app.openapi()["paths"]
    for path in (
        "/doors",
        "/doors/{door}",
        "/roles",
        "/roles/{role}",
        "/roster",
        "/tags",
        "/tags/{statementId}",
        "/statements",
        "/export",
        "/summary",
    ):
        assert EXT + path in paths
    assert "text/csv" in paths[f"{EXT}/roster"]["post"]["requestBody"]["content"]
