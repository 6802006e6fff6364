"""The paging key as a token codec (lrs.xapi.paging), read once per engine."""

from __future__ import annotations

import secrets
import weakref

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.storage.database import transaction
from lrs.storage.paging_keys import ensure_paging_key
from lrs.xapi.paging import TokenCodec

_CODECS: weakref.WeakKeyDictionary[AsyncEngine, TokenCodec] = weakref.WeakKeyDictionary()


async def token_codec(engine: AsyncEngine) -> TokenCodec:
    """The codec of this database's paging key (made on first use, then kept)."""
    codec = _CODECS.get(engine)
    if codec is None:
        async with transaction(engine) as conn:
            key, created = await ensure_paging_key(conn, secrets.token_bytes(32))
        codec = TokenCodec(key, legacy_until=created)
        _CODECS[engine] = codec
    return codec
