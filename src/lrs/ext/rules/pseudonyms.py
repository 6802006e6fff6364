"""The pseudonymous actor key of exports: HMAC-SHA256 of the actor's IFI key.

BI joins on a stable key that names nobody: the same actor always maps to the same
pseudonym under one key, and the pseudonym cannot be reversed or recomputed without it.
The key is kept in the database as its inner and outer HMAC pads so that PostgreSQL (the
read-only BI view) computes exactly what Python computes:
``sha256(outer_pad || sha256(inner_pad || actor_key))`` is RFC 2104 HMAC-SHA256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_BLOCK = 64  # SHA-256 block size (RFC 2104 "B")


def key_bytes(setting: str) -> bytes:
    """The HMAC key given by LRS_PSEUDONYM_KEY (its UTF-8 bytes)."""
    return setting.encode()


def new_key() -> bytes:
    """A random key for deployments that set none (kept in the database thereafter)."""
    return secrets.token_bytes(32)


def pads(key: bytes) -> tuple[bytes, bytes]:
    """(inner, outer) pads of RFC 2104: the key (hashed when longer than a block) padded to
    the block size and XORed with 0x36 and 0x5c."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\x00")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def pseudonym(key: bytes, actor_key: str) -> str:
    """The pseudonym of an actor IFI key (as `lrs.xapi.ifi.ifi_key` spells it): 64 hex digits."""
    return hmac.new(key, actor_key.encode(), hashlib.sha256).hexdigest()


def pseudonym_from_pads(inner: bytes, outer: bytes, actor_key: str) -> str:
    """The same pseudonym computed from the stored pads, as the SQL view does."""
    inner_hash = hashlib.sha256(inner + actor_key.encode()).digest()
    return hashlib.sha256(outer + inner_hash).hexdigest()
