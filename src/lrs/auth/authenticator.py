"""HTTP Basic credentials to a Principal.

Argon2 is slow on purpose, so a verified (key, secret) pair is remembered in memory together
with the hash it was checked against. Every request still reads the credential row, so a
revoked or re-keyed credential stops working at once, in every worker.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac

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


class Authenticator:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._verified: dict[str, tuple[str, bytes]] = {}
        # Each Argon2 check holds 19 MiB for tens of milliseconds: bound how many run at once.
        self._checks = asyncio.Semaphore(_CONCURRENT_CHECKS)

    async def authenticate(self, header: str | None) -> Principal:
        key, secret = parse_basic(header)
        async with autocommit(self._engine) as conn:
            row = await find_credential(conn, key)
        if row is None or row.revoked_at is not None:
            await self._verify(_DUMMY_HASH, secret)
            raise Unauthorized("invalid credentials")
        digest = hashlib.sha256(secret.encode()).digest()
        cached = self._verified.get(key)
        if not (
            cached is not None
            and cached[0] == row.secret_hash
            and hmac.compare_digest(cached[1], digest)
        ):
            if not await self._verify(row.secret_hash, secret):
                raise Unauthorized("invalid credentials")
            if len(self._verified) >= _CACHE_LIMIT:
                self._verified.clear()
            self._verified[key] = (row.secret_hash, digest)
        return Principal(
            key=row.key,
            name=row.name,
            scopes=frozenset(Scope(s) for s in row.scopes if s in _KNOWN_SCOPES),
            authority=row.authority,
        )

    async def _verify(self, secret_hash: str, secret: str) -> bool:
        async with self._checks:
            return await asyncio.to_thread(verify_secret, secret_hash, secret)
