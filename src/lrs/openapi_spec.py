"""The OpenAPI document of the HTTP interface, rendered deterministically."""

from __future__ import annotations

import json

from lrs.app import create_app
from lrs.settings import Settings


def render_openapi() -> str:
    # Fixed settings: the spec must not depend on the environment it is rendered in.
    spec = create_app(Settings(database_url="postgresql+asyncpg://spec/spec")).openapi()
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
