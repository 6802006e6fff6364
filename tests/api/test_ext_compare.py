"""Pre/post comparison arithmetic and small-group suppression (including the subtraction
attack) over HTTP."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from lrs.auth.scopes import Scope
from tests.api.ext_support import EXT, assignment, ext_db, roster, seed_registry, statement, store
from tests.conftest import ScopedClients

pytestmark = pytest.mark.usefixtures("ext_db")
__all__ = ["ext_db"]

WINDOWS = {"baseline": "2024-03-04/2024-03-17", "period": "2024-03-18/2024-04-07"}


async def _two_windows(client: httpx.AsyncClient) -> None:
    """LON advisors dan and erin over W10..W14; two baseline weeks, three period weeks."""
    await seed_registry(client)
    await roster(
        client,
        assignment("dan", "LON", "advisor", "2024-03-04", "2024-04-08"),
        assignment("erin", "LON", "advisor", "2024-03-04", "2024-04-08"),
    )
    await store(
        client,
        statement("dan", "2024-03-05T10:00:00Z"),
        statement("dan", "2024-03-06T10:00:00Z"),
        statement("dan", "2024-03-19T10:00:00Z"),
        statement("erin", "2024-03-26T10:00:00Z"),
        statement("erin", "2024-03-27T10:00:00Z", result={"completion": True}),
        statement("dan", "2024-04-02T10:00:00Z"),
    )


async def _compare(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get(f"{EXT}/compare", params={**WINDOWS, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_windows_of_different_lengths_are_weighted_per_week(
    client: httpx.AsyncClient,
) -> None:
    await _two_windows(client)
    body = await _compare(client)
    assert body["baseline"]["weeks"] == 2
    assert body["period"]["weeks"] == 3
    assert body["period"]["first_week"] == "2024-W12"
    [group] = body["groups"]
    assert (group["door"], group["role"], group["suppressed"]) == ("LON", "advisor", None)
    assert group["baseline"] == {
        "headcount": 2.0,
        "active_learners": 0.5,
        "practice_rate": 0.25,
        "statements": 1.0,
        "completions": 0.0,
        "passes": 0.0,
        "activity_minutes": 0.0,
    }
    assert group["period"]["headcount"] == 2.0
    assert group["period"]["active_learners"] == 1.0
    assert group["period"]["practice_rate"] == 0.5
    assert group["period"]["statements"] == pytest.approx(4 / 3, abs=1e-6)
    assert group["period"]["completions"] == pytest.approx(1 / 3, abs=1e-6)
    assert group["change"]["practice_rate"] == {"absolute": 0.25, "relative": 1.0}
    assert group["change"]["statements"]["relative"] == pytest.approx(1 / 3, abs=1e-6)
    assert group["change"]["completions"] == {"absolute": pytest.approx(1 / 3), "relative": None}


async def test_kpis_and_tenure_bands(client: httpx.AsyncClient) -> None:
    await _two_windows(client)
    kpis = [
        {"door": "LON", "period_start": d, "period": "week", "metric": "conversion", "value": v}
        for d, v in (("2024-03-04", 0.2), ("2024-03-11", 0.3), ("2024-03-25", 0.4))
    ]
    assert (await client.post(f"{EXT}/kpis", json=kpis)).status_code == 200
    [group] = (await _compare(client, group_by="door,role,tenure"))["groups"]
    assert group["tenure"] == "<3"
    assert group["baseline"]["kpi_conversion"] == 0.25
    assert group["period"]["kpi_conversion"] == 0.4
    assert group["change"]["kpi_conversion"]["absolute"] == pytest.approx(0.15)
    [by_role] = (await _compare(client, group_by="role"))["groups"]
    assert "kpi_conversion" not in by_role["baseline"]
    assert by_role["role"] == "advisor"


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"baseline": "2024-03-04"}, "param:baseline"),
        ({"baseline": "2024-03-05/2024-03-10"}, "param:baseline"),
        ({"period": "2024-03-11/2024-03-31"}, "param:period"),
        ({"group_by": "door,shift"}, "param:group_by"),
        ({"group_by": "door,door"}, "param:group_by"),
        ({"door": "NOPE"}, "param:door"),
        ({"limit": "3"}, "param:limit"),
    ],
)
async def test_bad_comparisons(
    client: httpx.AsyncClient, params: dict[str, str], where: str
) -> None:
    await seed_registry(client)
    response = await client.get(f"{EXT}/compare", params={**WINDOWS, **params})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["path"] == where


async def _crowd(client: httpx.AsyncClient) -> None:
    """PAR: six advisors and one manager; NYC: five advisors and five managers; LON: five
    advisors and five cashiers. Each practices once in the week of 2024-03-18."""
    await seed_registry(client)
    people = [(f"par{i}", "PAR", "advisor") for i in range(6)]
    people += [("boss", "PAR", "manager")]
    people += [(f"nyc-{r}{i}", "NYC", r) for i in range(5) for r in ("advisor", "manager")]
    people += [(f"lon-{r}{i}", "LON", r) for i in range(5) for r in ("advisor", "cashier")]
    await roster(client, *(assignment(w, d, r, "2024-03-04", "2024-04-01") for w, d, r in people))
    await store(client, *(statement(w, "2024-03-20T12:00:00Z") for w, _, _ in people))


def _hidden_lines_are_safe(groups: list[dict[str, Any]], dims: list[str], k: int) -> None:
    """No line a coarser query totals has exactly one hidden cell or fewer than k hidden."""
    for dim in dims:
        lines: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for g in groups:
            lines.setdefault(tuple(g[d] for d in dims if d != dim), []).append(g)
        for cells in lines.values():
            hidden = [c for c in cells if c["suppressed"]]
            assert not hidden or len(hidden) >= 2, cells


async def test_summary_suppresses_small_groups_and_their_complement(
    client: httpx.AsyncClient, scoped: ScopedClients
) -> None:
    await _crowd(client)
    reader = await scoped.client(Scope.EXT_BI_READ)
    params = {"group_by": "door,role", "since": "2024-03-18", "until": "2024-03-25"}
    body = (await reader.get(f"{EXT}/summary", params=params)).json()
    cells = {(g["door"], g["role"]): g for g in body["groups"]}
    assert cells["PAR", "manager"]["suppressed"] == "min_group_size"
    assert cells["PAR", "manager"]["actors"] is None
    # The subtraction attack: PAR's total (group_by=door) minus PAR advisors would name the
    # manager, so the advisors are hidden too; then the managers' total (group_by=role) minus
    # NYC's managers would, so those are hidden, and NYC's advisors with them. LON is shown.
    assert cells["PAR", "advisor"]["suppressed"] == "complementary"
    assert cells["PAR", "advisor"]["statements"] is None
    assert cells["NYC", "manager"]["suppressed"] == "complementary"
    assert cells["NYC", "advisor"]["suppressed"] == "complementary"
    assert cells["LON", "advisor"] == {
        "door": "LON",
        "role": "advisor",
        "statements": 5,
        "actors": 5,
        "suppressed": None,
    }
    assert cells["LON", "cashier"]["actors"] == 5
    assert body["totals"] == {"statements": None, "actors": None}
    assert body["totals_suppressed"] == "complementary"
    _hidden_lines_are_safe(body["groups"], ["door", "role"], 5)
    # By door alone, every group is large enough and the totals are shown.
    by_door = (await reader.get(f"{EXT}/summary", params={**params, "group_by": "door"})).json()
    assert by_door["totals"] == {"statements": 27, "actors": 27}
    # ext/bi/identities sees every group.
    body = (await client.get(f"{EXT}/summary", params=params)).json()
    assert {g["suppressed"] for g in body["groups"]} == {None}
    assert body["min_group_size"] is None


async def test_door_week_and_compare_suppress_for_readers(
    client: httpx.AsyncClient, scoped: ScopedClients
) -> None:
    await _crowd(client)
    reader = await scoped.client(Scope.EXT_BI_READ)
    params = {"dataset": "door_week", "since": "2024-03-18", "until": "2024-03-19"}
    response = await reader.get(f"{EXT}/export", params=params)
    assert response.status_code == 200, response.text
    rows = {(r["door"], r["role"]): r for r in csv.DictReader(io.StringIO(response.text))}
    assert rows["PAR", "manager"]["suppressed"] == "min_group_size"
    assert rows["PAR", "advisor"]["suppressed"] == "complementary"
    assert rows["PAR", "advisor"]["headcount"] == rows["PAR", "advisor"]["statements"] == ""
    assert (rows["LON", "advisor"]["headcount"], rows["LON", "advisor"]["suppressed"]) == ("5", "")
    assert rows["NYC", "advisor"]["suppressed"] == "complementary"
    windows = {"baseline": "2024-03-04/2024-03-17", "period": "2024-03-18/2024-03-31"}
    body = (await reader.get(f"{EXT}/compare", params=windows)).json()
    assert body["min_group_size"] == 5
    cells = {(g["door"], g["role"]): g for g in body["groups"]}
    assert cells["PAR", "manager"]["period"] is None
    assert cells["PAR", "advisor"]["suppressed"] == "complementary"
    assert cells["LON", "cashier"]["period"]["practice_rate"] == 0.5
    _hidden_lines_are_safe(body["groups"], ["door", "role"], 5)
    full = (await client.get(f"{EXT}/compare", params=windows)).json()
    assert all(g["suppressed"] is None for g in full["groups"])
