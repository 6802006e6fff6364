"""The `lrs` command: serve, migrate, credentials, openapi."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.errors import LRSError
from lrs.settings import Settings, load_settings
from lrs.storage.credentials import CredentialRow

app = typer.Typer(help="lrs: an xAPI Learning Record Store on PostgreSQL.", no_args_is_help=True)
credentials_app = typer.Typer(help="Create, list and revoke API credentials.", no_args_is_help=True)
app.add_typer(credentials_app, name="credentials")

console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


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

    try:
        return asyncio.run(main())
    except LRSError as error:
        raise fail(error.message) from None
    except OSError as error:
        raise fail(f"cannot reach the database: {error}") from None


async def _with_engine(url: str, action: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    from lrs.storage.database import make_engine

    engine = make_engine(url, pool_size=2)
    try:
        return await action(engine)
    finally:
        await engine.dispose()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="interface to bind (LRS_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port to bind (LRS_PORT)")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes (LRS_WORKERS)")] = None,
    migrate: Annotated[
        bool, typer.Option("--migrate", help="upgrade an external database's schema first")
    ] = False,
) -> None:
    """Run the LRS. Without LRS_DATABASE_URL it starts (and migrates) an embedded PostgreSQL."""
    import uvicorn

    from lrs.app import create_app, prepare_database
    from lrs.logs import configure_logging

    settings = settings_or_exit(host=host, port=port, workers=workers)
    configure_logging(settings.log_level)
    with database_url(settings) as (url, embedded):
        run(lambda: prepare_database(settings, url, migrate=migrate or embedded))
        issued = run(lambda: _bootstrap(settings, url))
        _banner(settings, issued, embedded)
        served = settings.model_copy(update={"database_url": url})
        _exit_cleanly_on_signals()
        if settings.workers == 1:
            uvicorn.run(
                create_app(served),
                host=settings.host,
                port=settings.port,
                log_config=None,
                timeout_graceful_shutdown=30,
                server_header=False,
            )
        else:
            os.environ["LRS_DATABASE_URL"] = url
            uvicorn.run(
                "lrs.app:create_app_from_env",
                factory=True,
                host=settings.host,
                port=settings.port,
                workers=settings.workers,
                log_config=None,
                timeout_graceful_shutdown=30,
                server_header=False,
            )


def _exit_cleanly_on_signals() -> None:
    """uvicorn drains in-flight requests on SIGTERM/SIGINT, then re-raises the signal to the
    handler that was installed before it; this one turns it into a normal exit, so the
    embedded PostgreSQL is stopped on the way out."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


async def _bootstrap(settings: Settings, url: str) -> tuple[str, str] | None:
    """Create the bootstrap credential; on a database without any, issue one and print it."""
    from lrs.services import credentials as service

    async def action(engine: AsyncEngine) -> tuple[str, str] | None:
        if settings.bootstrap_key and settings.bootstrap_secret:
            await service.ensure_bootstrap(
                engine, settings.bootstrap_key, settings.bootstrap_secret
            )
            return None
        if await service.list_credentials(engine):
            return None
        issued = await service.create_credential(engine, name="initial")
        return issued.key, issued.secret

    return await _with_engine(url, action)


def _banner(settings: Settings, issued: tuple[str, str] | None, embedded: bool) -> None:
    where = f"http://{settings.host}:{settings.port}/xAPI/"
    db = (
        f"embedded PostgreSQL in {settings.data_dir.resolve()}"
        if embedded
        else "external PostgreSQL"
    )
    err_console.print(f"[bold]lrs[/] serving xAPI at {where} ({db})", highlight=False)
    if issued is not None:
        key, secret = issued
        err_console.print(
            "[bold yellow]No credentials existed, so one was created (shown only now):[/]\n"
            f"  key:    {key}\n  secret: {secret}\n"
            f"  e.g. curl -u {key}:{secret} -H 'X-Experience-API-Version: 2.0.0' "
            f"{where}statements",
            highlight=False,
        )
    elif settings.bootstrap_key:
        err_console.print(
            f"credential: the bootstrap key {settings.bootstrap_key!r} (LRS_BOOTSTRAP_KEY)",
            highlight=False,
        )


@app.command("migrate")
def migrate_command() -> None:
    """Upgrade the database schema to this release's head revision."""
    from lrs.storage.migrate import current_revision, head_revision, upgrade

    settings = settings_or_exit()
    with database_url(settings) as (url, _):

        async def action(engine: AsyncEngine) -> str | None:
            await upgrade(engine)
            return await current_revision(engine)

        revision = run(lambda: _with_engine(url, action))
    console.print(f"schema at revision {revision} (head {head_revision()})", highlight=False)


@credentials_app.command("create")
def credentials_create(
    name: Annotated[str | None, typer.Option(help="a label for people")] = None,
    key: Annotated[str | None, typer.Option(help="the Basic user name; random if omitted")] = None,
    secret: Annotated[
        str | None, typer.Option(help="the Basic password; random if omitted")
    ] = None,
    scopes: Annotated[
        list[str] | None,
        typer.Option(
            "--scopes", "--scope", help="xAPI scopes (repeat or comma-separate); default all"
        ),
    ] = None,
) -> None:
    """Create a credential and print its key and secret (the secret is shown only now)."""
    from lrs.auth.scopes import parse_scopes
    from lrs.services import credentials as service

    try:
        chosen = parse_scopes(scopes or ["all"])
    except ValueError as error:
        raise fail(str(error), 2) from None
    settings = settings_or_exit()
    with database_url(settings) as (url, _):

        async def action(engine: AsyncEngine) -> service.IssuedCredential:
            await _ensure_schema(engine)
            return await service.create_credential(
                engine, name=name, key=key, secret=secret, scopes=chosen
            )

        issued = run(lambda: _with_engine(url, action))
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
    from lrs.services import credentials as service

    settings = settings_or_exit()
    with database_url(settings) as (url, _):

        async def action(engine: AsyncEngine) -> list[CredentialRow]:
            await _ensure_schema(engine)
            return await service.list_credentials(engine)

        rows = run(lambda: _with_engine(url, action))
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(_row_dict(row)) + "\n")
        return
    table = Table("key", "name", "scopes", "created", "revoked")
    for row in rows:
        table.add_row(
            row.key,
            row.name,
            " ".join(row.scopes),
            row.created_at.isoformat(timespec="seconds"),
            row.revoked_at.isoformat(timespec="seconds") if row.revoked_at else "",
        )
    console.print(table)


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
    from lrs.services import credentials as service

    settings = settings_or_exit()
    with database_url(settings) as (url, _):

        async def action(engine: AsyncEngine) -> None:
            await _ensure_schema(engine)
            await service.revoke_credential(engine, key)

        run(lambda: _with_engine(url, action))
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


from lrs.cli_data import register  # noqa: E402  (the data commands use the helpers above)

register(app)
from lrs.cli_forwarding import register as register_forwarding  # noqa: E402

register_forwarding(app)


def main() -> None:
    app()
