"""HTTP Basic credentials to a Principal.

Argon2 is slow on purpose, so a verified (key, secret) pair is remembered in memory together
with the principal read from the credential row and that row's version. Every request still
has its credential confirmed in the database, so a revoked or re-keyed credential stops
working at once, in every worker: most requests read the row first; a statement write or
read (`confirm_later`) may start from the remembered principal, and then its own first
command confirms the row's version: a write's in the write's own transaction, before
anything is stored (`lrs.storage.statements.begin_write`), a read's with its
Consistent-Through, before the statements are read (`lrs.storage.statement_queries`). That
saves the hottest requests a round trip of their own. When the row changed, nothing is
stored or read and `StaleCredential` is raised; the request then authenticates again from
the row (`reconfirm`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.auth.principal import Principal
from lrs.auth.scopes import Scope
from lrs.auth.secrets import hash_secret, verify_secret
from lrs.errors import Unauthorized
from lrs.storage.credentials import find_credential
from lrs.storage.database import autocommit

_CACHE_LIMIT = 1024
_CONCURRENT_CHECKS = 2
_KNOWN_SCOPES = frozenset(scope.value for scope in Scope)
# Checked against when the key is unknown, so both failures take the same time.
_DUMMY_HASH = hash_secret("not a secret")


def parse_basic(header: str | None) -> tuple[str, str]:
    """Split an `Authorization: Basic ...` header; 401 when missing or malformed (AUTH-003)."""
    if not header:
        raise Unauthorized("authentication required: send HTTP Basic credentials")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        raise Unauthorized("unsupported authentication scheme; use HTTP Basic")
    try:
        # A non-ASCII header (read as latin-1) makes b64decode raise ValueError.
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Unauthorized("malformed HTTP Basic credentials") from None
    key, sep, secret = decoded.partition(":")
    if not sep:
        raise Unauthorized("malformed HTTP Basic credentials")
    if "\x00" in decoded:
        # No credential holds U+0000 (PostgreSQL text cannot): refused before any lookup.
        raise Unauthorized("invalid credentials")
    return key, secret


@dataclass(frozen=True)
class _Verified:
    """A (key, secret) pair checked against `secret_hash`, and what the row said then."""

    secret_hash: str
    digest: bytes
    principal: Principal
    # The same principal unconfirmed, built once: `dataclasses.replace` on every request
    # that is answered from memory cost a few microseconds each.
    unconfirmed: Principal


class Authenticator:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._verified: dict[str, _Verified] = {}
        # Each Argon2 check holds 19 MiB for tens of milliseconds: bound how many run at once.
        self._checks = asyncio.Semaphore(_CONCURRENT_CHECKS)

    async def authenticate(self, header: str | None, *, confirm_later: bool = False) -> Principal:
        """The principal of the request's credentials; 401 when refused. With
        `confirm_later` a remembered principal is returned unconfirmed (the module
        docstring): only for a request whose own first command confirms it."""
        key, secret = parse_basic(header)
        digest = hashlib.sha256(secret.encode()).digest()
        if confirm_later:
            known = self._verified.get(key)
            if known is not None and hmac.compare_digest(known.digest, digest):
                return known.unconfirmed
        async with autocommit(self._engine) as conn:
            row = await find_credential(conn, key)
        if row is None or row.revoked_at is not None:
            self._verified.pop(key, None)
            await self._verify(_DUMMY_HASH, secret)
            raise Unauthorized("invalid credentials")
        known = self._verified.get(key)
        checked_before = (
            known is not None
            and known.secret_hash == row.secret_hash
            and hmac.compare_digest(known.digest, digest)
        )
        if not checked_before and not await self._verify(row.secret_hash, secret):
            raise Unauthorized("invalid credentials")
        principal = Principal(
            key=row.key,
            name=row.name,
            scopes=frozenset(Scope(s) for s in row.scopes if s in _KNOWN_SCOPES),
            authority=row.authority,
            version=row.version,
        )
        if len(self._verified) >= _CACHE_LIMIT:
            self._verified.clear()
        unconfirmed = replace(principal, confirmed=False)
        self._verified[key] = _Verified(row.secret_hash, digest, principal, unconfirmed)
        return principal

    async def reconfirm(self, principal: Principal, header: str | None) -> Principal:
        """After `StaleCredential`, or before answering an error to an unconfirmed
        principal: the principal as the credential row says now (401 when revoked).

        The row is read again; the secret is checked with Argon2 again only when the row's
        hash is not the one it was checked against (a re-keyed credential). Every refused
        statement of a remembered credential comes this way: a full check each time made a
        400 cost about 20 ms of CPU, and a client sending bad statements could starve the
        two checks that may run at once."""
        if principal.confirmed:
            return principal
        return await self.authenticate(header)

    async def _verify(self, secret_hash: str, secret: str) -> bool:
        async with self._checks:
            return await asyncio.to_thread(verify_secret, secret_hash, secret)
