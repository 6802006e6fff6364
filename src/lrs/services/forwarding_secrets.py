"""Encryption of forwarding secrets (an xAPI target's password, a webhook's secret).

They must be usable for sending, so they are encrypted, not hashed: Fernet (AES-128-CBC with
HMAC-SHA256). The key is LRS_SECRET_KEY when set (any string; a Fernet key is used as is,
anything else through SHA-256), else a key generated once and kept in the database (table
`fwd_key`), so every worker and restart agrees. Both keys decrypt, so setting LRS_SECRET_KEY
later keeps existing targets working; new and updated secrets use the setting's key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.errors import LRSError
from lrs.storage import forwarding as repo
from lrs.storage.database import transaction


class SecretUnreadable(LRSError):
    """A stored secret cannot be decrypted with the configured keys."""


def _fernet_key(setting: str) -> bytes:
    try:
        if len(base64.urlsafe_b64decode(setting.encode())) == 32:
            return setting.encode()
    except (binascii.Error, ValueError):
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(setting.encode()).digest())


class SecretBox:
    def __init__(self, keys: list[bytes]) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode())

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "a forwarding secret cannot be decrypted: was LRS_SECRET_KEY changed?"
            ) from None


async def load_box(engine: AsyncEngine, setting: str | None) -> SecretBox:
    async with transaction(engine) as conn:
        stored = await repo.stored_key(conn, Fernet.generate_key().decode())
    keys = [stored.encode()]
    if setting:
        keys.insert(0, _fernet_key(setting))
    return SecretBox(keys)
