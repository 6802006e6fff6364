"""Reads of statements: one by id, or a keyset page of a filtered query.

A filtered query walks ``statement_terms`` on its (term, stored, seq) index in stored order,
driven by its rarest term; further filters are index probes on the same index. Page N costs
what page 1 costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import FromClause, ScalarSelect, Select, Text, cast, literal, select, tuple_
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


async def get_statement(
    conn: AsyncConnection, statement_id: str, *, voided: bool, authority_key: str | None
) -> StoredRow | None:
    """The statement with this id, voided or not as asked (STR-R-001/002, ST-VOID-007/009)."""
    query = select(statements.c.seq, statements.c.stored, cast(statements.c.payload, Text)).where(
        statements.c.id == statement_id, statements.c.voided.is_(voided)
    )
    if authority_key is not None:
        query = query.where(statements.c.authority_key == authority_key)
    row = (await conn.execute(query)).first()
    return None if row is None else StoredRow(row[0], row[1], row[2])


# The aliases are built once: a fresh alias per request rebuilds its column collection, which
# was 3% of a query's server time. A query has at most four terms (registration, agent,
# activity, verb), so one driving alias and three probing ones.
_DRIVE = statement_terms.alias("drive")
_PROBES = tuple(statement_terms.alias(f"probe_{index}") for index in range(3))


def _probe(term: str, other: FromClause) -> ScalarSelect[Any]:
    """Whether the driving row also carries `term`: one index probe per row walked.

    Written as a scalar subquery with LIMIT 1 on purpose. As EXISTS, the planner turns it
    into a semi-join and, with 1M statements, hashed every statement of a common verb (83k
    index entries, 140 ms) to answer agent+verb; this form keeps the walk in stored order on
    the first (rarest) term and stops at the page's end (10 ms for the same query).
    """
    return (
        select(literal(1))
        .where(
            other.c.term == term,
            other.c.stored == _DRIVE.c.stored,
            other.c.seq == _DRIVE.c.seq,
        )
        .limit(1)
        .scalar_subquery()
    )


_TARGET = statements.alias("target")


def _no_foreign_target(authority_key: str) -> Any:
    """A StatementRef carries its target's terms (STR-Q-025); for a caller that reads only
    its own statements, a referrer whose target belongs to another authority never matches a
    filter, or the filter would answer questions about a statement it may not read."""
    foreign = (
        select(literal(1))
        .where(
            _TARGET.c.id == statements.c.statement_ref_id,
            _TARGET.c.authority_key != authority_key,
        )
        .exists()
    )
    return statements.c.statement_ref_id.is_(None) | ~foreign


def _page_select(page: PageQuery) -> Select[Any]:
    payload = cast(statements.c.payload, Text)
    if page.terms:
        if len(page.terms) > len(_PROBES) + 1:
            raise ValueError(f"at most {len(_PROBES) + 1} query terms, got {len(page.terms)}")
        drive = _DRIVE
        query = select(statements.c.seq, statements.c.stored, payload).select_from(
            drive.join(statements, statements.c.seq == drive.c.seq)
        )
        query = query.where(drive.c.term == page.terms[0])
        order = (drive.c.stored, drive.c.seq)
        for term, other in zip(page.terms[1:], _PROBES, strict=False):
            query = query.where(_probe(term, other).is_not(None))
    else:
        query = select(statements.c.seq, statements.c.stored, payload)
        order = (statements.c.stored, statements.c.seq)
    query = query.where(statements.c.voided.is_(False))
    if page.authority_key is not None:
        query = query.where(statements.c.authority_key == page.authority_key)
        if page.terms:
            query = query.where(_no_foreign_target(page.authority_key))
    if page.since is not None:
        query = query.where(order[0] > page.since)
    if page.until is not None:
        query = query.where(order[0] <= page.until)
    if page.after is not None:
        position = tuple_(*order)
        query = query.where(
            position > tuple_(*page.after) if page.ascending else position < tuple_(*page.after)
        )
    if page.ascending:
        query = query.order_by(order[0].asc(), order[1].asc())
    else:
        query = query.order_by(order[0].desc(), order[1].desc())
    return query.limit(page.limit + 1)


async def find_page(conn: AsyncConnection, page: PageQuery) -> tuple[list[StoredRow], bool]:
    """Up to `limit` statements in stored order after the cursor, and whether more remain."""
    rows = [StoredRow(*r) for r in await conn.execute(_page_select(page))]
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
