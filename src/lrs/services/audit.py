"""The audit trail: an append-only record of every administrative act.

`record` writes one entry inside the caller's transaction, so the act and its record commit
together or not at all. Who: the credential key of an API call, ``cli:<os user>`` for the
command line, ``startup`` / ``retention`` for what the server does by itself. A person
appears only by the one-way pseudonym (the BI ``actor_key``), never by an IFI.
"""

from __future__ import annotations

import getpass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.storage import audit as repo

# What is recorded (the `action` column).
CREDENTIAL_CREATE = "credential.create"
CREDENTIAL_REVOKE = "credential.revoke"
BOOTSTRAP_REPLACED = "credential.bootstrap_replaced"
ERASURE = "erasure"
PURGE = "purge"
DOOR_PUT = "registry.door"
ROLE_PUT = "registry.role"
DOORS_BULK = "registry.doors"
ROLES_BULK = "registry.roles"
ROSTER = "roster.upsert"

STARTUP = "startup"
RETENTION = "retention"


def cli_actor() -> str:
    """Who runs a command: ``cli:<os user>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli:{user}"


async def record(
    conn: AsyncConnection,
    *,
    actor: str,
    action: str,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry in the caller's transaction."""
    await repo.insert(conn, actor=actor, action=action, subject=subject, details=details or {})
