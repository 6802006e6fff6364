"""`lrs erase`, `lrs purge`, `lrs audit`, `lrs backup` and `lrs restore`: the data lifecycle
from the command line. Every act is recorded in the audit trail as ``cli:<os user>``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.cli_data import engine_action, timestamp_option
from lrs.errors import LRSError

console = Console()
err_console = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2) + "\n")


def _erasure_bodies(
    agent: str | None, actor_key: str | None, reapply: Path | None, dry_run: bool
) -> list[dict[str, Any]]:
    """The erasure requests asked for: one person, or every erasure of a saved audit trail."""
    if sum(x is not None for x in (agent, actor_key, reapply)) != 1:
        raise _fail("give exactly one of --agent, --actor-key and --reapply-from-audit")
    if agent is not None:
        try:
            return [{"agent": json.loads(agent), "dry_run": dry_run}]
        except json.JSONDecodeError as error:
            raise _fail(f"--agent is not JSON: {error}") from None
    if actor_key is not None:
        return [{"actor_key": actor_key, "dry_run": dry_run}]
    assert reapply is not None
    from lrs.services.audit import ERASURE

    keys: dict[str, None] = {}
    for number, line in enumerate(reapply.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            raise _fail(f"{reapply}:{number}: not a JSON line of `lrs audit --json`") from None
        if entry.get("action") == ERASURE and entry.get("subject"):
            keys[entry["subject"]] = None
    return [{"actor_key": key, "dry_run": dry_run} for key in keys]


def erase_command(
    agent: Annotated[
        str | None, typer.Option(help="the Agent (or identified Group) as JSON")
    ] = None,
    actor_key: Annotated[
        str | None, typer.Option(help="the pseudonymous actor_key that BI outputs show")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only count")] = False,
    reapply_from_audit: Annotated[
        Path | None,
        typer.Option(
            help="re-apply every erasure in this file (`lrs audit --action erasure --json` "
            "saved before restoring a backup)"
        ),
    ] = None,
) -> None:
    """Erase one person everywhere (statements naming them, what refers to those, their
    documents, roster and agent record); print the counts per kind as JSON."""
    from lrs.services import audit, erasure
    from lrs.services.lifecycle_input import parse_erasure
    from lrs.xapi.versions import XapiVersion

    bodies = _erasure_bodies(agent, actor_key, reapply_from_audit, dry_run)
    try:
        requests = [parse_erasure(body, XapiVersion("2.0.0")) for body in bodies]
    except LRSError as error:
        raise _fail(error.message) from None

    async def action(engine: AsyncEngine) -> list[dict[str, Any]]:
        from lrs.cli import settings_or_exit
        from lrs.ext.services.startup import ensure_pseudonym_key

        # The one-way key recorded for re-application is the pseudonym: make sure its key
        # exists even on a database no server has started on yet.
        await ensure_pseudonym_key(engine, settings_or_exit().pseudonym_key)
        actor = audit.cli_actor()
        return [await erasure.erase(engine, request, actor=actor) for request in requests]

    results = engine_action(action)
    _print_json(results[0] if reapply_from_audit is None else results)


def purge_command(
    before: Annotated[str, typer.Option(help="purge statements stored before this timestamp")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only count")] = False,
) -> None:
    """Purge every statement stored before a time, in chunks; print the counts as JSON."""
    from lrs.services import audit, purge
    from lrs.services.lifecycle_input import PurgeRequest

    bound = timestamp_option(before, "--before")
    assert bound is not None
    request = PurgeRequest(bound, dry_run)

    async def action(engine: AsyncEngine) -> dict[str, Any]:
        return await purge.purge(engine, request, actor=audit.cli_actor())

    _print_json(engine_action(action))


def audit_command(
    since: Annotated[str | None, typer.Option(help="entries at or after this time")] = None,
    until: Annotated[str | None, typer.Option(help="entries before this time")] = None,
    action: Annotated[str | None, typer.Option(help="only this action, e.g. erasure")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON lines")] = False,
) -> None:
    """Print the audit trail, oldest first."""
    from lrs.services import audit_query

    params = {"since": since, "until": until, "action": action}
    try:
        query = audit_query.parse_audit_query([(k, v) for k, v in params.items() if v])
    except LRSError as error:
        raise _fail(error.message) from None

    async def read(engine: AsyncEngine) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        page = query
        while True:
            rows, has_more = await audit_query.read_entries(engine, page)
            entries += [audit_query.entry_json(row) for row in rows]
            if not has_more or not rows:
                return entries
            page = audit_query.AuditQuery(**{**page.__dict__, "after": (rows[-1].at, rows[-1].id)})

    entries = engine_action(read)
    if as_json:
        for entry in entries:
            sys.stdout.write(json.dumps(entry) + "\n")
        return
    table = Table("at", "actor", "action", "subject", "details")
    for entry in entries:
        table.add_row(
            entry["at"],
            entry["actor"],
            entry["action"],
            entry["subject"] or "",
            json.dumps(entry["details"]),
        )
    console.print(table)


def _database_url() -> Any:
    from lrs.cli import database_url, settings_or_exit

    return database_url(settings_or_exit())


def backup_command(
    file: Annotated[Path, typer.Argument(help="the backup file to write (pg_dump custom format)")],
) -> None:
    """Back up the database with pg_dump (a consistent snapshot; the server may be running)."""
    from lrs.storage.backup import dump

    with _database_url() as (url, embedded):
        try:
            dump(url, file, embedded=embedded)
        except LRSError as error:
            raise _fail(error.message, 1) from None
    err_console.print(f"wrote {file}", highlight=False)


def restore_command(
    file: Annotated[Path, typer.Argument(help="a file written by `lrs backup`")],
) -> None:
    """Replace the database's contents with a backup (stop the server first). Erasures made
    after the backup was taken must be re-applied: see `lrs erase --reapply-from-audit`."""
    from lrs.storage.backup import restore

    if not file.is_file():
        raise _fail(f"no such file: {file}")
    with _database_url() as (url, embedded):
        try:
            restore(url, file, embedded=embedded)
        except LRSError as error:
            raise _fail(error.message, 1) from None
    err_console.print(
        f"restored {file}; re-apply erasures made since it was taken "
        "(lrs erase --reapply-from-audit)",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add the lifecycle commands to the `lrs` application."""
    for name, command in (
        ("erase", erase_command),
        ("purge", purge_command),
        ("audit", audit_command),
        ("backup", backup_command),
        ("restore", restore_command),
    ):
        app.command(name)(command)
