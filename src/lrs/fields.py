"""Field checks for the JSON documents the LRS defines itself (registries, rosters, tags,
business figures, service-proof rules): one wording of each error, with its JSON path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from lrs.errors import BadRequest


def fail(message: str, path: str) -> NoReturn:
    """Refuse the document: 400 with what was wrong and where."""
    raise BadRequest(message, path=path)


def json_object(value: object, path: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    """``value`` as an object whose keys are all in ``allowed``."""
    if not isinstance(value, dict):
        fail("must be a JSON object", path)
    for key in value:
        if key not in allowed:
            fail(f"unknown property {key!r}; allowed: {', '.join(allowed)}", f"{path}.{key}")
    return value


def text_field(obj: Mapping[str, Any], key: str, path: str, *, required: bool) -> str | None:
    """``obj[key]`` as a non-empty string, stripped; None where absent and not required."""
    value = obj.get(key)
    if value is None:
        if required:
            fail(f"{key} is required", f"{path}.{key}")
        return None
    if not isinstance(value, str) or not value.strip():
        fail(f"{key} must be a non-empty string", f"{path}.{key}")
    return value.strip()
