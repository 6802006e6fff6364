"""`lrs import`, `lrs export` and `lrs bench`: moving data in and out, and measuring."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.auth.principal import authority_for
from lrs.xapi.primitives import parse_timestamp
from lrs.xapi.versions import XapiVersion

err_console = Console(stderr=True)
IMPORT_AUTHORITY = authority_for("lrs-import", "lrs import")
EXIT_REJECTED = 3


@contextmanager
def _progress(description: str, total: int, *, as_bytes: bool) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr; yields the `advance(n)` callback."""
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn() if as_bytes else MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


def timestamp_option(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError as error:
        raise typer.BadParameter(f"{name}: {error}") from None


def engine_action(action: Callable[[AsyncEngine], Any]) -> Any:
    """Run `action(engine)` against the configured (or embedded) database, schema at head:
    the embedded one is migrated first, as `lrs serve` does; an external one behind head is
    refused (`lrs migrate` upgrades it). Every CLI command on the database's content goes
    through here (`migrate`, `backup` and `restore` work on the schema or the whole
    database)."""
    from lrs.app import prepare_database
    from lrs.cli import _ensure_schema, _with_engine, database_url, run, settings_or_exit
    from lrs.heap import settle_heap

    settings = settings_or_exit()

    async def checked(engine: object) -> Any:
        assert isinstance(engine, AsyncEngine)
        await _ensure_schema(engine)
        settle_heap()
        return await action(engine)

    with database_url(settings) as (url, embedded):
        if embedded:
            run(lambda: prepare_database(settings, url, migrate=True))
        return run(lambda: _with_engine(url, checked))


def _open_source(file: Path) -> tuple[IO[bytes], int]:
    """The input stream and its size (0 for stdin); a missing file stops with one line."""
    if str(file) == "-":
        return sys.stdin.buffer, 0
    try:
        return file.open("rb"), file.stat().st_size
    except OSError as error:
        err_console.print(
            f"[bold red]error:[/] cannot read {str(file)!r}: {error.strerror}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2) from None


def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="NDJSON (attachment lines allowed, as `lrs export` writes); - for stdin"
        ),
    ],
    batch_size: Annotated[
        int, typer.Option(min=1, max=5000, help="statements per transaction")
    ] = 500,
    jobs: Annotated[int, typer.Option(min=1, max=16, help="transactions in flight")] = 2,
    xapi_version: Annotated[
        str, typer.Option(help="rules for statements without a `version`")
    ] = "2.0.0",
    credential: Annotated[
        str | None,
        typer.Option(help="credential key whose authority goes on statements without one"),
    ] = None,
) -> None:
    """Import statements, validated as POST /statements does; safe to run again.

    Each statement keeps its own id, authority, stored, timestamp and version. Attachment
    payloads come from the `lrs:attachment` lines before their statement (plain NDJSON has
    none). Invalid lines are reported by number and not stored; statements already stored are
    skipped when equivalent and reported when conflicting (exit status 3 if any line was
    reported).
    """
    from lrs.ext.services.startup import start_extensions
    from lrs.services.bulk import import_statements
    from lrs.settings import load_settings

    default = XapiVersion.V1_0_3 if xapi_version.startswith("1.0") else XapiVersion.V2_0_0
    source, total = _open_source(file)

    async def action(engine: AsyncEngine) -> Any:
        authority = await authority_of(engine, credential)
        hooks = await start_extensions(engine, load_settings())
        with _progress("import", total, as_bytes=True) as advance:
            return await import_statements(
                engine,
                source,
                authority=authority,
                default_version=default,
                batch_size=batch_size,
                jobs=jobs,
                hooks=hooks,
                progress=advance,
            )

    try:
        report = engine_action(action)
    finally:
        source.close()
    for number, message in report.invalid:
        err_console.print(f"line {number}: invalid: {message}", highlight=False, soft_wrap=True)
    for number, message in report.conflicts:
        err_console.print(f"line {number}: conflict: {message}", highlight=False, soft_wrap=True)
    err_console.print(
        f"read {report.read}, stored {report.stored}, already stored {report.skipped}, "
        f"invalid {len(report.invalid)}, conflicting {len(report.conflicts)}",
        highlight=False,
    )
    if not report.ok:
        raise typer.Exit(EXIT_REJECTED)


async def authority_of(engine: AsyncEngine, key: str | None) -> dict[str, Any]:
    if key is None:
        return IMPORT_AUTHORITY
    from lrs.errors import NotFound
    from lrs.storage import credentials as repo
    from lrs.storage.database import autocommit

    async with autocommit(engine) as conn:
        row = await repo.find_credential(conn, key)
    if row is None:
        raise NotFound(f"no credential with key {key!r}")
    return row.authority


def export_command(
    since: Annotated[str | None, typer.Option(help="only statements stored after this")] = None,
    until: Annotated[str | None, typer.Option(help="only statements stored up to this")] = None,
    output: Annotated[Path | None, typer.Option(help="file to write; stdout if omitted")] = None,
    attachments: Annotated[
        bool,
        typer.Option(
            "--attachments/--no-attachments",
            help="write attachment payload lines (--no-attachments: plain NDJSON)",
        ),
    ] = True,
) -> None:
    """Export statements as NDJSON in stored order, voided ones included.

    Each statement with stored attachment payloads is preceded by one `lrs:attachment` line
    per payload (base64), which `lrs import` reads back; --no-attachments writes statements
    only.
    """
    from lrs.services.bulk import count_statements, export_lines

    start, end = timestamp_option(since, "--since"), timestamp_option(until, "--until")
    sink: IO[bytes] = sys.stdout.buffer if output is None else output.open("wb")

    async def action(engine: AsyncEngine) -> int:
        total = await count_statements(engine, since=start, until=end)
        written = 0
        with _progress("export", total, as_bytes=False) as advance:
            async for count, lines in export_lines(
                engine, since=start, until=end, attachments=attachments
            ):
                sink.writelines(lines)
                written += count
                advance(count)
        sink.flush()
        return written

    try:
        written = engine_action(action)
    finally:
        if output is not None:
            sink.close()
    err_console.print(f"exported {written} statements", highlight=False)


def bench_command(ctx: typer.Context) -> None:
    """Run the load tool (``python -m bench``) from a source checkout; arguments pass through."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "bench" / "__main__.py").exists():
        err_console.print("bench/ is not next to this install; run it from a source checkout")
        raise typer.Exit(2)
    completed = subprocess.run([sys.executable, "-m", "bench", *ctx.args], cwd=root, check=False)
    raise typer.Exit(completed.returncode)


def register(app: typer.Typer) -> None:
    """Add the data commands to the `lrs` application."""
    app.command("import")(import_command)
    app.command("export")(export_command)
    app.command(
        "bench",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
    )(bench_command)
