"""Reading paged answers to the end, shared by every test suite.

A query's answer holds one page and a `more` link to the next, empty on the last page
(STR-M-001..003); these follow the links so that a test can assert on the whole answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

__all__ = ["pages", "statement_ids"]


async def pages(
    client: httpx.AsyncClient, response: httpx.Response
) -> AsyncIterator[dict[str, Any]]:
    """Each page from `response` on, following `more` to the end; every page must be a 200."""
    while True:
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        yield body
        if not body["more"]:
            return
        response = await client.get(body["more"])


async def statement_ids(
    client: httpx.AsyncClient, url: str = "/xAPI/statements", **params: Any
) -> list[str]:
    """Every id a statement query answers, in the order served, over all its pages."""
    response = await client.get(url, params=params)
    return [s["id"] async for body in pages(client, response) for s in body["statements"]]
