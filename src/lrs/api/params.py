"""Query-parameter hygiene shared by every xAPI resource (ERR-005, ERR-006, ERR-008)."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from lrs.errors import BadRequest


def check_params(
    items: Iterable[tuple[str, str]],
    *,
    allowed: Collection[str],
    required: Collection[str] = (),
) -> None:
    """Refuse unknown parameters, case variants of known ones, repeats and missing ones."""
    keys = [key for key, _ in items]
    allowed_lower = {name.lower(): name for name in allowed}
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise BadRequest(f"parameter {key!r} is given more than once", path=f"param:{key}")
        seen.add(key)
        if key in allowed:
            continue
        proper = allowed_lower.get(key.lower())
        if proper is not None:
            raise BadRequest(
                f"unknown parameter {key!r}; parameter names are case-sensitive, did you mean "
                f"{proper!r}?",
                path=f"param:{key}",
            )
        raise BadRequest(
            f"unknown parameter {key!r}; allowed here: {', '.join(sorted(allowed)) or 'none'}",
            path=f"param:{key}",
        )
    for name in required:
        if name not in seen:
            raise BadRequest(f"missing required parameter {name!r}", path=f"param:{name}")
