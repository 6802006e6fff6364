"""GET /xAPI/extensions/statements: statements by door and role, paged like /statements.

The `more` link carries the whole query and the (stored, seq) position of the last
statement served, so it stays valid and page N costs what page 1 costs (STR-M-004/005).
It returns statements with their actors, so it needs a statements read scope besides
``ext/bi/read``; ``statements/read/mine`` sees only its own statements (AUTH-005).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.auth.principal import Principal
from lrs.auth.scopes import Access
from lrs.errors import BadRequest
from lrs.ext.export import check_filter_ids
from lrs.ext.filters import QUERY_PARAMS, Filters, parse_filters, single_values
from lrs.ext.storage_query import page
from lrs.storage.database import read_only
from lrs.xapi.validate import parse_limit_param

PATH = "/xAPI/extensions/statements"


@dataclass(frozen=True)
class TaggedQuery:
    values: dict[str, str]
    filters: Filters
    limit: int
    after: tuple[datetime, int] | None = None


def parse_query(items: Sequence[tuple[str, str]], *, max_limit: int) -> TaggedQuery:
    """Filters, limit (0 or absent: the server maximum, STR-Q-014) or a `more` token."""
    names = [name for name, _ in items]
    if "more" in names:
        if len(names) != 1:
            raise BadRequest("'more' cannot be combined with other parameters", path="param:more")
        return _decode_more(items[0][1], max_limit=max_limit)
    values = single_values(items, QUERY_PARAMS)
    limit = parse_limit_param(values.get("limit", "0"))
    if limit == 0 or limit > max_limit:
        limit = max_limit
    return TaggedQuery(values, parse_filters(values), limit)


def encode_more_link(path: str, values: dict[str, str], last: tuple[datetime, int]) -> str:
    """The `more` link of an extension query: its parameters and the (time, id) keyset
    position of the last row served. Every paged extension query uses this one codec."""
    state = {"q": values, "after": [last[0].isoformat(), last[1]]}
    token = base64.urlsafe_b64encode(orjson.dumps(state)).decode().rstrip("=")
    return f"{path}?{urlencode({'more': token})}"


def decode_more_token(token: str) -> tuple[dict[str, str], tuple[datetime, int]]:
    """The parameters and keyset position in a `more` token; anything malformed is a 400."""
    try:
        state = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        values = {str(k): str(v) for k, v in state["q"].items()}
        after = (datetime.fromisoformat(state["after"][0]), int(state["after"][1]))
    except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError, IndexError):
        raise BadRequest("the more token is not one this LRS gave", path="param:more") from None
    return values, after


def _encode_more(query: TaggedQuery, last: tuple[datetime, int]) -> str:
    return encode_more_link(PATH, query.values, last)


def _decode_more(token: str, *, max_limit: int) -> TaggedQuery:
    values, after = decode_more_token(token)
    query = parse_query(list(values.items()), max_limit=max_limit)
    return TaggedQuery(query.values, query.filters, query.limit, after)


async def run_query(engine: AsyncEngine, query: TaggedQuery, principal: Principal) -> bytes:
    """A page as ``{"statements": [...], "tags": {id: {door, role, tag_source}}, "more": ""}``."""
    principal.require(Access.STATEMENTS_READ)
    await check_filter_ids(engine, query.filters)
    own = principal.authority_key if principal.reads_only_own_statements else None
    async with read_only(engine) as conn:
        rows, more = await page(
            conn, query.filters, limit=query.limit, after=query.after, authority_key=own
        )
    tags = {}
    for row in rows:
        statement_id = orjson.loads(row.payload_json)["id"]
        tags[statement_id] = {"door": row.door, "role": row.role, "tag_source": row.tag_source}
    link = _encode_more(query, (rows[-1].stored, rows[-1].seq)) if more and rows else ""
    return (
        b'{"statements":['
        + b",".join(row.payload_json.encode() for row in rows)
        + b'],"tags":'
        + orjson.dumps(tags)
        + b',"more":'
        + orjson.dumps(link)
        + b"}"
    )
