"""Schemathesis against the committed OpenAPI spec: no generated request gets a 500 (ERR-016).

Requests go over real HTTP to a uvicorn server (its own thread and event loop) on the
session's database, with the all-scoped credential, so they reach the handlers. The run is
bounded: a few derandomized examples per operation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case

from tests.conftest import ADMIN_KEY, ADMIN_SECRET, basic

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
HEADERS = {"Authorization": basic(ADMIN_KEY, ADMIN_SECRET), "X-Experience-API-Version": "2.0.0"}

schema = schemathesis.openapi.from_path(SPEC)
# Valid and invalid inputs, NUL characters included (PostgreSQL cannot store U+0000).
schema.config.generation.update(
    modes=list(schemathesis.GenerationMode), allow_x00=True, deterministic=True
)


@pytest.fixture(scope="module")
def live_url(live_base_url: str) -> str:
    return live_base_url


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_is_a_server_error(case: Case[Any], live_url: str) -> None:
    response = case.call(base_url=live_url, headers=HEADERS, timeout=20)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} {case.query} -> {response.status_code}: "
        f"{response.text[:500]}"
    )
