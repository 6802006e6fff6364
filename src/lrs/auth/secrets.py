"""Secret generation and slow-KDF hashing (Argon2id)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()


def new_key() -> str:
    return secrets.token_hex(10)


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def hash_secret(secret: str) -> str:
    return _HASHER.hash(secret)


def verify_secret(secret_hash: str, secret: str) -> bool:
    """Constant-time check of a secret against its Argon2 hash."""
    try:
        return _HASHER.verify(secret_hash, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
