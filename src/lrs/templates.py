"""The HTML pages' templates: Jinja2, autoescaped, strict about missing values, no CDN."""

from __future__ import annotations

from functools import lru_cache

import jinja2


@lru_cache
def template(package: str, name: str) -> jinja2.Template:
    """Template ``name`` from the ``templates`` folder of ``package``, loaded once."""
    return _environment(package).get_template(name)


@lru_cache
def _environment(package: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
