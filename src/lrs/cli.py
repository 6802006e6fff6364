"""The `lrs` command: serve, migrate, credentials, openapi."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs import __version__
from lrs.errors import LRSError
from lrs.settings import Settings, load_settings
from lrs.storage.credentials import CredentialRow

# Plain help (no boxes, no `<bool>` metavars) and plain tracebacks (no pages of locals).
_TYPER_OPTIONS: dict[str, Any] = {
    "no_args_is_help": True,
    "rich_markup_mode": None,
    "pretty_exceptions_enable": False,
}
app = typer.Typer(help="lrs: an xAPI Learning Record Store on PostgreSQL.", **_TYPER_OPTIONS)
credentials_app = typer.Typer(help="Create, list and revoke API credentials.", **_TYPER_OPTIONS)
app.add_typer(credentials_app, name="credentials")

console = Console()
err_console = Console(stderr=True)
log = logging.getLogger("lrs")
T = TypeVar("T")


def fail(message: str, code: int = 1) -> typer.Exit:
    """One line on stderr; a JSON log line when stderr is a log stream that `serve` set up."""
    from lrs.logs import json_logging_active

    if json_logging_active() and not sys.stderr.isatty():
        log.error("error: %s", message, extra={"exit_code": code})
    else:
        err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"lrs {__version__}\n")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """lrs: an xAPI Learning Record Store on PostgreSQL."""


def settings_or_exit(**overrides: object) -> Settings:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except LRSError as error:
        raise fail(error.message, 2) from None


@contextlib.contextmanager
def database_url(settings: Settings) -> Iterator[tuple[str, bool]]:
    """The database to use: the configured one, or the embedded one (started, then released)."""
    url = settings.async_database_url
    if url is not None:
        yield url, False
        return
    from lrs.storage.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(settings.data_dir)
    try:
        started = embedded.start()
    except LRSError as error:
        raise fail(f"could not start the embedded PostgreSQL: {error.message}") from None
    try:
        yield started, True
    finally:
        embedded.stop()


def run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coro_factory()

    from lrs.storage.database import database_error_message

    try:
        return asyncio.run(main())
    except LRSError as error:
        raise fail(error.message) from None
    except OSError as error:
        raise fail(f"cannot reach the database: {error}") from None
    except Exception as error:
        # A wrong database name, user or password: the server's words, on one line.
        message = database_error_message(error)
        if message is None:
            raise
        raise fail(f"the database refused: {message} (check LRS_DATABASE_URL)") from None


async def _with_engine(url: str, action: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    from lrs.storage.database import make_engine

    engine = make_engine(url, pool_size=2)
    try:
        return await action(engine)
    finally:
        await engine.dispose()


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(metavar="HOST", help="interface to bind (LRS_HOST)")
    ] = None,
    port: Annotated[
        int | None, typer.Option(metavar="PORT", help="port to bind (LRS_PORT)")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(metavar="N", help="worker processes (LRS_WORKERS; default: CPUs / 2)"),
    ] = None,
    migrate: Annotated[
        bool, typer.Option("--migrate", help="upgrade an external database's schema first")
    ] = False,
) -> None:
    """Run the LRS. Without LRS_DATABASE_URL it starts (and migrates) an embedded PostgreSQL."""
    import uvicorn

    from lrs.api.http_limits import bounded_protocol
    from lrs.app import create_app, prepare_database
    from lrs.cli_serve import (
        Startup,
        announce,
        on_port_bound,
        raise_open_files_limit,
        secret_stream,
    )
    from lrs.logs import configure_logging

    configure_logging("INFO")  # so that a settings error is a log line too
    settings = settings_or_exit(host=host, port=port, workers=workers)
    configure_logging(settings.log_level)
    with database_url(settings) as (url, embedded):
        run(lambda: prepare_database(settings, url, migrate=migrate or embedded))
        may_issue = secret_stream() is not None
        issued = run(lambda: _bootstrap(settings, url, may_issue=may_issue))
        startup = Startup(
            url=f"http://{settings.host}:{settings.port}/xAPI/",
            database=(
                f"embedded PostgreSQL in {settings.data_dir.resolve()}"
                if embedded
                else "external PostgreSQL"
            ),
            bootstrap_key=settings.bootstrap_key,
            issued=issued,
        )
        on_port_bound(lambda: announce(startup))
        served = settings.model_copy(update={"database_url": url})
        _exit_cleanly_on_signals()
        raise_open_files_limit()
        common: dict[str, Any] = {
            "host": settings.host,
            "port": settings.port,
            "log_config": None,
            "timeout_graceful_shutdown": 30,
            "server_header": False,
            "http": bounded_protocol(
                settings.max_header_bytes,
                max_header_fields=settings.max_header_fields,
                header_timeout=settings.header_timeout_seconds,
                body_timeout=settings.body_timeout_seconds,
            ),
        }
        if settings.worker_count == 1:
            uvicorn.run(create_app(served), **common)
        else:
            os.environ["LRS_DATABASE_URL"] = url
            uvicorn.run(
                "lrs.app:create_app_from_env", factory=True, workers=settings.worker_count, **common
            )


def _exit_cleanly_on_signals() -> None:
    """uvicorn drains in-flight requests on SIGTERM/SIGINT, then re-raises the signal to the
    handler that was installed before it; this one turns it into a normal exit, so the
    embedded PostgreSQL is stopped on the way out."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


