"""Many rows written in one command: their fields as one array per column, for ``unnest``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def column_arrays(rows: Sequence[object], *fields: str) -> dict[str, list[Any]]:
    """``{field: [row.field for row in rows]}`` for each named field, the bind parameters of
    an ``INSERT ... SELECT ... FROM unnest(:field, ...)`` that names them after the fields."""
    return {field: [getattr(row, field) for row in rows] for field in fields}
