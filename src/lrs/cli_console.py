"""`lrs users ...`: the admin console's users (not xAPI credentials), on the database
directly, like `lrs credentials`."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncEngine

users_app = typer.Typer(
    help="Users of the admin console under /admin/ (separate from xAPI credentials).",
    no_args_is_help=True,
)

Name = Annotated[str, typer.Argument(help="the user's login name")]


def _run(action: Callable[[AsyncEngine], Awaitable[Any]]) -> Any:
    """Run a service call on the configured (or embedded) database at schema head."""
    from lrs.cli_data import engine_action

    return engine_action(action)


@users_app.command("create")
def create(
    name: Name,
    role: Annotated[
        str, typer.Option(help="admin (everything) or viewer (reports only)")
    ] = "admin",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Create a console user; the password is asked for (or read from stdin)."""
    from lrs.services import audit, console

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    actor = audit.cli_actor()
    _run(lambda engine: console.create_user(engine, name, password, role, actor=actor))
    sys.stdout.write(f"created console user {name} ({role})\n")


@users_app.command("list")
def list_users() -> None:
    """Every console user: name, role, whether disabled, created."""
    from lrs.services import console

    rows = _run(console.list_users)
    for row in rows:
        state = "disabled" if row.disabled else "active"
        sys.stdout.write(f"{row.name}\t{row.role}\t{state}\t{row.created.isoformat()}\n")


@users_app.command("disable")
def disable(name: Name) -> None:
    """Disable a console user; their sessions end at once."""
    from lrs.services import audit, console

    actor = audit.cli_actor()
    _run(lambda engine: console.disable_user(engine, name, actor=actor))
    sys.stdout.write(f"disabled console user {name}\n")
