"""`lrs pull`: copy every statement of another xAPI LRS into this one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.cli_data import EXIT_REJECTED, authority_of, engine_action, err_console, timestamp_option
from lrs.errors import LRSError
from lrs.xapi.versions import XapiVersion

if TYPE_CHECKING:
    from lrs.services.pull import PullReport

EXIT_INCOMPLETE = 4
EXIT_INTERRUPTED = 130


def pull_command(
    url: Annotated[
        str,
        typer.Argument(
            metavar="URL", help="the other LRS's xAPI endpoint, e.g. https://lrs.example/xapi"
        ),
    ],
    user: Annotated[
        str, typer.Option("--user", metavar="KEY", help="its credential key (HTTP Basic user)")
    ],
    password: Annotated[
        str, typer.Option("--password", metavar="SECRET", help="its credential secret")
    ],
    since: Annotated[
        str | None, typer.Option(metavar="T", help="only statements stored after this")
    ] = None,
    until: Annotated[
        str | None, typer.Option(metavar="T", help="only statements stored up to this")
    ] = None,
    xapi_version: Annotated[
        str, typer.Option(metavar="V", help="X-Experience-API-Version to send: 2.0.0 or 1.0.3")
    ] = "2.0.0",
    page_size: Annotated[
        int, typer.Option(min=1, max=5000, help="statements asked for per page (limit)")
    ] = 500,
    retries: Annotated[
        int,
        typer.Option(
            min=0, max=30, help="retries of a failing page (backoff 0.5 s, doubling, 30 s at most)"
        ),
    ] = 8,
    restart: Annotated[
        bool, typer.Option("--restart", help="forget the saved position: read from --since")
    ] = False,
    credential: Annotated[
        str | None,
        typer.Option(help="credential key whose authority goes on statements without one"),
    ] = None,
) -> None:
    """Copy statements from another LRS, in stored order, with their attachments.

    Statements keep their id, stored, authority and version (as `lrs import`). Rerun to
    continue where a pull stopped: the position per source URL is saved after every page.
    Exit status 0 when everything was copied, 3 when statements were refused or conflict,
    4 when the source could not be read to the end.
    """
    from lrs.ext.services.startup import start_extensions
    from lrs.services.pull import PullOptions, pull_statements
    from lrs.services.pull_source import Backoff, Source, statements_url
    from lrs.settings import load_settings

    if xapi_version not in ("1.0.3", "2.0.0"):
        raise typer.BadParameter("use 1.0.3 or 2.0.0", param_hint="--xapi-version")
    try:
        statements_url(url)
    except LRSError as error:
        raise typer.BadParameter(error.message, param_hint="URL") from None
    options = PullOptions(
        since=timestamp_option(since, "--since"),
        until=timestamp_option(until, "--until"),
        default_version=XapiVersion.V1_0_3 if xapi_version == "1.0.3" else XapiVersion.V2_0_0,
        page_size=page_size,
        restart=restart,
    )

    async def action(engine: AsyncEngine) -> PullReport:
        authority = await authority_of(engine, credential)
        hooks = await start_extensions(engine, load_settings())
        with _progress() as (progress, task):

            def on_retry(reason: str, delay: float) -> None:
                progress.console.print(
                    f"retrying in {delay:.1f} s: {reason}", highlight=False, soft_wrap=True
                )

            source = Source(
                url,
                user=user,
                password=password,
                version=xapi_version,
                backoff=Backoff(attempts=retries),
                on_retry=on_retry,
            )
            try:
                return await pull_statements(
                    engine,
                    source,
                    options,
                    authority=authority,
                    hooks=hooks,
                    progress=lambda n: progress.advance(task, n),
                )
            finally:
                await source.aclose()

    try:
        report: PullReport = engine_action(action)
    except KeyboardInterrupt:
        err_console.print("interrupted: run the same command again to continue", highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    _summary(url, report)
    if report.error is not None:
        raise typer.Exit(EXIT_INCOMPLETE)
    if not report.ok:
        raise typer.Exit(EXIT_REJECTED)


@contextmanager
def _progress() -> Iterator[tuple[Progress, TaskID]]:
    """A rich progress line on stderr: the source tells no total, so a count and a clock."""
    columns = [
        SpinnerColumn(),
        TextColumn("[bold]pull"),
        TextColumn("{task.completed:,.0f} statements"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err_console) as progress:
        yield progress, progress.add_task("pull", total=None)


def _summary(url: str, report: PullReport) -> None:
    counts = report.statements
    for number, message in counts.invalid:
        err_console.print(f"#{number}: refused: {message}", highlight=False, soft_wrap=True)
    for number, message in counts.conflicts:
        err_console.print(f"#{number}: conflict: {message}", highlight=False, soft_wrap=True)
    if report.resumed_after is not None:
        err_console.print(
            f"resumed after stored {report.resumed_after.isoformat()}", highlight=False
        )
    err_console.print(
        f"received {counts.read}, stored {counts.stored}, already stored {counts.skipped}, "
        f"refused {len(counts.invalid)}, conflicting {len(counts.conflicts)} "
        f"({report.pages} pages, {report.retries} retries)",
        highlight=False,
    )
    if report.error is not None:
        err_console.print(
            f"[bold red]INCOMPLETE:[/] {report.error}; run the same command again to continue",
            highlight=False,
            soft_wrap=True,
        )
    elif not report.ok:
        err_console.print(
            f"[bold red]NOT ALL COPIED:[/] {len(counts.invalid) + len(counts.conflicts)} "
            "statements were not stored (listed above)",
            highlight=False,
            soft_wrap=True,
        )
    else:
        err_console.print(f"complete: every statement of {url} is here", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("pull")(pull_command)
