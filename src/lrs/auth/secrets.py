"""Secret generation and slow-KDF hashing (Argon2id)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP's Argon2id floor (19 MiB, 2 passes): each check costs tens of milliseconds and
# 19 MiB, so a burst of logins cannot exhaust memory. Hashes keep their own parameters, so
# older hashes still verify.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def new_key() -> str:
    return secrets.token_hex(10)


def new_secret() -> str:
    """32 URL-safe characters (192 random bits), never beginning with "-": one in 64 did, and
    on a command line (`--password SECRET`) such a secret reads as an option."""
    secret = secrets.token_urlsafe(24)
    while secret.startswith("-"):
        secret = secrets.token_urlsafe(24)
    return secret


def hash_secret(secret: str) -> str:
    return _HASHER.hash(secret)


def verify_secret(secret_hash: str, secret: str) -> bool:
    """Constant-time check of a secret against its Argon2 hash."""
    try:
        return _HASHER.verify(secret_hash, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
