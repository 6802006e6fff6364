"""Render a console page from its template (one shared layout with the navigation)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

# (path, label, admin only): the navigation, in order.
NAVIGATION: tuple[tuple[str, str, bool], ...] = (
    ("/admin/", "Overview", False),
    ("/admin/dashboard", "Dashboard", False),
    ("/admin/service-proof", "Service proof", False),
    ("/admin/statements", "Statements", True),
    ("/admin/credentials", "Credentials", True),
    ("/admin/doors", "Doors", True),
    ("/admin/roles", "Roles", True),
    ("/admin/roster", "Roster", True),
    ("/admin/audit", "Audit", True),
    ("/admin/privacy", "Privacy", True),
    ("/admin/forwarding", "Forwarding", True),
)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("lrs.console", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def render(template: str, *, user: Any = None, current: str = "", **values: Any) -> str:
    """A page; `user` (the session, or None on the login page) picks the navigation."""
    navigation = [
        (path, label)
        for path, label, admin_only in NAVIGATION
        if user is not None and (user.is_admin or not admin_only)
    ]
    return (
        _environment()
        .get_template(template)
        .render(user=user, navigation=navigation, current=current, **values)
    )
