"""Accept-Language parsing and per-map language choice (STR-Q-021..023).

In ``format=canonical`` every language map is cut down to one entry, chosen from the
request's Accept-Language preferences for that map alone (STR-Q-022).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_MAX_RANGES = 32


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def parse_accept_language(header: str | None) -> tuple[str, ...]:
    """Language ranges from an Accept-Language header, most preferred first.

    RFC 2616 §14.4: ranges are ordered by their ``q`` value (default 1), ties keep
    header order; ``q=0`` means "not acceptable" and drops the range, as does a
    malformed ``q``. ``*`` is kept as a range. At most 32 ranges are read, so a hostile
    header costs little.
    """
    if not header:
        return ()
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:_MAX_RANGES]):
        tag, *params = item.split(";")
        tag = tag.strip()
        q = _quality(params)
        if tag and q > 0.0:
            ranked.append((-q, position, tag))
    ranked.sort()
    return tuple(tag for _, _, tag in ranked)


def _range_matches(language_range: str, tag: str) -> bool:
    """RFC 2616 §14.4: equal, or a prefix of the tag followed by ``-`` (case-insensitive)."""
    r, t = language_range.lower(), tag.lower()
    return t == r or t.startswith(r + "-")


def _find(language_map: Mapping[str, Any], preferences: Sequence[str]) -> str | None:
    for language_range in preferences:
        if language_range == "*":
            return next(iter(language_map))
        exact = [tag for tag in language_map if tag.lower() == language_range.lower()]
        if exact:
            return exact[0]
        for tag in language_map:
            if _range_matches(language_range, tag):
                return tag
    for language_range in preferences:
        primary = language_range.split("-", 1)[0].lower()
        for tag in language_map:
            if tag.split("-", 1)[0].lower() == primary:
                return tag
    return None


def pick_language(language_map: Mapping[str, Any], preferences: Sequence[str]) -> dict[str, Any]:
    """One entry of `language_map`, best for `preferences` (STR-Q-021/022).

    In preference order: a key equal to the range, else a key the range is a prefix of
    (``en`` picks ``en-US``). When no range matches that way, a key sharing the primary
    subtag of a range (``en-US`` picks ``en-GB``), then the map's first entry, so a
    non-empty map always yields exactly one entry. An empty map yields ``{}``.
    """
    if not language_map:
        return {}
    tag = _find(language_map, preferences)
    if tag is None:
        tag = next(iter(language_map))
    return {tag: language_map[tag]}
