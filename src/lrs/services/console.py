"""Console users and their sessions: separate from xAPI credentials, so a Basic credential
never opens the console and a console session never authorises an xAPI call.

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, with
a per-session CSRF token. It ends after `idle` unused or `absolute` after login. Failed
logins are counted per (username, address): `MAX_FAILURES` in `FAILURE_WINDOW` refuses
further attempts with 429, before the password is even checked.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.auth.secrets import hash_secret, verify_secret
from lrs.errors import BadRequest, Conflict, NotFound, TooManyRequests, Unauthorized
from lrs.services import audit, forwarding
from lrs.storage import console as repo
from lrs.storage.database import transaction

ROLES = ("admin", "viewer")
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)

LOGIN = "console.login"
LOGIN_FAILED = "console.login_failed"
LOGOUT = "console.logout"
USER_CREATE = "console.user_create"
USER_DISABLE = "console.user_disable"
REPLAY = "forwarding.replay"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified when the name is unknown, so a wrong name costs as much as a wrong password
    (made on first use, not at import)."""
    return hash_secret("not a password of anyone")


@dataclass(frozen=True)
class ConsoleSession:
    token: str
    username: str
    role: str
    csrf: str

    @property
    def actor(self) -> str:
        """Who, in the audit trail."""
        return f"console:{self.username}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_name(name: str) -> None:
    if not name or len(name) > 100 or any(ch.isspace() or ch == ":" for ch in name):
        raise BadRequest("a console user name must be 1-100 characters, without ':' or spaces")


async def create_user(
    engine: AsyncEngine, name: str, password: str, role: str, *, actor: str
) -> None:
    _check_name(name)
    if role not in ROLES:
        raise BadRequest(f"the role must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise BadRequest("the password must have at least 8 characters")
    password_hash = await asyncio.to_thread(hash_secret, password)
    async with transaction(engine) as conn:
        if not await repo.insert_user(conn, name=name, password_hash=password_hash, role=role):
            raise Conflict(f"a console user named {name!r} already exists")
        await audit.record(
            conn, actor=actor, action=USER_CREATE, subject=name, details={"role": role}
        )


async def list_users(engine: AsyncEngine) -> list[repo.UserRow]:
    async with transaction(engine) as conn:
        return await repo.list_users(conn)


async def disable_user(engine: AsyncEngine, name: str, *, actor: str) -> None:
    """Disable a user; their open sessions end at once."""
    async with transaction(engine) as conn:
        if not await repo.disable_user(conn, name):
            raise NotFound(f"no console user named {name!r}")
        await audit.record(conn, actor=actor, action=USER_DISABLE, subject=name)


async def login(
    engine: AsyncEngine, username: str, password: str, address: str, *, absolute: timedelta
) -> ConsoleSession:
    """A new session, or 401 (wrong name or password, disabled user) / 429 (throttled).
    Sessions past their absolute lifetime are cleared on the way."""
    async with transaction(engine) as conn:
        failures = await repo.recent_failures(
            conn, username=username, address=address, window=FAILURE_WINDOW
        )
        user = await repo.find_user(conn, username)
    if failures >= MAX_FAILURES:
        raise TooManyRequests("too many failed logins; try again in 15 minutes")
    stored = user.password_hash if user is not None else await asyncio.to_thread(_dummy_hash)
    good = await asyncio.to_thread(verify_secret, stored, password)
    async with transaction(engine) as conn:
        if user is None or user.disabled or not good:
            await repo.add_failure(conn, username=username, address=address, window=FAILURE_WINDOW)
            await audit.record(
                conn,
                actor=f"console:{username}",
                action=LOGIN_FAILED,
                details={"address": address},
            )
    if user is None or user.disabled or not good:
        raise Unauthorized("wrong user name or password")
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    async with transaction(engine) as conn:
        await repo.clear_failures(conn, username=username, address=address)
        await repo.delete_sessions_before(conn, absolute)
        await repo.insert_session(
            conn, token_hash=_hash_token(token), username=user.name, csrf=csrf
        )
        await audit.record(
            conn, actor=f"console:{user.name}", action=LOGIN, details={"address": address}
        )
    return ConsoleSession(token=token, username=user.name, role=user.role, csrf=csrf)


async def current(
    engine: AsyncEngine, token: str | None, *, idle: timedelta, absolute: timedelta
) -> ConsoleSession | None:
    """The live session of a cookie's token, touched; None (and ended) when expired."""
    if not token:
        return None
    token_hash = _hash_token(token)
    async with transaction(engine) as conn:
        row = await repo.find_session(conn, token_hash)
        if row is None:
            return None
        if row.now - row.last_seen > idle or row.now - row.created > absolute:
            await repo.delete_session(conn, token_hash)
            return None
        await repo.touch_session(conn, token_hash)
    return ConsoleSession(token=token, username=row.username, role=row.role, csrf=row.csrf)


async def logout(engine: AsyncEngine, session: ConsoleSession) -> None:
    async with transaction(engine) as conn:
        await repo.delete_session(conn, _hash_token(session.token))
        await audit.record(conn, actor=session.actor, action=LOGOUT)


async def replay(
    engine: AsyncEngine, target_id: str, body: dict[str, object], batch: int, *, actor: str
) -> dict[str, Any]:
    """Forwarding's replay, recorded in the audit trail as done by the console user."""
    result = await forwarding.replay(engine, target_id, body, batch)
    async with transaction(engine) as conn:
        await audit.record(
            conn, actor=actor, action=REPLAY, subject=target_id, details={**body, **result}
        )
    return result
