"""Rows of the ``documents`` table (State, Activity Profile, Agent Profile). Never commits.

Writers lock the row they change (`fetch(..., for_update=True)`) so a read-check-write
runs as one unit; two creators of the same key meet in the unique key, where `insert_new`
lets the loser see that it lost instead of failing. Header-less PUTs need no read first:
`upsert` and `insert_new` decide in the one statement, outside any transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.storage.tables import documents
from lrs.xapi.documents import DocumentKey, DocumentScope

_KEY_COLUMNS = ("kind", "activity_id", "agent_key", "registration", "doc_id")


@dataclass(frozen=True)
class StoredDocument:
    id: int
    content_type: str
    content: bytes
    etag: str
    updated: datetime


@dataclass(frozen=True)
class DocumentIds:
    ids: list[str]
    last_modified: datetime | None


def _key_filter(key: DocumentKey) -> ColumnElement[bool]:
    return and_(
        documents.c.kind == key.kind.value,
        documents.c.activity_id == key.activity_id,
        documents.c.agent_key == key.agent_key,
        documents.c.registration == key.registration,
        documents.c.doc_id == key.doc_id,
    )


def _scope_filter(scope: DocumentScope) -> ColumnElement[bool]:
    clauses = [
        documents.c.kind == scope.kind.value,
        documents.c.activity_id == scope.activity_id,
        documents.c.agent_key == scope.agent_key,
    ]
    if scope.registration is not None:
        clauses.append(documents.c.registration == scope.registration)
    return and_(*clauses)


def _document(row: Any) -> StoredDocument:
    return StoredDocument(
        id=row.id,
        content_type=row.content_type,
        content=bytes(row.content),
        etag=row.etag,
        updated=row.updated,
    )


async def fetch(
    conn: AsyncConnection, key: DocumentKey, *, for_update: bool = False
) -> StoredDocument | None:
    """The document at ``key``; with ``for_update`` its row stays locked until commit."""
    query = select(documents).where(_key_filter(key))
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _document(row) if row is not None else None


def _insert(key: DocumentKey, *, content_type: str, content: bytes, etag: str) -> Insert:
    return insert(documents).values(
        kind=key.kind.value,
        activity_id=key.activity_id,
        agent_key=key.agent_key,
        registration=key.registration,
        doc_id=key.doc_id,
        content_type=content_type,
        content=content,
        etag=etag,
        updated=func.clock_timestamp(),
    )


async def insert_new(
    conn: AsyncConnection, key: DocumentKey, *, content_type: str, content: bytes, etag: str
) -> bool:
    """Create the document; False (and nothing written) when it already exists, whether
    another writer created it first or it was there all along."""
    stmt = (
        _insert(key, content_type=content_type, content=content, etag=etag)
        .on_conflict_do_nothing(index_elements=list(_KEY_COLUMNS))
        .returning(documents.c.id)
    )
    return (await conn.execute(stmt)).first() is not None


async def upsert(
    conn: AsyncConnection, key: DocumentKey, *, content_type: str, content: bytes, etag: str
) -> None:
    """Create the document or wholly replace it, in one statement.

    PostgreSQL makes ``ON CONFLICT DO UPDATE`` atomic under concurrency (it waits for a row
    another writer holds locked, then updates it), so racing callers serialise and the last
    one wins. ``updated`` is ``clock_timestamp()``, as in `insert_new` and `replace`.
    """
    stmt = _insert(key, content_type=content_type, content=content, etag=etag)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=list(_KEY_COLUMNS),
            set_={
                "content_type": stmt.excluded.content_type,
                "content": stmt.excluded.content,
                "etag": stmt.excluded.etag,
                "updated": func.clock_timestamp(),
            },
        )
    )


async def replace(
    conn: AsyncConnection, document_id: int, *, content_type: str, content: bytes, etag: str
) -> None:
    await conn.execute(
        update(documents)
        .where(documents.c.id == document_id)
        .values(
            content_type=content_type, content=content, etag=etag, updated=func.clock_timestamp()
        )
    )


async def remove(conn: AsyncConnection, document_id: int) -> None:
    await conn.execute(delete(documents).where(documents.c.id == document_id))


async def remove_scope(conn: AsyncConnection, scope: DocumentScope) -> int:
    """Delete every document in ``scope``; the number deleted."""
    result = await conn.execute(delete(documents).where(_scope_filter(scope)))
    return int(result.rowcount)


async def list_ids(
    conn: AsyncConnection, scope: DocumentScope, *, since: datetime | None
) -> DocumentIds:
    """The ids in ``scope`` changed strictly after ``since`` (DOC-011, DOC-012), and the
    latest change among them (DOC-008). Ids repeat only across registrations; kept once."""
    query = select(documents.c.doc_id, documents.c.updated).where(_scope_filter(scope))
    if since is not None:
        query = query.where(documents.c.updated > since)
    rows = (await conn.execute(query.order_by(documents.c.doc_id))).all()
    ids = list(dict.fromkeys(row.doc_id for row in rows))
    latest = max((row.updated for row in rows), default=None)
    return DocumentIds(ids=ids, last_modified=latest)
