"""GET /statements: parameters to a query, a keyset page, the `more` link, the formats.

The `more` link carries the whole query state (STR-M-005): the original parameters and the
(stored, seq) position of the last statement served, so it stays valid indefinitely (STR-M-004)
and a page deep in the result costs what the first costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lrs.auth.principal import Principal, StaleCredential
from lrs.errors import BadRequest, DatabaseUnavailable, NotFound
from lrs.storage import statement_queries as queries
from lrs.storage import statements as repo
from lrs.storage.database import autocommit
from lrs.xapi.formats import StatementFormat, render_statement
from lrs.xapi.ifi import ifi_key
from lrs.xapi.paging import Position, TokenCodec, foreign_token, more_link, more_token
from lrs.xapi.relations import statement_index_terms
from lrs.xapi.terms import QueryTerms, filter_terms
from lrs.xapi.validate import (
    all_attachments,
    parse_agent_param,
    parse_bool_param,
    parse_format_param,
    parse_iri_param,
    parse_limit_param,
    parse_timestamp_param,
    parse_uuid_param,
    query_values,
)
from lrs.xapi.versions import XapiVersion

# The stored rows a page renders; routers name the type through this service.
StoredRow = repo.StoredRow

STATEMENTS_PATH = "/xAPI/statements"
SINGLE_PARAMS = ("statementId", "voidedStatementId")
FORMAT_PARAMS = ("format", "attachments")
FILTER_PARAMS = (
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "ascending",
)


@dataclass(frozen=True)
class Presentation:
    format: StatementFormat = "exact"
    attachments: bool = False


@dataclass(frozen=True)
class SingleRequest:
    statement_id: str
    voided: bool
    presentation: Presentation


@dataclass(frozen=True)
class QueryRequest:
    params: tuple[tuple[str, str], ...]
    filters: QueryTerms
    since: datetime | None
    until: datetime | None
    limit: int
    ascending: bool
    presentation: Presentation
    after: tuple[datetime, int] | None = None


@dataclass(frozen=True)
class Page:
    rows: list[StoredRow]
    more: str
    consistent_through: datetime
    canonical: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)


def _presentation(values: dict[str, str]) -> Presentation:
    fmt = parse_format_param(values["format"]) if "format" in values else "exact"
    attachments = (
        parse_bool_param(values["attachments"], name="attachments")
        if "attachments" in values
        else False
    )
    return Presentation(fmt, attachments)


def parse_get(
    items: Sequence[tuple[str, str]], version: XapiVersion, *, max_limit: int, codec: TokenCodec
) -> SingleRequest | QueryRequest:
    """Read GET /statements parameters (STR-R-003/004, STR-Q-001..024, ERR-005..008)."""
    token = more_token(items)
    if token is not None:
        return _decode_more(token, version, max_limit=max_limit, codec=codec)
    values = query_values(items, (*SINGLE_PARAMS, *FORMAT_PARAMS, *FILTER_PARAMS))
    if "statementId" in values and "voidedStatementId" in values:
        raise BadRequest(
            "give statementId or voidedStatementId, not both (STR-R-003)",
            path="param:voidedStatementId",
        )
    for single in SINGLE_PARAMS:
        if single in values:
            extra = [n for n in values if n not in (single, *FORMAT_PARAMS)]
            if extra:
                raise BadRequest(
                    f"{single} may only be combined with format and attachments, not "
                    f"{extra[0]!r} (STR-R-004)",
                    path=f"param:{extra[0]}",
                )
            return SingleRequest(
                parse_uuid_param(values[single], name=single),
                single == "voidedStatementId",
                _presentation(values),
            )
    return _query(values, version, max_limit=max_limit)


def _query(values: dict[str, str], version: XapiVersion, *, max_limit: int) -> QueryRequest:
    related_agents = _flag(values, "related_agents")
    related_activities = _flag(values, "related_activities")
    agent_key = None
    if "agent" in values:
        agent_key = ifi_key(parse_agent_param(values["agent"], version))
    verb = parse_iri_param(values["verb"], name="verb") if "verb" in values else None
    activity = (
        parse_iri_param(values["activity"], name="activity") if "activity" in values else None
    )
    registration = (
        parse_uuid_param(values["registration"], name="registration")
        if "registration" in values
        else None
    )
    since = parse_timestamp_param(values["since"], name="since") if "since" in values else None
    until = parse_timestamp_param(values["until"], name="until") if "until" in values else None
    limit = parse_limit_param(values["limit"]) if "limit" in values else 0
    return QueryRequest(
        params=tuple(sorted(values.items())),
        filters=filter_terms(
            agent_key=agent_key,
            related_agents=related_agents,
            verb=verb,
            activity=activity,
            related_activities=related_activities,
            registration=registration,
        ),
        since=since,
        until=until,
        limit=max_limit if limit == 0 else min(limit, max_limit),
        ascending=_flag(values, "ascending"),
        presentation=_presentation(values),
    )


def _flag(values: dict[str, str], name: str) -> bool:
    return parse_bool_param(values[name], name=name) if name in values else False


def _decode_more(
    token: str, version: XapiVersion, *, max_limit: int, codec: TokenCodec
) -> QueryRequest:
    """The query a `more` link continues, re-validated as if freshly sent (STR-M-008)."""
    params, after = codec.decode(STATEMENTS_PATH, token)
    parsed = parse_get(params, version, max_limit=max_limit, codec=codec)
    if not isinstance(parsed, QueryRequest):
        raise foreign_token()
    return QueryRequest(**{**parsed.__dict__, "after": (after.stored, after.seq)})


async def run_query(
    engine: AsyncEngine, query: QueryRequest, principal: Principal, codec: TokenCodec
) -> Page:
    """One keyset page of a statement query (STR-Q-*, ORD-001/002/005, LIM-005)."""
    own = principal.authority_key if principal.reads_only_own_statements else None
    page_query = queries.PageQuery(
        terms=query.filters.terms,
        verb=query.filters.verb,
        since=query.since,
        until=query.until,
        authority_key=own,
        ascending=query.ascending,
        limit=query.limit,
        after=query.after,
    )
    # One command: Consistent-Through is taken first, so every statement stored before it is
    # committed before the page's own snapshot is taken (STR-R-008), and a principal taken
    # from memory is confirmed (`_check`). Autocommit: no BEGIN/COMMIT trips.
    async with autocommit(engine) as conn:
        read = _confirmed(await queries.read_page(conn, page_query, _check(principal)), principal)
        extras = await _extras(conn, read.rows, query.presentation, own is not None)
    rows = read.rows
    more = ""
    if read.has_more and rows:
        after = Position(rows[-1].stored, rows[-1].seq)
        more = more_link(STATEMENTS_PATH, codec.encode(STATEMENTS_PATH, query.params, after))
    return Page(rows, more, read.consistent_through, *extras)


def _check(principal: Principal) -> tuple[str, str]:
    """The credential a read confirms before it reads anything: a principal taken from
    memory (`lrs.auth.authenticator`) as its (key, version), else none ('', '')."""
    return ("", "") if principal.confirmed else (principal.key, principal.version)


def _confirmed(read: queries.Read, principal: Principal) -> queries.Read:
    """`read`, or `StaleCredential` when its credential row had changed (nothing was read)."""
    if read.stale:
        raise StaleCredential(principal.key)
    return read


async def current_consistent_through(engine: AsyncEngine) -> datetime | None:
    """Consistent-Through for a response that read nothing (an error), or None when the
    database cannot say (STR-R-008)."""
    try:
        async with autocommit(engine) as conn:
            return await queries.consistent_through(conn)
    except DatabaseUnavailable:
        return None


class StatementNotFound(NotFound):
    """No statement with the id asked for (404), found by a read that had confirmed the
    credential and taken Consistent-Through: the answer needs neither again (two commands
    fewer than an error raised before the read, `lrs.api.statements`)."""

    def __init__(self, message: str, consistent_through: datetime) -> None:
        super().__init__(message)
        self.consistent_through = consistent_through


async def run_single(engine: AsyncEngine, request: SingleRequest, principal: Principal) -> Page:
    """One statement by id, as a page of one row with what serving it needs
    (STR-R-001/002); Consistent-Through is taken before the read, as in `run_query`."""
    own = principal.authority_key if principal.reads_only_own_statements else None
    async with autocommit(engine) as conn:
        read = await queries.read_statement(
            conn,
            request.statement_id,
            voided=request.voided,
            authority_key=own,
            check=_check(principal),
        )
        through = _confirmed(read, principal).consistent_through
        if not read.rows:
            what = "voided statement" if request.voided else "statement"
            raise StatementNotFound(f"no {what} with id {request.statement_id}", through)
        extras = await _extras(conn, read.rows, request.presentation, own is not None)
    return Page(read.rows, "", through, *extras)


async def read_statements(
    engine: AsyncEngine,
    request: SingleRequest | QueryRequest,
    principal: Principal,
    codec: TokenCodec,
) -> Page:
    """What a GET of the Statement Resource reads: one statement, or a page of a query."""
    if isinstance(request, SingleRequest):
        return await run_single(engine, request, principal)
    return await run_query(engine, request, principal, codec)


def _servable(attachment: dict[str, Any], only_uploaded: bool) -> bool:
    """Whether a payload may be served for this Attachment. Payloads are stored once per
    sha2, shared by every statement naming it; a caller that reads only its own statements
    gets a payload only for an Attachment without fileUrl, which can only have been stored
    with its data (CT-003), hash checked: so it never learns a payload it did not send."""
    return "sha2" in attachment and not (only_uploaded and "fileUrl" in attachment)


async def _extras(
    conn: AsyncConnection,
    rows: Sequence[StoredRow],
    presentation: Presentation,
    only_uploaded: bool = False,
) -> tuple[dict[str, dict[str, Any] | None], list[tuple[str, str, bytes]]]:
    """Canonical definitions (format=canonical) and payloads (attachments=true) to serve."""
    canonical: dict[str, dict[str, Any] | None] = {}
    attachments: list[tuple[str, str, bytes]] = []
    if presentation.format == "canonical" or presentation.attachments:
        parsed = [orjson.loads(row.payload_json) for row in rows]
        if presentation.format == "canonical":
            ids = sorted({a for s in parsed for a, _ in statement_index_terms(s).activities})
            canonical = await repo.activity_definitions(conn, ids)
        if presentation.attachments:
            sha2s = sorted(
                {
                    a["sha2"]
                    for s in parsed
                    for a in all_attachments(s)
                    if _servable(a, only_uploaded)
                }
            )
            attachments = await repo.load_attachments(conn, sha2s)
    return canonical, attachments


def render_rows(
    rows: Sequence[StoredRow],
    presentation: Presentation,
    canonical: dict[str, dict[str, Any] | None],
    languages: Sequence[str],
) -> list[bytes]:
    """Each statement as JSON bytes in the requested format; `exact` is served as stored,
    without parsing (the stored form is already valid)."""
    if presentation.format == "exact":
        return [row.payload_json.encode() for row in rows]
    known = {k: v for k, v in canonical.items() if v is not None}
    return [
        orjson.dumps(
            render_statement(
                orjson.loads(row.payload_json),
                presentation.format,
                canonical=known,
                languages=languages,
            )
        )
        for row in rows
    ]


def render_body(
    page: Page, request: SingleRequest | QueryRequest, languages: Sequence[str]
) -> bytes:
    """The JSON of a GET: the statement itself for a single one, else a StatementResult
    (STR-R-003) with its `more` link."""
    rendered = render_rows(page.rows, request.presentation, page.canonical, languages)
    if isinstance(request, SingleRequest):
        return rendered[0]
    # One join: the page is hundreds of KB, and each `+` would copy it again.
    parts = [b'{"statements":[']
    for n, statement in enumerate(rendered):
        if n:
            parts.append(b",")
        parts.append(statement)
    parts += (b'],"more":', orjson.dumps(page.more), b"}")
    return b"".join(parts)
