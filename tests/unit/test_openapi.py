"""The OpenAPI document renders without warnings (e.g. duplicate operation ids)."""

from __future__ import annotations

import json

from lrs.openapi_spec import render_openapi


def test_spec_renders_cleanly_and_lists_every_resource() -> None:
    spec = json.loads(render_openapi())  # warnings are errors under pytest
    paths = spec["paths"]
    for path in (
        "/xAPI/about",
        "/xAPI/statements",
        "/xAPI/activities/state",
        "/xAPI/activities/profile",
        "/xAPI/agents/profile",
        "/xAPI/agents",
        "/xAPI/activities",
        "/xAPI/extensions/doors",
        "/xAPI/extensions/export",
        "/health",
        "/ready",
        "/metrics",
    ):
        assert path in paths, path
    operation_ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