async def _bootstrap(settings: Settings, url: str, *, may_issue: bool) -> tuple[str, str] | None:
    """Create the bootstrap credential; on a database without any, issue one to show once
    (only if there is somewhere to show it that is not the log stream)."""
    from lrs.services import credentials as service

    async def action(engine: AsyncEngine) -> tuple[str, str] | None:
        if settings.bootstrap_key and settings.bootstrap_secret:
            await service.ensure_bootstrap(
                engine, settings.bootstrap_key, settings.bootstrap_secret
            )
            return None
        if await service.list_credentials(engine):
            return None
        if not may_issue:
            log.warning(
                "no credential exists and none was created: stdout and stderr are both the "
                "log stream, where a secret must not go; set LRS_BOOTSTRAP_KEY and "
                "LRS_BOOTSTRAP_SECRET, or run `lrs credentials create`"
            )
            return None
        issued = await service.create_credential(engine, name="initial")
        return issued.key, issued.secret

    return await _with_engine(url, action)


@app.command("migrate")
def migrate_command() -> None:
    """Upgrade the database schema to this release's head revision."""
    from lrs.storage.migrate import current_revision, head_revision, upgrade

    settings = settings_or_exit()
    with database_url(settings) as (url, _):

        async def action(engine: AsyncEngine) -> tuple[str | None, str | None]:
            before = await current_revision(engine)
            await upgrade(engine)
            return before, await current_revision(engine)

        before, after = run(lambda: _with_engine(url, action))
    if before == after:
        change = "already up to date, nothing changed"
    else:
        change = f"upgraded from {before or 'an empty database'}"
    console.print(f"schema at revision {after} (head {head_revision()}): {change}", highlight=False)


@credentials_app.command("create")
def credentials_create(
    name: Annotated[str | None, typer.Option(metavar="NAME", help="a label for people")] = None,
    key: Annotated[
        str | None, typer.Option(metavar="KEY", help="the Basic user name; random if omitted")
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option(metavar="SECRET", help="the Basic password; random if omitted"),
    ] = None,
    scopes: Annotated[
        list[str] | None,
        typer.Option(
            "--scopes",
            "--scope",
            metavar="SCOPE",
            help="xAPI scopes: `--scopes state profile`, repeated or comma-separated; default all",
        ),
    ] = None,
    more_scopes: Annotated[
        list[str] | None,
        typer.Argument(metavar="SCOPE", hidden=True),
    ] = None,
) -> None:
    """Create a credential and print its key and secret (the secret is shown only now)."""
    from lrs.auth.scopes import parse_scopes
    from lrs.services import credentials as service

    try:
        chosen = parse_scopes([*(scopes or []), *(more_scopes or [])] or ["all"])
    except ValueError as error:
        raise fail(str(error), 2) from None
    from lrs.cli_data import engine_action

    async def action(engine: AsyncEngine) -> service.IssuedCredential:
        return await service.create_credential(
            engine, name=name, key=key, secret=secret, scopes=chosen
        )

    issued: service.IssuedCredential = engine_action(action)
    console.print(
        f"key:    {issued.key}\nsecret: {issued.secret}\nscopes: {' '.join(issued.scopes)}",
        highlight=False,
    )


async def _ensure_schema(engine: AsyncEngine) -> None:
    from lrs.app import SchemaBehind
    from lrs.storage.migrate import current_revision, head_revision

    if await current_revision(engine) != head_revision():
        raise SchemaBehind("the database schema is not at head; run `lrs migrate` first")


@credentials_app.command("list")
def credentials_list(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON lines")] = False,
) -> None:
    """List credentials (never their secrets)."""
    from lrs.cli_data import engine_action
    from lrs.services import credentials as service

    rows: list[CredentialRow] = engine_action(service.list_credentials)
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(_row_dict(row)) + "\n")
        return
    table: list[tuple[str, ...]] = [("KEY", "NAME", "SCOPES", "CREATED", "REVOKED")]
    for row in rows:
        table.append(
            (
                row.key,
                row.name,
                " ".join(row.scopes),
                row.created_at.isoformat(timespec="seconds"),
                row.revoked_at.isoformat(timespec="seconds") if row.revoked_at else "",
            )
        )
    sys.stdout.write(_columns(table))


def _columns(rows: list[tuple[str, ...]]) -> str:
    """Aligned plain-text columns, every cell whole (a key is never cut or wrapped)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in rows
    )


def _row_dict(row: CredentialRow) -> dict[str, object]:
    return {
        "key": row.key,
        "name": row.name,
        "scopes": list(row.scopes),
        "created_at": row.created_at.isoformat(timespec="seconds"),
        "revoked_at": row.revoked_at.isoformat(timespec="seconds") if row.revoked_at else None,
    }


@credentials_app.command("revoke")
def credentials_revoke(key: Annotated[str, typer.Argument(help="the key to revoke")]) -> None:
    """Revoke a credential; it stops working at once."""
    from lrs.cli_data import engine_action
    from lrs.services import credentials as service

    async def action(engine: AsyncEngine) -> None:
        await service.revoke_credential(engine, key)

    engine_action(action)
    console.print(f"revoked {key}", highlight=False)


@app.command("openapi")
def openapi_command(
    output: Annotated[Path | None, typer.Option(help="file to write; stdout if omitted")] = None,
) -> None:
    """Write the OpenAPI spec of the HTTP interface."""
    from lrs.openapi_spec import render_openapi

    text = render_openapi()
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}", highlight=False)


from lrs.cli_console import users_app  # noqa: E402
from lrs.cli_data import register  # noqa: E402  (the data commands use the helpers above)
from lrs.cli_forwarding import register as register_forwarding  # noqa: E402
from lrs.cli_lifecycle import register as register_lifecycle  # noqa: E402
from lrs.cli_pull import register as register_pull  # noqa: E402
from lrs.cli_service_proof import service_proof_app  # noqa: E402

register(app)
register_pull(app)
register_lifecycle(app)
app.add_typer(service_proof_app, name="service-proof")
register_forwarding(app)
app.add_typer(users_app, name="users")


def main() -> None:
    app(prog_name="lrs")
