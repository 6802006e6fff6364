"""Query-parameter hygiene shared by every xAPI resource (ERR-005, ERR-006, ERR-008)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from lrs.xapi.validate import query_values


def check_params(
    items: Sequence[tuple[str, str]],
    *,
    allowed: Collection[str],
    required: Collection[str] = (),
) -> None:
    """Refuse repeated parameters, then unknown names, case variants and missing ones."""
    query_values(items, allowed, required)
