"""Create, list and revoke credentials; bootstrap the operator's credential at start."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.auth.principal import authority_for
from lrs.auth.scopes import Scope
from lrs.auth.secrets import hash_secret, new_key, new_secret, verify_secret
from lrs.errors import BadRequest, Conflict, NotFound
from lrs.services import audit
from lrs.storage import credentials as repo
from lrs.storage.database import autocommit, transaction


@dataclass(frozen=True)
class IssuedCredential:
    key: str
    secret: str
    name: str
    scopes: tuple[str, ...]


def _check_key(key: str) -> None:
    if not key or ":" in key or any(ch.isspace() for ch in key):
        raise BadRequest("a credential key must be non-empty, without ':' or white space")


async def create_credential(
    engine: AsyncEngine,
    *,
    name: str | None = None,
    key: str | None = None,
    secret: str | None = None,
    scopes: list[Scope] | None = None,
    actor: str | None = None,
) -> IssuedCredential:
    """Create a credential; recorded in the audit trail as done by `actor` (default: the
    command line's user)."""
    key = key or new_key()
    _check_key(key)
    secret = secret or new_secret()
    chosen = [s.value for s in (scopes or [Scope.ALL])]
    name = name or key
    secret_hash = await asyncio.to_thread(hash_secret, secret)
    async with transaction(engine) as conn:
        written = await repo.insert_credential(
            conn,
            key=key,
            secret_hash=secret_hash,
            name=name,
            scopes=chosen,
            authority=authority_for(key, name),
            if_absent=True,
        )
        if written:
            await audit.record(
                conn,
                actor=actor or audit.cli_actor(),
                action=audit.CREDENTIAL_CREATE,
                subject=key,
                details={"name": name, "scopes": chosen},
            )
    if not written:
        raise Conflict(f"a credential with key {key!r} already exists")
    return IssuedCredential(key=key, secret=secret, name=name, scopes=tuple(chosen))


async def ensure_bootstrap(engine: AsyncEngine, key: str, secret: str) -> bool:
    """Create the operator's bootstrap credential (LRS_BOOTSTRAP_KEY/SECRET), idempotently.

    It holds `all` and `admin`: the operator who configured it may also erase, purge and
    read the audit trail.

    When the key exists, the configured secret replaces the stored one if they differ (the
    environment is the source of truth), but a revoked credential stays revoked. True if the
    credential was created.
    """
    try:
        await create_credential(
            engine,
            name="bootstrap",
            key=key,
            secret=secret,
            scopes=[Scope.ALL, Scope.ADMIN],
            actor=audit.STARTUP,
        )
    except Conflict:
        async with autocommit(engine) as conn:
            row = await repo.find_credential(conn, key)
        if row is not None and not await asyncio.to_thread(verify_secret, row.secret_hash, secret):
            new_hash = await asyncio.to_thread(hash_secret, secret)
            async with transaction(engine) as conn:
                await repo.set_secret_hash(conn, key, new_hash)
                await audit.record(
                    conn, actor=audit.STARTUP, action=audit.BOOTSTRAP_REPLACED, subject=key
                )
        return False
    return True


async def list_credentials(engine: AsyncEngine) -> list[repo.CredentialRow]:
    async with transaction(engine) as conn:
        return await repo.list_credentials(conn)


async def revoke_credential(engine: AsyncEngine, key: str, *, actor: str | None = None) -> None:
    async with transaction(engine) as conn:
        if not await repo.revoke_credential(conn, key):
            raise NotFound(f"no active credential with key {key!r}")
        await audit.record(
            conn, actor=actor or audit.cli_actor(), action=audit.CREDENTIAL_REVOKE, subject=key
        )
