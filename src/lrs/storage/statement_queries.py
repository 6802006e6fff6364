"""Reads of statements: one by id, or a keyset page of a filtered query.

A filtered query walks ``statement_terms`` on its (term, stored, seq) index in stored order,
driven by its rarest term; further filters are index probes on the same index, except a verb,
which is checked on the walked index entries themselves (their verb key). A related form
(``related_agents``, ``related_activities``) has two spellings (`lrs.xapi.terms.spellings`),
and a related agent also names the statements of that authority (`lrs.xapi.terms.authority_of`,
the statements' own index on ``authority_key``): its walk merges those index ranges in stored
order and its probe looks for any of them. Page N costs what page 1 costs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    DateTime,
    FromClause,
    Integer,
    ScalarSelect,
    Select,
    Text,
    bindparam,
    func,
    literal_column,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.storage.database import driver_connection
from lrs.storage.statements import StoredRow
from lrs.storage.tables import statement_terms, statements
from lrs.xapi.terms import RELATED_AGENT, VERB, authority_of, spellings


@dataclass(frozen=True)
class PageQuery:
    """`terms` drive and probe the walk; `verb`, with terms, is checked on the walk's rows
    (`lrs.xapi.terms.QueryTerms`)."""

    terms: tuple[str, ...]
    verb: str | None
    since: datetime | None
    until: datetime | None
    authority_key: str | None
    ascending: bool
    limit: int
    after: tuple[datetime, int] | None


# The aliases are built once: a fresh alias per request rebuilds its column collection, which
# was 3% of a query's server time. A query has at most three terms (registration, agent,
# activity; a verb beside them is checked apart), so one driving alias and two probing ones,
# and one for the verb's probe.
_DRIVE = statement_terms.alias("drive")
_PROBES = tuple(statement_terms.alias(f"probe_{index}") for index in range(2))
_VERB_PROBE = statement_terms.alias("probe_verb")


def _term_matches(column: Any, index: int, related: bool) -> Any:
    """`column` holds term `index` of the query, or its other spelling."""
    term = bindparam(f"term_{index}", type_=Text)
    if not related:
        return column == term
    return column.in_([term, bindparam(f"term_{index}_also", type_=Text)])


def _authority_is(index: int) -> Any:
    """The statement's authority is the agent of term `index` (a related agent)."""
    return statements.c.authority_key == bindparam(f"term_{index}_authority", type_=Text)


def _probe(term: Any, other: FromClause, drive: FromClause) -> ScalarSelect[Any]:
    """Whether the driving row's statement also carries `term` (a condition on `other`'s
    term): one index probe per row walked.

    Written as a scalar subquery with LIMIT 1 on purpose. As EXISTS, the planner turns it
    into a semi-join and, with 1M statements, hashed every statement of a common verb (83k
    index entries, 140 ms) to answer agent+verb; this form keeps the walk in stored order on
    the first (rarest) term and stops at the page's end (10 ms for the same query).
    """
    return (
        select(literal_column("1"))
        .where(term, other.c.stored == drive.c.stored, other.c.seq == drive.c.seq)
        .limit(literal_column("1"))
        .scalar_subquery()
    )


def _verb_checked(
    verb: BindParameter[str], verb_term: BindParameter[str], drive: FromClause
) -> Any:
    """Whether the driving row's statement matches a verb filter, mostly without a probe.

    Every term row carries the verb key of the statement it was written for (migration
    0014): `hashtextextended` of the verb IRI, or NULL on rows written before. The first
    condition uses only the walked index entry (the key is an INCLUDE column), so the walk
    skips the other verbs' rows where it used to probe each one for the verb; that is what
    made agent + verb the slowest filter at 1M statements. The key only narrows: a row it
    keeps matches when its statement's verb is the one asked, or when the statement carries
    the verb term (a probe, run only when the first fails: rows without a key, a StatementRef
    matched through its target's terms (STR-Q-025), or a key that two IRIs share).
    """
    key = func.hashtextextended(verb, literal_column("0"))
    on_the_walk = (drive.c.verb_key == key) | drive.c.verb_key.is_(None)
    own_verb = drive.c.verb_key.is_not(None) & (statements.c.verb_id == verb)
    probe = _probe(_VERB_PROBE.c.term == verb_term, _VERB_PROBE, drive)
    return on_the_walk & (own_verb | probe.is_not(None))


