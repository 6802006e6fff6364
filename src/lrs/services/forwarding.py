"""Forwarding use cases: targets (create, read, update, delete), dead letters, replay, and
the outbox is `forwarding_outbox`, delivery `forwarder`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lrs.errors import BadRequest, NotFound
from lrs.services.forwarding_rules import TargetSpec, parse_target
from lrs.services.forwarding_secrets import SecretBox, load_box
from lrs.storage import forwarding as repo
from lrs.storage.database import read_only, transaction
from lrs.xapi.primitives import parse_timestamp


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def target_json(row: repo.TargetRow, stats: repo.QueueStats | None) -> dict[str, Any]:
    """A target as the API shows it: never its password or secret."""
    now = datetime.now(UTC)
    oldest = stats.oldest if stats else None
    body: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "type": row.type,
        "url": row.url,
        "filters": row.filters,
        "paused": row.paused,
        "created": _iso(row.created_at),
        "updated": _iso(row.updated_at),
        "status": {
            "pending": stats.pending if stats else 0,
            "lag_seconds": round((now - oldest).total_seconds(), 3) if oldest else 0.0,
            "oldest_pending": _iso(oldest),
            "delivered": row.delivered,
            "filtered": row.filtered,
            "retried": row.retried,
            "dead": row.dead,
            "dead_letters": stats.dead_letters if stats else 0,
            "attempts": row.attempts,
            "next_attempt": _iso(row.next_attempt_at),
            "last_error": row.last_error,
            "last_delivered": _iso(row.last_delivered_at),
            "leased": row.lease_until is not None and row.lease_until > now,
        },
    }
    if row.type == "xapi":
        body["username"] = row.username
        body["xapi_version"] = row.xapi_version
    return body


def _spec(row: repo.TargetRow) -> TargetSpec:
    return TargetSpec(
        row.type,  # type: ignore[arg-type]
        row.url,
        row.name,
        row.username,
        None,
        row.xapi_version,
        row.filters,
        row.paused,
    )


def _values(target_id: str, spec: TargetSpec, box: SecretBox) -> dict[str, Any]:
    return {
        "id": target_id,
        "name": spec.name,
        "type": spec.type,
        "url": spec.url,
        "username": spec.username,
        "secret_enc": None if spec.secret is None else box.seal(spec.secret),
        "xapi_version": spec.xapi_version,
        "filters": spec.filters,
        "paused": spec.paused,
    }


def _check_id(target_id: str) -> str:
    try:
        return str(uuid.UUID(target_id))
    except ValueError:
        raise NotFound(f"no forwarding target {target_id!r}") from None


async def _row(conn: AsyncConnection, target_id: str, *, lock: bool = False) -> repo.TargetRow:
    row = await repo.get_target(conn, _check_id(target_id), lock=lock)
    if row is None:
        raise NotFound(f"no forwarding target {target_id!r}")
    return row


async def _one(conn: AsyncConnection, target_id: str) -> dict[str, Any]:
    stats = await repo.queue_stats(conn)
    return target_json(await _row(conn, target_id), stats.get(target_id))


async def create_target(
    engine: AsyncEngine, body: object, secret_key: str | None
) -> dict[str, Any]:
    """Validate and store a target; it receives statements stored from now on."""
    spec = parse_target(body)
    box = await load_box(engine, secret_key)
    target_id = str(uuid.uuid4())
    async with transaction(engine) as conn:
        await repo.insert_target(conn, _values(target_id, spec, box))
        return await _one(conn, target_id)


async def update_target(
    engine: AsyncEngine, target_id: str, body: object, secret_key: str | None
) -> dict[str, Any]:
    """Change a target: fields left out are kept (a secret left out too)."""
    box = await load_box(engine, secret_key)
    async with transaction(engine) as conn:
        row = await _row(conn, target_id, lock=True)
        spec = parse_target(body, current=_spec(row))
        await repo.update_target(conn, _values(row.id, spec, box))
        return await _one(conn, row.id)


async def set_paused(engine: AsyncEngine, target_id: str, paused: bool) -> dict[str, Any]:
    return await update_target(engine, target_id, {"paused": paused}, None)


async def get_target(engine: AsyncEngine, target_id: str) -> dict[str, Any]:
    async with read_only(engine) as conn:
        return await _one(conn, target_id)


async def list_targets(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with read_only(engine) as conn:
        stats = await repo.queue_stats(conn)
        return [target_json(row, stats.get(row.id)) for row in await repo.list_targets(conn)]


async def delete_target(engine: AsyncEngine, target_id: str) -> None:
    """Remove a target with its queue and dead letters."""
    async with transaction(engine) as conn:
        if not await repo.delete_target(conn, _check_id(target_id)):
            raise NotFound(f"no forwarding target {target_id!r}")


async def dead_letters(
    engine: AsyncEngine, target_id: str, after: int = 0, limit: int = 100
) -> dict[str, Any]:
    """A page of dead letters, oldest first: each with its statement ids and last error."""
    async with read_only(engine) as conn:
        await _row(conn, target_id)
        rows = await repo.dead_letters(conn, _check_id(target_id), after, limit)
    return {
        "dead_letters": [
            {
                "id": r.id,
                "statements": r.statement_ids,
                "error": r.error,
                "attempts": r.attempts,
                "created": _iso(r.created_at),
            }
            for r in rows
        ],
        "next_after": rows[-1].id if len(rows) == limit else None,
    }


def _moment(body: Mapping[str, Any], name: str) -> datetime | None:
    raw = body.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise BadRequest(f"{name} must be a timestamp string", path=f"$.{name}")
    try:
        return parse_timestamp(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} {raw!r} {exc}", path=f"$.{name}") from None


def _dead_letter_ids(body: Mapping[str, Any]) -> list[int]:
    raw = body.get("dead_letters", [])
    if raw == "all":
        return []
    if not isinstance(raw, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in raw
    ):
        raise BadRequest('dead_letters must be "all" or a list of ids', path="$.dead_letters")
    return list(raw)


async def replay(engine: AsyncEngine, target_id: str, body: object, batch: int) -> dict[str, Any]:
    """Queue again: dead letters (`{"dead_letters": "all" | [ids]}`, the default) or every
    statement stored in `[since, until)` (`{"since": ..., "until": ...}`)."""
    if not isinstance(body, Mapping):
        raise BadRequest("the body must be a JSON object", path="$")
    unknown = set(body) - {"dead_letters", "since", "until"}
    if unknown:
        raise BadRequest(f"unknown field {sorted(unknown)[0]!r}", path="$")
    since, until = _moment(body, "since"), _moment(body, "until")
    if (since or until) and "dead_letters" in body:
        raise BadRequest("give dead_letters or a since/until range, not both", path="$")
    async with transaction(engine) as conn:
        row = await _row(conn, target_id, lock=True)
        if since is None and until is None:
            only = _dead_letter_ids(body)
            return {"queued": await repo.replay_dead(conn, row.id, only)}
        start = since or datetime.min.replace(tzinfo=UTC)
        end = until or datetime.now(UTC)
        if end <= start:
            raise BadRequest("until must be later than since", path="$.until")
        return {"queued": await repo.replay_range(conn, row.id, start, end, batch)}
