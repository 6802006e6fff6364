"""Shared fixtures: one real PostgreSQL database per test session, the real app over HTTP.

The database server is the embedded PostgreSQL (in ``.lrs-test/`` of the checkout) unless
``LRS_TEST_DATABASE_URL`` names another server (CI also runs against 127.0.0.1:5432). Each
session creates a fresh database on that server and drops it at the end.
"""

from __future__ import annotations

import base64
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from lrs.app import create_app
from lrs.auth.scopes import Scope
from lrs.services.credentials import create_credential
from lrs.settings import Settings
from lrs.storage.database import make_engine

ROOT = Path(__file__).resolve().parent.parent
ADMIN_KEY = "test-admin"
ADMIN_SECRET = "test-admin-secret"
DATA_TABLES = (
    "statement_terms",
    "statements",
    "attachments",
    "activities",
    "agents",
    "documents",
)


def _server_url() -> Iterator[str]:
    external = os.environ.get("LRS_TEST_DATABASE_URL")
    if external:
        yield external
        return
    from lrs.storage.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(Path(os.environ.get("LRS_TEST_DATA_DIR", ROOT / ".lrs-test")))
    try:
        yield embedded.start()
    finally:
        embedded.stop()


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    yield from _server_url()


async def create_database(server_url: str, prefix: str) -> str:
    """A new, empty database on the test server; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        # Identifiers cannot be bound parameters; the name is generated above.
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    admin = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    """A fresh, empty database for this session on the test server."""
    url = await create_database(server_url, "lrs_test")
    yield url
    await drop_database(server_url, url)


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, max_body_bytes=2 * 1024 * 1024)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings, migrate=True)
    async with application.router.lifespan_context(application):
        engine = application.state.lrs.engine
        await create_credential(engine, name="admin", key=ADMIN_KEY, secret=ADMIN_SECRET)
        yield application


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


@pytest.fixture(scope="session")
async def anon_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """No credentials, no version header."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lrs.test") as client:
        yield client


@pytest.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The all-scoped admin credential and a 2.0.0 version header."""
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": basic(ADMIN_KEY, ADMIN_SECRET), "X-Experience-API-Version": "2.0.0"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://lrs.test", headers=headers
    ) as c:
        yield c


@pytest.fixture(scope="session")
async def client_103(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The admin credential speaking xAPI 1.0.3."""
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": basic(ADMIN_KEY, ADMIN_SECRET), "X-Experience-API-Version": "1.0.3"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://lrs.test", headers=headers
    ) as c:
        yield c


class ScopedClients:
    """Makes clients whose credential holds exactly the given scopes."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._made: dict[tuple[str, ...], tuple[str, str]] = {}

    async def credential(self, *scopes: Scope) -> tuple[str, str]:
        wanted = tuple(sorted(s.value for s in scopes))
        if wanted not in self._made:
            key = "k-" + uuid.uuid4().hex[:10]
            secret = uuid.uuid4().hex
            await create_credential(
                self.app.state.lrs.engine, name=key, key=key, secret=secret, scopes=list(scopes)
            )
            self._made[wanted] = (key, secret)
        return self._made[wanted]

    async def client(self, *scopes: Scope, version: str = "2.0.0") -> httpx.AsyncClient:
        key, secret = await self.credential(*scopes)
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://lrs.test",
            headers={"Authorization": basic(key, secret), "X-Experience-API-Version": version},
        )


@pytest.fixture(scope="session")
def scoped(app: FastAPI) -> ScopedClients:
    return ScopedClients(app)


@pytest.fixture
async def clean_db(app: FastAPI) -> None:
    """Empty every data table (credentials stay) before the test."""
    engine = app.state.lrs.engine
    async with engine.begin() as conn:
        await conn.exec_driver_sql(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def threaded_server(
    app: Any,
    *,
    lifespan: Literal["auto", "on", "off"],
    log_level: str = "warning",
    http: Any = "h11",
) -> Iterator[str]:
    """Run an ASGI app with uvicorn on a free loopback port in a background thread; yields
    its base URL `http://127.0.0.1:PORT` and stops it afterwards. `http`: uvicorn's HTTP
    protocol (`lrs serve` passes `bounded_protocol`)."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level=log_level,
        lifespan=lifespan,
        ws="none",
        http=http,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture(scope="session")
def live_base_url(app: FastAPI, settings: Settings) -> Iterator[str]:
    """A real uvicorn server in a background thread, on the session's (migrated) database:
    `http://127.0.0.1:PORT`, for clients that need a socket (client libraries, races)."""
    with threaded_server(create_app(settings), lifespan="on") as url:
        yield url


__all__ = ["ADMIN_KEY", "ADMIN_SECRET", "basic", "make_engine"]
