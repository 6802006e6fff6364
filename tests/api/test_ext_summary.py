"""Dashboard summary arithmetic on a known dataset."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.ext_support import (
    COMPLETED,
    EXT,
    PRACTICED,
    assignment,
    ext_db,
    roster,
    seed_registry,
    statement,
    store,
)

pytestmark = pytest.mark.usefixtures("ext_db")
__all__ = ["ext_db"]

QUIZ = "http://example.com/activities/quiz"
PITCH = "http://example.com/activities/pitch"


async def _dataset(client: httpx.AsyncClient) -> None:
    """Alice and Bob at PAR (advisor, cashier), Carol at NYC (advisor), Dave on no roster.
    Seven statements: six in the UTC week of 2024-04-29, one on Monday 2024-05-06 02:00 UTC
    (still Sunday in New York)."""
    await seed_registry(client)
    await roster(
        client,
        assignment("alice", "PAR", "advisor", "2024-01-01"),
        assignment("bob", "PAR", "cashier", "2024-01-01"),
        assignment("carol", "NYC", "advisor", "2024-01-01"),
    )
    await store(
        client,
        statement("alice", "2024-04-29T09:00:00Z"),
        statement("alice", "2024-04-30T09:00:00Z"),
        statement("alice", "2024-05-06T02:00:00Z", verb=COMPLETED),
        statement("bob", "2024-04-29T10:00:00Z"),
        statement("bob", "2024-05-01T10:00:00Z", verb=COMPLETED, activity=QUIZ),
        statement("carol", "2024-05-02T10:00:00Z"),
        statement("dave", "2024-05-01T10:00:00Z"),
    )


async def _summary(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get(f"{EXT}/summary", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _table(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (*(g[d] for d in body["group_by"]), g["statements"], g["actors"]) for g in body["groups"]
    ]


async def test_per_door_and_role_over_a_week(client: httpx.AsyncClient) -> None:
    await _dataset(client)
    body = await _summary(client, group_by="door,role", since="2024-04-29", until="2024-05-06")
    assert body["group_by"] == ["door", "role"]
    assert _table(body) == [
        ("NYC", "advisor", 1, 1),
        ("PAR", "advisor", 2, 1),
        ("PAR", "cashier", 2, 1),
        (None, None, 1, 1),
    ]
    assert body["totals"] == {"statements": 6, "actors": 4}
    assert body["since"] == "2024-04-29T00:00:00.000000Z"


async def test_weeks_and_their_timezone(client: httpx.AsyncClient) -> None:
    await _dataset(client)
    body = await _summary(client, bucket="week")
    assert _table(body) == [("2024-04-29", 6, 4), ("2024-05-06", 1, 1)]
    assert body["totals"] == {"statements": 7, "actors": 4}
    body = await _summary(client, group_by="week", timezone="America/New_York")
    assert _table(body) == [("2024-04-29", 7, 4)]
    # Date-only bounds are midnights in the summary's timezone.
    body = await _summary(
        client, since="2024-04-29", until="2024-05-06", timezone="America/New_York"
    )
    assert (body["groups"], body["totals"]) == ([], {"statements": 7, "actors": 4})


async def test_verb_activity_day_and_filters(client: httpx.AsyncClient) -> None:
    await _dataset(client)
    body = await _summary(client, group_by="verb")
    assert _table(body) == [(COMPLETED, 2, 2), (PRACTICED, 5, 4)]
    body = await _summary(client, group_by="activity", door="PAR")
    assert _table(body) == [(PITCH, 4, 2), (QUIZ, 1, 1)]
    assert body["totals"] == {"statements": 5, "actors": 2}
    body = await _summary(client, group_by="role,day", verb=PRACTICED, role="advisor")
    assert _table(body) == [
        ("advisor", "2024-04-29", 1, 1),
        ("advisor", "2024-04-30", 1, 1),
        ("advisor", "2024-05-02", 1, 1),
    ]
    assert body["totals"] == {"statements": 3, "actors": 2}


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"group_by": "store"}, "param:group_by"),
        ({"group_by": "door,door"}, "param:group_by"),
        ({"bucket": "month"}, "param:bucket"),
        ({"group_by": "day", "bucket": "week"}, "param:bucket"),
        ({"timezone": "Mars/Olympus"}, "param:timezone"),
        ({"since": "2024-02-30"}, "param:since"),
        ({"door": "MARS"}, "param:door"),
        ({"limit": "3"}, "param:limit"),
    ],
)
async def test_bad_parameters(client: httpx.AsyncClient, params: dict[str, str], path: str) -> None:
    await seed_registry(client)
    response = await client.get(f"{EXT}/summary", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["path"] == path
