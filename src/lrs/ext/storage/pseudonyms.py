"""SQL of the pseudonym key (one row)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_SET = text(
    """
    INSERT INTO ext_pseudonym_key (id, inner_pad, outer_pad, from_setting, updated)
    VALUES (1, :inner, :outer, true, now())
    ON CONFLICT (id) DO UPDATE SET inner_pad = excluded.inner_pad,
        outer_pad = excluded.outer_pad, from_setting = true, updated = excluded.updated
    WHERE (ext_pseudonym_key.inner_pad, ext_pseudonym_key.outer_pad)
          IS DISTINCT FROM (excluded.inner_pad, excluded.outer_pad)
    """
)

_KEEP = text(
    """
    INSERT INTO ext_pseudonym_key (id, inner_pad, outer_pad, from_setting)
    VALUES (1, :inner, :outer, false)
    ON CONFLICT (id) DO NOTHING
    """
)


async def store_pads(conn: AsyncConnection, inner: bytes, outer: bytes, *, replace: bool) -> None:
    """Write the key's pads; without `replace`, only when no key is stored yet."""
    await conn.execute(_SET if replace else _KEEP, {"inner": inner, "outer": outer})


async def load_pads(conn: AsyncConnection) -> tuple[bytes, bytes] | None:
    row = (
        await conn.execute(text("SELECT inner_pad, outer_pad FROM ext_pseudonym_key WHERE id = 1"))
    ).first()
    return None if row is None else (bytes(row[0]), bytes(row[1]))
