"""Reads of statements: one by id, or a keyset page of a filtered query.

A filtered query walks ``statement_terms`` on its (term, stored, seq) index in stored order,
driven by its rarest term; further filters are index probes on the same index. Page N costs
what page 1 costs.
"""

from __future__ import annotations

import functools
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
    cast,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.storage.database import driver_connection
from lrs.storage.statements import CONSISTENCY_MARGIN, StoredRow
from lrs.storage.tables import statement_terms, statements


@dataclass(frozen=True)
class PageQuery:
    terms: tuple[str, ...]
    since: datetime | None
    until: datetime | None
    authority_key: str | None
    ascending: bool
    limit: int
    after: tuple[datetime, int] | None


# A statement by id; `$3` NULL, or the one authority whose statements may be read.
_STATEMENT_BY_ID = """
    SELECT seq, stored, payload::text FROM statements
    WHERE id = $1::uuid AND voided = $2::boolean
      AND ($3::text IS NULL OR authority_key = $3::text)
    """


async def get_statement(
    conn: AsyncConnection, statement_id: str, *, voided: bool, authority_key: str | None
) -> StoredRow | None:
    """The statement with this id, voided or not as asked (STR-R-001/002, ST-VOID-007/009)."""
    driver = await driver_connection(conn)
    row = await driver.fetchrow(_STATEMENT_BY_ID, statement_id, voided, authority_key)
    return None if row is None else StoredRow(row[0], row[1], row[2])


# The aliases are built once: a fresh alias per request rebuilds its column collection, which
# was 3% of a query's server time. A query has at most four terms (registration, agent,
# activity, verb), so one driving alias and three probing ones.
_DRIVE = statement_terms.alias("drive")
_PROBES = tuple(statement_terms.alias(f"probe_{index}") for index in range(3))


def _probe(term: BindParameter[str], other: FromClause) -> ScalarSelect[Any]:
    """Whether the driving row also carries `term`: one index probe per row walked.

    Written as a scalar subquery with LIMIT 1 on purpose. As EXISTS, the planner turns it
    into a semi-join and, with 1M statements, hashed every statement of a common verb (83k
    index entries, 140 ms) to answer agent+verb; this form keeps the walk in stored order on
    the first (rarest) term and stops at the page's end (10 ms for the same query).
    """
    return (
        select(literal_column("1"))
        .where(
            other.c.term == term,
            other.c.stored == _DRIVE.c.stored,
            other.c.seq == _DRIVE.c.seq,
        )
        .limit(literal_column("1"))
        .scalar_subquery()
    )


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
    """What the SQL of a page query depends on (its values aside): at most 160 shapes."""

    terms: int
    own: bool
    since: bool
    until: bool
    after: bool
    ascending: bool


def _shape(page: PageQuery) -> _Shape:
    return _Shape(
        terms=len(page.terms),
        own=page.authority_key is not None,
        since=page.since is not None,
        until=page.until is not None,
        after=page.after is not None,
        ascending=page.ascending,
    )


def _values(page: PageQuery) -> dict[str, Any]:
    """The values of a page query, by the names of `_page_select`'s parameters."""
    values: dict[str, Any] = {f"term_{index}": term for index, term in enumerate(page.terms)}
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
    terms=("",) * (len(_PROBES) + 1),
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
    payload = cast(statements.c.payload, Text)
    terms = [bindparam(f"term_{index}", type_=Text) for index in range(shape.terms)]
    if terms:
        drive = _DRIVE
        query = select(statements.c.seq, statements.c.stored, payload).select_from(
            drive.join(statements, statements.c.seq == drive.c.seq)
        )
        query = query.where(drive.c.term == terms[0])
        order = (drive.c.stored, drive.c.seq)
        for term, other in zip(terms[1:], _PROBES, strict=False):
            query = query.where(_probe(term, other).is_not(None))
    else:
        query = select(statements.c.seq, statements.c.stored, payload)
        order = (statements.c.stored, statements.c.seq)
    query = query.where(statements.c.voided.is_(False))
    if shape.own:
        authority_key = bindparam("authority_key", type_=Text)
        query = query.where(statements.c.authority_key == authority_key)
        if terms:
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
    if shape.ascending:
        query = query.order_by(order[0].asc(), order[1].asc())
    else:
        query = query.order_by(order[0].desc(), order[1].desc())
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


async def find_page(conn: AsyncConnection, page: PageQuery) -> tuple[list[StoredRow], bool]:
    """Up to `limit` statements in stored order after the cursor, and whether more remain."""
    if len(page.terms) > len(_PROBES) + 1:
        raise ValueError(f"at most {len(_PROBES) + 1} query terms, got {len(page.terms)}")
    sql, names = _page_sql(_shape(page))
    values = _values(page)
    driver = await driver_connection(conn)
    rows = [StoredRow(*record) for record in await driver.fetch(sql, *map(values.get, names))]
    return rows[: page.limit], len(rows) > page.limit


# The first command of a read: Consistent-Through, and whether a credential remembered in
# memory is unrevoked at the row version it was remembered at (`lrs.auth.authenticator`). A
# function (migration 0013), so that its plan is kept.
_READ_START = "SELECT r.through_at, r.confirmed FROM lrs_read_start($1::text, $2::text) AS r"


async def consistent_through(conn: AsyncConnection) -> datetime:
    """Every statement stored before this instant is queryable (STR-R-008, ORD-008): the
    oldest open transaction bounds what a reader may not see yet."""
    through, _ = await read_start(conn, "", "")
    return through


async def read_start(conn: AsyncConnection, key: str, version: str) -> tuple[datetime, bool]:
    """`consistent_through`, and whether credential `key` is unrevoked at `version`."""
    driver = await driver_connection(conn)  # an autocommit connection (see the callers)
    row = await driver.fetchrow(_READ_START, key, version)
    return row["through_at"] - CONSISTENCY_MARGIN, bool(row["confirmed"])
