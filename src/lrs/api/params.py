"""Query-parameter hygiene shared by every xAPI resource (ERR-005, ERR-006, ERR-008)."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from lrs.errors import BadRequest
from lrs.xapi.validate import check_param_names


def check_params(
    items: Iterable[tuple[str, str]],
    *,
    allowed: Collection[str],
    required: Collection[str] = (),
) -> None:
    """Refuse repeated parameters, then unknown names, case variants and missing ones."""
    names: list[str] = []
    for name, _ in items:
        if name in names:
            raise BadRequest(f"parameter {name!r} is given more than once", path=f"param:{name}")
        names.append(name)
    check_param_names(names, allowed, required=required)
