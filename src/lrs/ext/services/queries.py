"""GET /xAPI/extensions/statements: statements by door and role, paged like /statements.

The `more` link carries the whole query and the (stored, seq) position of the last
statement served, so it stays valid and page N costs what page 1 costs (STR-M-004/005).
It returns statements with their actors, so it needs a statements read scope besides
``ext/bi/read``; ``statements/read/mine`` sees only its own statements (AUTH-005).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.auth.principal import Principal
from lrs.auth.scopes import Access
from lrs.ext.rules.filters import QUERY_PARAMS, Filters, parse_filters
from lrs.ext.services.known import check_filter_ids
from lrs.ext.storage.query import page
from lrs.storage.database import read_only
from lrs.xapi.paging import Position, TokenCodec, more_link, more_token
from lrs.xapi.validate import parse_limit_param, query_values

PATH = "/xAPI/extensions/statements"


@dataclass(frozen=True)
class TaggedQuery:
    values: dict[str, str]
    filters: Filters
    limit: int
    after: Position | None = None


def parse_query(
    items: Sequence[tuple[str, str]], *, max_limit: int, codec: TokenCodec
) -> TaggedQuery:
    """Filters, limit (0 or absent: the server maximum, STR-Q-014) or a `more` token."""
    token = more_token(items)
    if token is not None:
        params, after = codec.decode(PATH, token)
        query = parse_query(params, max_limit=max_limit, codec=codec)
        return TaggedQuery(query.values, query.filters, query.limit, after)
    values = query_values(items, QUERY_PARAMS)
    limit = parse_limit_param(values.get("limit", "0"))
    if limit == 0 or limit > max_limit:
        limit = max_limit
    return TaggedQuery(values, parse_filters(values), limit)


async def run_query(
    engine: AsyncEngine, query: TaggedQuery, principal: Principal, codec: TokenCodec
) -> bytes:
    """A page as ``{"statements": [...], "tags": {id: {door, role, tag_source}}, "more": ""}``."""
    principal.require(Access.STATEMENTS_READ)
    await check_filter_ids(engine, query.filters)
    own = principal.authority_key if principal.reads_only_own_statements else None
    async with read_only(engine) as conn:
        rows, more = await page(
            conn,
            query.filters,
            limit=query.limit,
            after=None if query.after is None else (query.after.stored, query.after.seq),
            authority_key=own,
        )
    tags = {}
    for row in rows:
        statement_id = orjson.loads(row.payload_json)["id"]
        tags[statement_id] = {"door": row.door, "role": row.role, "tag_source": row.tag_source}
    link = ""
    if more and rows:
        after = Position(rows[-1].stored, rows[-1].seq)
        link = more_link(PATH, codec.encode(PATH, sorted(query.values.items()), after))
    return (
        b'{"statements":['
        + b",".join(row.payload_json.encode() for row in rows)
        + b'],"tags":'
        + orjson.dumps(tags)
        + b',"more":'
        + orjson.dumps(link)
        + b"}"
    )
