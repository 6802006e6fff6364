"""The garbage collector's settings of a running app (`lrs.heap`): a batch of statements is
written without the collector traversing it, and without leaving garbage for it."""

from __future__ import annotations

import gc
import types
from typing import Any

import httpx
from bench.generate import statements
from fastapi import FastAPI

from lrs.heap import YOUNG_COLLECTION_THRESHOLD


class Collections:
    """Counts the collector's runs by generation while it is installed."""

    def __init__(self) -> None:
        self.runs: list[int] = []

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.runs.append(info["generation"])

    def __enter__(self) -> Collections:
        gc.collect()  # counts start from zero
        gc.callbacks.append(self)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self)


async def test_the_young_threshold_is_raised_once_the_app_runs(app: FastAPI) -> None:
    assert gc.get_threshold()[0] == YOUNG_COLLECTION_THRESHOLD


async def test_a_batch_of_realistic_statements_is_written_without_a_collection(
    client: httpx.AsyncClient,
) -> None:
    batch = list(statements(12, 100, start=3_000_000))
    with Collections() as collections:
        response = await client.post("/xAPI/statements", json=batch)
    assert response.status_code == 200, response.text
    assert len(response.json()) == 100
    # Python's default threshold (700) ran about eight collections for such a batch.
    assert collections.runs == []


async def test_refused_and_written_requests_leave_no_garbage_in_cycles(
    client: httpx.AsyncClient,
) -> None:
    """What the threshold relies on: garbage is freed by reference counting, so a higher
    threshold does not keep request bodies alive."""
    batch = list(statements(12, 20, start=3_100_000))
    refused = [dict(s, verb={"id": "not an IRI"}) for s in batch]
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(5):
            assert (await client.post("/xAPI/statements", json=refused)).status_code == 400
            assert (await client.get("/xAPI/statements", params={"limit": "x"})).status_code == 400
        written = await client.post("/xAPI/statements", json=batch)
        assert written.status_code == 200
        gc.collect()
        client_side = ("httpx", "httpcore")
        servers = [o for o in gc.garbage if not type(o).__module__.startswith(client_side)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert not [o for o in servers if isinstance(o, types.FrameType | BaseException)]
    assert len(servers) < 40 * 11