_TARGET = statements.alias("target")


def _no_foreign_target(authority_key: BindParameter[str]) -> Any:
    """A StatementRef carries its target's terms (STR-Q-025); for a caller that reads only
    its own statements, a referrer whose target belongs to another authority never matches a
    filter, or the filter would answer questions about a statement it may not read."""
    foreign = (
        select(literal_column("1"))
        .where(
            _TARGET.c.id == statements.c.statement_ref_id,
            _TARGET.c.authority_key != authority_key,
        )
        .exists()
    )
    return statements.c.statement_ref_id.is_(None) | ~foreign


@dataclass(frozen=True)
class _Shape:
    """What the SQL of a page query depends on (its values aside): `related`, for each term,
    whether it has two spellings, `authority` whether its agent's statements as authority
    match too (a related agent's; a related activity has no authority); at most 2,528
    shapes, each compiled when first asked for."""

    related: tuple[bool, ...]
    authority: tuple[bool, ...]
    verb: bool
    own: bool
    since: bool
    until: bool
    after: bool
    ascending: bool


def _shape(page: PageQuery) -> _Shape:
    return _Shape(
        related=tuple(len(spellings(term)) > 1 for term in page.terms),
        authority=tuple(authority_of(term) is not None for term in page.terms),
        verb=page.verb is not None,
        own=page.authority_key is not None,
        since=page.since is not None,
        until=page.until is not None,
        after=page.after is not None,
        ascending=page.ascending,
    )


def _values(page: PageQuery) -> dict[str, Any]:
    """The values of a page query, by the names of `_page_select`'s parameters."""
    values: dict[str, Any] = {}
    for index, term in enumerate(page.terms):
        values[f"term_{index}"], *also = spellings(term)
        if also:
            values[f"term_{index}_also"] = also[0]
        authority = authority_of(term)
        if authority is not None:
            values[f"term_{index}_authority"] = authority
    if page.verb is not None:
        values.update(verb=page.verb, verb_term=VERB + page.verb)
    values.update(
        authority_key=page.authority_key,
        since=page.since,
        until=page.until,
        row_limit=page.limit + 1,
    )
    if page.after is not None:
        values.update(after_stored=page.after[0], after_seq=page.after[1])
    return values


# A page query with every part, to hold `_page_select`'s parameters to `_values`' names.
_EVERY_VALUE = PageQuery(
    terms=(RELATED_AGENT,) * (len(_PROBES) + 1),  # a related form: every term's two spellings
    verb="",
    since=datetime.min,
    until=datetime.min,
    authority_key="",
    ascending=True,
    limit=0,
    after=(datetime.min, 0),
)
_MOMENT = DateTime(timezone=True)
_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy


def _page_select(shape: _Shape) -> Select[Any]:
    """The page query of a shape, its values as named parameters (`_values`)."""
    columns = (statements.c.seq, statements.c.stored, statements.c.payload)
    if not shape.related:
        return _bounded(select(*columns), shape, (statements.c.stored, statements.c.seq))
    if not shape.related[0]:
        query = _walk(shape, "term_0", columns)
        return _bounded(query, shape, (_DRIVE.c.stored, _DRIVE.c.seq))
    # The driving term has two spellings (and for an agent, its statements as authority):
    # each is walked alone (its own index range in stored order, up to a page), and the
    # page is the first of the walks merged. A statement may be met by two walks (the
    # module docstring of lrs.xapi.terms): they meet it in a row, and it is kept once.
    order = (_DRIVE.c.stored, _DRIVE.c.seq)
    walks = [
        _bounded(_walk(shape, name, (*order, statements.c.payload)), shape, order)
        for name in ("term_0", "term_0_also")
    ]
    if shape.authority[0]:
        own_order = (statements.c.stored, statements.c.seq)
        walk = _walk(shape, None, (*own_order, statements.c.payload))
        walks.append(_bounded(walk, shape, own_order))
    merged = union_all(*walks).subquery("merged")
    picked = (
        select(merged.c.stored, merged.c.seq, merged.c.payload)
        .ext(distinct_on(merged.c.stored, merged.c.seq))
        .order_by(*_directed((merged.c.stored, merged.c.seq), shape.ascending))
        .limit(bindparam("row_limit", type_=Integer))
        .subquery("picked")
    )
    return select(picked.c.seq, picked.c.stored, picked.c.payload).order_by(
        *_directed((picked.c.stored, picked.c.seq), shape.ascending)
    )


