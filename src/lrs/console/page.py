"""Render a console page from its template (one shared layout with the navigation)."""

from __future__ import annotations

from typing import Any

from lrs.templates import template

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


def render(name: str, *, user: Any = None, current: str = "", **values: Any) -> str:
    """A page; `user` (the session, or None on the login page) picks the navigation."""
    navigation = [
        (path, label)
        for path, label, admin_only in NAVIGATION
        if user is not None and (user.is_admin or not admin_only)
    ]
    page = template("lrs.console", name)
    return page.render(user=user, navigation=navigation, current=current, **values)
