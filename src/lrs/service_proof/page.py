"""The printable one-page review for the weekly huddle (Jinja2, autoescaped, no CDN)."""

from __future__ import annotations

from typing import Any

from lrs.templates import template

# Exceptions listed per door on the page; the JSON and CSV forms carry all of them.
PAGE_EXCEPTIONS = 12


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"


def collapse(exceptions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per (case, obligation, status): a recurring obligation missed 30 times in
    a row is one line with its first due time and a count, so the page stays one page."""
    lines: dict[tuple[Any, ...], dict[str, Any]] = {}
    for e in exceptions:
        key = (e["case"], e["rule"], e["obligation"], e["status"])
        if key in lines:
            lines[key]["times"] += 1
            if e["late_hours"] is not None:
                worst = lines[key]["late_hours"] or 0.0
                lines[key]["late_hours"] = max(worst, e["late_hours"])
        else:
            lines[key] = {**e, "times": 1}
    return list(lines.values())


def render_page(review: dict[str, Any]) -> str:
    return template("lrs.service_proof", "review.html").render(
        review=review, percent=_percent, limit=PAGE_EXCEPTIONS, collapse=collapse
    )