def _walk(shape: _Shape, drive_term: str | None, columns: tuple[Any, ...]) -> Select[Any]:
    """`columns` of the statements whose term `drive_term` (a parameter's name) the walk
    reaches, or with `drive_term` None the statements whose authority is term 0's agent
    (in stored order on the statements' own index); the other terms probed and the verb
    checked on the walk (there, the statement's own verb)."""
    if drive_term is None:
        drive: FromClause = statements
        query = select(*columns).where(_authority_is(0))
    else:
        drive = _DRIVE
        query = (
            select(*columns)
            .select_from(_DRIVE.join(statements, statements.c.seq == _DRIVE.c.seq))
            .where(_DRIVE.c.term == bindparam(drive_term, type_=Text))
        )
    probed = zip(shape.related[1:], shape.authority[1:], _PROBES, strict=False)
    for index, (related, authority, other) in enumerate(probed, start=1):
        held = _probe(_term_matches(other.c.term, index, related), other, drive).is_not(None)
        query = query.where(held | _authority_is(index) if authority else held)
    if shape.verb:
        verb = bindparam("verb", type_=Text)
        if drive_term is None:
            query = query.where(statements.c.verb_id == verb)
        else:
            query = query.where(_verb_checked(verb, bindparam("verb_term", type_=Text), _DRIVE))
    return query


def _directed(order: tuple[Any, Any], ascending: bool) -> tuple[Any, Any]:
    return (order[0].asc(), order[1].asc()) if ascending else (order[0].desc(), order[1].desc())


def _bounded(query: Select[Any], shape: _Shape, order: tuple[Any, Any]) -> Select[Any]:
    """`query` without voided statements, to the caller's own statements, within the time
    bounds, after the cursor's position on `order` (stored, seq), in order, up to a page."""
    query = query.where(statements.c.voided.is_(False))
    if shape.own:
        authority_key = bindparam("authority_key", type_=Text)
        query = query.where(statements.c.authority_key == authority_key)
        if shape.related:
            query = query.where(_no_foreign_target(authority_key))
    if shape.since:
        query = query.where(order[0] > bindparam("since", type_=_MOMENT))
    if shape.until:
        query = query.where(order[0] <= bindparam("until", type_=_MOMENT))
    if shape.after:
        position = tuple_(*order)
        after = tuple_(
            bindparam("after_stored", type_=_MOMENT), bindparam("after_seq", type_=BigInteger)
        )
        query = query.where(position > after if shape.ascending else position < after)
    query = query.order_by(*_directed(order, shape.ascending))
    return query.limit(bindparam("row_limit", type_=Integer))


@functools.cache
def _page_sql(shape: _Shape) -> tuple[str, tuple[str, ...]]:
    """The SQL of a shape, compiled once for the driver (`$n` parameters), and the names of
    its parameters in order: building and compiling the query with SQLAlchemy Core was a
    fifth of a page's server time."""
    compiled = _page_select(shape).compile(dialect=_DIALECT)
    names = tuple(compiled.positiontup or ())
    unnamed = set(names) - set(_values(_EVERY_VALUE))
    if unnamed:  # a value `_values` does not give would be sent as NULL
        raise AssertionError(f"page query parameters without a value: {sorted(unnamed)}")
    return str(compiled), names


# A page query's values travel to `lrs_read_page` (migration 0018) in three typed arrays,
# each value at a fixed place: the page's SQL refers to `$1[i]` (texts), `$2[i]` (moments)
# and `$3[i]` (numbers) instead of its own parameters (`_read_page_sql`).
_MOMENT_VALUES = ("since", "until", "after_stored")
_NUMBER_VALUES = ("row_limit", "after_seq")
_TEXT_VALUES = tuple(
    name for name in _values(_EVERY_VALUE) if name not in _MOMENT_VALUES + _NUMBER_VALUES
)
_PAGE_PLACES = (_TEXT_VALUES, _MOMENT_VALUES, _NUMBER_VALUES)
_PLACES = {
    name: f"${array}[{index}]"
    for array, names in enumerate(_PAGE_PLACES, start=1)
    for index, name in enumerate(names, start=1)
}
_PARAMETER = re.compile(r"\$(\d+)")


