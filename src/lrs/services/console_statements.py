"""The console's statement browser: the extension's filters (since, until, verb, activity,
door, role) plus the statement's agent, newest first, paged by the one `more` codec."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.ext.rules.filters import FILTER_PARAMS, parse_filters
from lrs.ext.services.known import check_filter_ids
from lrs.ext.storage.browse import BrowsedRow, browse
from lrs.ext.storage.browse import tag_coverage as coverage_counts
from lrs.storage.database import REPORT_TIMEOUT_MS, read_only
from lrs.xapi.ifi import ifi_key
from lrs.xapi.paging import Position, TokenCodec
from lrs.xapi.validate import parse_agent_param
from lrs.xapi.versions import XapiVersion

PATH = "/admin/statements"
PARAMS = (*FILTER_PARAMS, "agent")
PAGE_SIZE = 25


@dataclass(frozen=True)
class Shown:
    id: str
    stored: str
    actor: str
    verb: str
    object: str
    door: str | None
    role: str | None
    tag_source: str | None
    voided: bool
    voiding: bool
    json: str


@dataclass(frozen=True)
class StatementsPage:
    filters: dict[str, str]
    statements: list[Shown]
    more: str | None


def _agent_param(raw: str) -> str:
    """An Agent as JSON, or an e-mail address as a shorthand for its mbox."""
    if raw.startswith("{"):
        return raw
    return orjson.dumps({"mbox": "mailto:" + raw.removeprefix("mailto:")}).decode()


def _label(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    for key in ("mbox", "name", "id", "openid"):
        if isinstance(value.get(key), str):
            return str(value[key])
    account = value.get("account")
    return str(account.get("name", "")) if isinstance(account, dict) else ""


def _shown(row: BrowsedRow) -> Shown:
    statement = orjson.loads(row.payload_json)
    target = statement.get("object", {})
    return Shown(
        id=statement["id"],
        stored=row.stored.strftime("%Y-%m-%d %H:%M:%S"),
        actor=_label(statement.get("actor")),
        verb=str(statement.get("verb", {}).get("id", "")),
        object=_label(target),
        door=row.door,
        role=row.role,
        tag_source=row.tag_source,
        voided=row.voided,
        voiding=row.voiding,
        json=orjson.dumps(statement, option=orjson.OPT_INDENT_2).decode(),
    )


async def browse_page(
    engine: AsyncEngine,
    items: Sequence[tuple[str, str]],
    codec: TokenCodec,
    version: XapiVersion,
) -> StatementsPage:
    """One page for the filters given (empty values ignored) or a `more` token."""
    given = dict(items)
    after: Position | None = None
    if given.get("more"):
        params, after = codec.decode(PATH, given["more"])
        given = dict(params)
    values = {k: v.strip() for k, v in given.items() if k in PARAMS and v.strip()}
    filters = parse_filters({k: v for k, v in values.items() if k != "agent"})
    agent_key = None
    if "agent" in values:
        agent_key = ifi_key(parse_agent_param(_agent_param(values["agent"]), version))
    await check_filter_ids(engine, filters)
    async with read_only(engine) as conn:
        rows, more = await browse(
            conn,
            filters,
            agent_key=agent_key,
            limit=PAGE_SIZE,
            after=None if after is None else (after.stored, after.seq),
        )
    token = None
    if more and rows:
        token = codec.encode(PATH, sorted(values.items()), Position(rows[-1].stored, rows[-1].seq))
    return StatementsPage(values, [_shown(r) for r in rows], token)


@dataclass(frozen=True)
class Coverage:
    source: str
    statements: int
    share: float


async def tag_coverage(engine: AsyncEngine) -> list[Coverage]:
    """The share of statements tagged, by tag source (it reads the whole store)."""
    async with read_only(engine, timeout_ms=REPORT_TIMEOUT_MS) as conn:
        counts = await coverage_counts(conn)
    total = sum(n for _, n in counts) or 1
    return [Coverage(source or "untagged", n, n / total) for source, n in counts]
