"""The printable one-page review for the weekly huddle (Jinja2, autoescaped, no CDN)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

# Exceptions listed per door on the page; the JSON and CSV forms carry all of them.
PAGE_EXCEPTIONS = 12


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("lrs.service_proof", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"


def render_page(review: dict[str, Any]) -> str:
    template = _environment().get_template("review.html")
    return template.render(review=review, percent=_percent, limit=PAGE_EXCEPTIONS)
