"""Every console route under /admin/ with who may use it. Console routes take no xAPI
credentials: anonymous requests are sent to the login form (GET) or refused with 401
(POST); `admin` pages answer 403 to a viewer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ConsoleRoute:
    method: str
    route: str
    # "public" (the login form), "session" (any console user), "admin".
    needs: str
    path: str = ""
    form: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path or self.route}"

    @property
    def url(self) -> str:
        return self.path or self.route


CONSOLE_ROUTES: tuple[ConsoleRoute, ...] = (
    ConsoleRoute("GET", "/admin/login", "public"),
    ConsoleRoute("POST", "/admin/login", "public"),
    ConsoleRoute("POST", "/admin/logout", "session"),
    ConsoleRoute("GET", "/admin/", "session"),
    ConsoleRoute("GET", "/admin/dashboard", "session"),
    ConsoleRoute("GET", "/admin/service-proof", "session"),
    ConsoleRoute("GET", "/admin/statements", "admin"),
    ConsoleRoute("GET", "/admin/credentials", "admin"),
    ConsoleRoute("POST", "/admin/credentials", "admin", form={"scopes": "statements/write"}),
    ConsoleRoute(
        "POST", "/admin/credentials/{key}/revoke", "admin", path="/admin/credentials/nope/revoke"
    ),
    ConsoleRoute("GET", "/admin/doors", "admin"),
    ConsoleRoute("POST", "/admin/doors", "admin"),
    ConsoleRoute("GET", "/admin/doors/{door_id}", "admin", path="/admin/doors/nope"),
    ConsoleRoute("POST", "/admin/doors/{door_id}", "admin", path="/admin/doors/nope"),
    ConsoleRoute("GET", "/admin/roles", "admin"),
    ConsoleRoute("POST", "/admin/roles", "admin"),
    ConsoleRoute("GET", "/admin/roles/{role_id}", "admin", path="/admin/roles/nope"),
    ConsoleRoute("POST", "/admin/roles/{role_id}", "admin", path="/admin/roles/nope"),
    ConsoleRoute("GET", "/admin/roster", "admin"),
    ConsoleRoute("POST", "/admin/roster", "admin"),
    ConsoleRoute("GET", "/admin/audit", "admin"),
    ConsoleRoute("GET", "/admin/privacy", "admin"),
    ConsoleRoute("POST", "/admin/privacy/erasure", "admin", form={"agent": "x@example.com"}),
    ConsoleRoute("POST", "/admin/privacy/purge", "admin", form={"before": "2000-01-01T00:00:00Z"}),
    ConsoleRoute("GET", "/admin/forwarding", "admin"),
    ConsoleRoute(
        "POST",
        "/admin/forwarding/{target_id}/replay",
        "admin",
        path="/admin/forwarding/nope/replay",
    ),
)
