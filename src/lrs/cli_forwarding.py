"""`lrs forwarding ...`: the forwarding targets from the command line, on the database
directly (like `lrs credentials`). Output is the JSON the HTTP interface answers with."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncEngine

forwarding_app = typer.Typer(
    help="Forward statements to other LRSs and webhooks: targets, dead letters, replay.",
    no_args_is_help=True,
)

TargetId = Annotated[str, typer.Argument(help="the target's id")]


def _print(value: object) -> None:
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=True) + "\n")


def _run(action: Callable[[AsyncEngine, str | None, int], Awaitable[Any]]) -> Any:
    """Run a service call on the configured (or embedded) database at schema head."""
    from lrs.cli import settings_or_exit
    from lrs.cli_data import engine_action

    settings = settings_or_exit()

    async def call(engine: AsyncEngine) -> Any:
        return await action(engine, settings.secret_key, settings.forwarding_batch_size)

    return engine_action(call)


def _body(text: str) -> Any:
    from lrs.cli import fail

    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise fail(f"the body is not JSON: {error}", 2) from None


@forwarding_app.command("create")
def create(
    body: Annotated[
        str,
        typer.Argument(
            help='the target as JSON, e.g. \'{"type": "webhook", "url": ..., "secret": ...}\''
        ),
    ],
) -> None:
    """Create a target (xapi or webhook); prints it, without its secret."""
    from lrs.services import forwarding

    parsed = _body(body)
    _print(_run(lambda engine, key, _: forwarding.create_target(engine, parsed, key)))


@forwarding_app.command("list")
def list_targets() -> None:
    """Every target with its status (pending, lag, delivered, retried, dead)."""
    from lrs.services import forwarding

    _print({"targets": _run(lambda engine, _k, _b: forwarding.list_targets(engine))})


@forwarding_app.command("show")
def show(target_id: TargetId) -> None:
    """One target with its status."""
    from lrs.services import forwarding

    _print(_run(lambda engine, _k, _b: forwarding.get_target(engine, target_id)))


@forwarding_app.command("update")
def update(
    target_id: TargetId,
    body: Annotated[str, typer.Argument(help="the fields to change, as JSON")],
) -> None:
    """Change a target; fields left out are kept."""
    from lrs.services import forwarding

    parsed = _body(body)
    _print(_run(lambda engine, key, _: forwarding.update_target(engine, target_id, parsed, key)))


@forwarding_app.command("pause")
def pause(target_id: TargetId) -> None:
    """Stop delivering to a target (statements keep queueing)."""
    from lrs.services import forwarding

    _print(_run(lambda engine, _k, _b: forwarding.set_paused(engine, target_id, True)))


@forwarding_app.command("resume")
def resume(target_id: TargetId) -> None:
    """Deliver again, from the oldest pending statement."""
    from lrs.services import forwarding

    _print(_run(lambda engine, _k, _b: forwarding.set_paused(engine, target_id, False)))


@forwarding_app.command("delete")
def delete(target_id: TargetId) -> None:
    """Remove a target, its queue and its dead letters."""
    from lrs.services import forwarding

    _run(lambda engine, _k, _b: forwarding.delete_target(engine, target_id))
    _print({"deleted": target_id})


@forwarding_app.command("dead-letters")
def dead_letters(
    target_id: TargetId,
    after: Annotated[int, typer.Option(help="list after this dead-letter id")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
) -> None:
    """Statements a target refused or that ran out of retries, with the last error."""
    from lrs.services import forwarding

    _print(_run(lambda engine, _k, _b: forwarding.dead_letters(engine, target_id, after, limit)))


@forwarding_app.command("replay")
def replay(
    target_id: TargetId,
    since: Annotated[str | None, typer.Option(help="stored at or after (ISO 8601)")] = None,
    until: Annotated[str | None, typer.Option(help="stored before (ISO 8601)")] = None,
) -> None:
    """Queue the dead letters again, or (with --since/--until) every statement stored in
    that range."""
    from lrs.services import forwarding

    body = {k: v for k, v in (("since", since), ("until", until)) if v is not None}
    _print(_run(lambda engine, _k, size: forwarding.replay(engine, target_id, body, size)))


def register(app: typer.Typer) -> None:
    app.add_typer(forwarding_app, name="forwarding")
