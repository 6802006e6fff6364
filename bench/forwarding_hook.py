"""``python -m bench.forwarding_hook``: what the forwarding outbox adds to a statement write,
measured in one process as paired samples (so machine load hits both sides alike).

On a new, migrated database with one forwarding target, it stores batches through
`lrs.services.statements.store_statements` alternately with the ingest hooks of a server
without the outbox (door and role tagging) and with it (tagging + outbox), and reports the
median time per batch of each and their ratio. Needs a PostgreSQL reachable as --server
(a superuser URL: it creates and drops its database).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

import asyncpg

from bench.generate import statements
from lrs.auth.principal import Principal, authority_for
from lrs.auth.scopes import Scope
from lrs.ext.services.tagging import TaggingHook
from lrs.services import forwarding
from lrs.services.forwarding_outbox import OutboxHook
from lrs.services.statements import IngestHook, store_statements
from lrs.settings import Settings
from lrs.storage.database import make_engine
from lrs.storage.migrate import upgrade
from lrs.xapi.versions import XapiVersion


async def run(url: str, batches: int, size: int) -> None:
    engine = make_engine(url, pool_size=2)
    try:
        await upgrade(engine)
        settings = Settings()
        tagging = TaggingHook(settings.door_extension, settings.role_extension)
        plain: tuple[IngestHook, ...] = (tagging,)
        outbox: tuple[IngestHook, ...] = (tagging, OutboxHook())
        target = {"type": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "s"}
        created = await forwarding.create_target(engine, target, None)
        await forwarding.set_paused(engine, created["id"], True)
        principal = Principal("bench", "bench", frozenset({Scope.ALL}), authority_for("b", "b"))
        version = XapiVersion("2.0.0")
        times: dict[str, list[float]] = {"without": [], "with": []}
        bodies = [list(statements(11, size, start=i * size)) for i in range(2 * batches + 20)]
        for index, body in enumerate(bodies):
            name = "with" if index % 2 else "without"
            hooks = outbox if name == "with" else plain
            began = time.perf_counter()
            await store_statements(engine, body, principal=principal, version=version, hooks=hooks)
            if index >= 20:  # the first batches warm caches up
                times[name].append(time.perf_counter() - began)
        without, with_ = statistics.median(times["without"]), statistics.median(times["with"])
        print(
            f"{batches} paired batches of {size}: median without outbox {without * 1000:.2f} ms, "
            f"with outbox (1 target) {with_ * 1000:.2f} ms, ratio {without / with_:.3f} "
            f"(ingest rate with / without)"
        )
    finally:
        await engine.dispose()


async def _database(server: str, name: str, create: bool) -> None:
    admin = await asyncpg.connect(server)
    try:
        # A generated name only (identifiers cannot be bound).
        if create:
            await admin.execute(f'CREATE DATABASE "{name}"')
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--batches", type=int, default=200, help="pairs of batches")
    parser.add_argument("--size", type=int, default=100, help="statements per batch")
    args = parser.parse_args()
    name = f"bench_fwd_hook_{uuid.uuid4().hex[:8]}"
    asyncio.run(_database(args.server, name, True))
    base = args.server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        asyncio.run(run(f"{base}/{name}", args.batches, args.size))
    finally:
        asyncio.run(_database(args.server, name, False))


if __name__ == "__main__":
    main()