@functools.cache
def _read_page_sql(shape: _Shape) -> str:
    """The page query of a shape as `lrs_read_page` runs it: each `$n` parameter replaced by
    its value's place in the three arrays (`_PLACES`)."""
    sql, names = _page_sql(shape)
    return _PARAMETER.sub(lambda match: _PLACES[names[int(match.group(1)) - 1]], sql)


# One command: the read's start, then its statements, each with its own snapshot
# (migration 0018).
_READ = """
    SELECT seq, stored, payload
    FROM lrs_read_page($1::text, $2::text, $3::text, $4::text[], $5::timestamptz[], $6::bigint[])
    """


@dataclass(frozen=True)
class Read:
    """Statements read and their read's start: `consistent_through`, taken before their
    snapshot; `stale` when the credential to confirm was revoked or changed (then nothing
    was read); `has_more` whether a page has more after its rows."""

    consistent_through: datetime
    stale: bool
    rows: list[StoredRow]
    has_more: bool = False


async def _read(
    conn: AsyncConnection,
    check: tuple[str, str],
    sql: str,
    values: Mapping[str, Any],
    places: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
) -> tuple[datetime, bool, list[StoredRow]]:
    """Consistent-Through, the confirmation of credential (key, version) `check` (('', '')
    for none: `lrs.auth.authenticator`), then `sql`'s rows, in one command on an autocommit
    connection (whose commands run in READ COMMITTED, as the function requires). `sql` reads
    its values from three arrays (texts, moments, numbers): `places` names each array's
    values in order."""
    driver = await driver_connection(conn)
    start, *found = await driver.fetch(
        _READ, *check, sql, *([values.get(name) for name in names] for names in places)
    )
    return start["stored"], start["payload"] == "stale", list(map(StoredRow._make, found))


async def read_page(conn: AsyncConnection, page: PageQuery, check: tuple[str, str]) -> Read:
    """Up to `limit` statements in stored order after the cursor, and whether more remain,
    with their read's start (`_read`)."""
    if len(page.terms) > len(_PROBES) + 1:
        raise ValueError(f"at most {len(_PROBES) + 1} query terms, got {len(page.terms)}")
    if page.verb is not None and not page.terms:
        raise ValueError("a verb is checked on a walk: it needs a term to drive it")
    sql = _read_page_sql(_shape(page))
    through, stale, rows = await _read(conn, check, sql, _values(page), _PAGE_PLACES)
    return Read(through, stale, rows[: page.limit], len(rows) > page.limit)


# A statement by id; `authority_key` NULL, or the one authority whose statements may be read.
_STATEMENT_BY_ID = """
    SELECT seq, stored, payload FROM statements
    WHERE id = $1[1]::uuid AND voided = $1[2]::boolean
      AND ($1[3]::text IS NULL OR authority_key = $1[3]::text)
    """
_BY_ID_PLACES = (("id", "voided", "authority_key"), (), ())


async def read_statement(
    conn: AsyncConnection,
    statement_id: str,
    *,
    voided: bool,
    authority_key: str | None,
    check: tuple[str, str],
) -> Read:
    """The statement with this id, voided or not as asked (STR-R-001/002, ST-VOID-007/009),
    as no row or one, with its read's start (`_read`)."""
    values = {"id": statement_id, "voided": str(voided).lower(), "authority_key": authority_key}
    through, stale, rows = await _read(conn, check, _STATEMENT_BY_ID, values, _BY_ID_PLACES)
    return Read(through, stale, rows)


# Consistent-Through alone, for an answer that reads no statement (an error): the read's
# start of `lrs_read_page`, a function (migration 0013) so that its plan is kept.
_READ_START = "SELECT r.through_at FROM lrs_read_start($1::text, $2::text) AS r"


async def consistent_through(conn: AsyncConnection) -> datetime:
    """Every statement stored before this instant is queryable (STR-R-008, ORD-008): the
    oldest open statement write bounds what a reader may not see yet."""
    driver = await driver_connection(conn)  # an autocommit connection (see the callers)
    through: datetime = await driver.fetchval(_READ_START, "", "")
    return through
