"""create_app(settings): the ASGI application. Nothing happens at import time."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from lrs import __version__
from lrs.api.alternate import AlternateRequestMiddleware
from lrs.api.body_budget import ByteBudget
from lrs.api.console_deps import install_console
from lrs.api.context import AppContext
from lrs.api.errors import install_error_handlers
from lrs.api.metrics import Metrics
from lrs.api.metrics_forwarding import ForwardingGauges
from lrs.api.middleware import BodyLimitMiddleware, RequestContextMiddleware, XapiVersionMiddleware
from lrs.api.responses import JSONResponse
from lrs.api.routes import resource_routers
from lrs.auth.authenticator import Authenticator
from lrs.errors import LRSError
from lrs.ext import start_extensions
from lrs.heap import settle_heap
from lrs.hooks import ingest_hooks
from lrs.logs import configure_logging, json_logging_active
from lrs.services.batch_process import BatchProcess
from lrs.services.batch_processes import BatchProcesses
from lrs.services.credentials import ensure_bootstrap
from lrs.services.forwarder import Forwarder
from lrs.services.retention import start_retention, stop_retention
from lrs.settings import Settings, load_settings
from lrs.storage.database import make_engine
from lrs.storage.embedded import EmbeddedPostgres
from lrs.storage.migrate import current_revision, head_revision, upgrade
from lrs.xapi.versions import VERSION_HEADER, XapiVersion

log = logging.getLogger("lrs")

EXPOSED_HEADERS = [
    VERSION_HEADER,
    "X-Experience-API-Consistent-Through",
    "ETag",
    "Last-Modified",
    "X-Request-ID",
]
ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    VERSION_HEADER,
    "If-Match",
    "If-None-Match",
    "Accept-Language",
    "X-Request-ID",
]


class SchemaBehind(LRSError):
    """The external database's schema is older than this release expects."""


async def prepare_database(settings: Settings, url: str, *, migrate: bool) -> None:
    """Migrate, or refuse to run on a schema that is behind (external databases)."""
    engine = make_engine(url, pool_size=1)
    try:
        if migrate:
            await upgrade(engine)
            return
        current, head = await current_revision(engine), head_revision()
        if current != head:
            raise SchemaBehind(
                f"the database schema is at revision {current or 'none'} but this lrs needs "
                f"{head}; run `lrs migrate` or start with `lrs serve --migrate`"
            )
    finally:
        await engine.dispose()


def create_app(settings: Settings | None = None, *, migrate: bool = False) -> FastAPI:
    """Build the app. Without LRS_DATABASE_URL the lifespan starts the embedded PostgreSQL
    (and migrates it); with one it checks the schema, migrating only when asked."""
    settings = settings or load_settings()
    metrics = Metrics()
    forwarding_gauges = ForwardingGauges(metrics.registry)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        embedded: EmbeddedPostgres | None = None
        url = settings.async_database_url
        if url is None:
            embedded = EmbeddedPostgres(settings.data_dir)
            url = embedded.start()
        try:
            await prepare_database(settings, url, migrate=migrate or embedded is not None)
            engine = make_engine(
                url,
                pool_size=settings.pool_size,
                statement_timeout_ms=settings.statement_timeout_ms,
            )
            if settings.bootstrap_key and settings.bootstrap_secret:
                await ensure_bootstrap(engine, settings.bootstrap_key, settings.bootstrap_secret)
            await start_extensions(engine, settings)
            batches = BatchProcesses(
                [
                    BatchProcess(url, settings, ingest_hooks, json_logs=json_logging_active())
                    for _ in range(settings.batch_processes)
                ]
            )
            await batches.start()
            app.state.lrs = AppContext(
                settings=settings,
                engine=engine,
                authenticator=Authenticator(engine),
                metrics=metrics,
                ingest_hooks=ingest_hooks(settings),
                batch_processes=batches,
            )
            settle_heap()
            retention = start_retention(engine, settings.retention_days)
            forwarder = Forwarder(url, settings, forwarding_gauges.update)
            if settings.forwarding_enabled:
                await forwarder.start()
            try:
                yield
            finally:
                await forwarder.stop()
                await stop_retention(retention)
                await batches.stop()
                await app.state.lrs.close()
                await engine.dispose()
        finally:
            if embedded is not None:
                embedded.stop()

    app = FastAPI(
        title="lrs",
        version=__version__,
        description="An xAPI 1.0.3 and 2.0.0 Learning Record Store on PostgreSQL.",
        lifespan=lifespan,
        default_response_class=JSONResponse,
        docs_url="/docs",
        redoc_url=None,
        # FastAPI's native OpenTelemetry asks the global providers on every request (about
        # 3 us, environment reads included); lrs reports through its own metrics and logs.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_error_handlers(app)
    install_console(app)
    for router in resource_routers():
        app.include_router(router)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        budget=ByteBudget(settings.body_memory_bytes),
    )
    app.add_middleware(XapiVersionMiddleware, primary=XapiVersion(settings.primary_xapi_version))
    # Outside the version middleware: the version may come from the form (ALT-004).
    app.add_middleware(
        AlternateRequestMiddleware,
        primary=XapiVersion(settings.primary_xapi_version),
        max_bytes=settings.max_body_bytes,
    )
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        allow_credentials="*" not in settings.cors_origins,
        max_age=600,
    )
    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (used by `lrs serve --workers N`). Each worker is a
    fresh interpreter, so it sets up the JSON logs itself; without this its access and
    error lines would be lost."""
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
