"""Document use cases (DOC-*, CONC-*).

A conditional PUT, a POST merge and a DELETE run in one transaction. Such a write locks
the current row (``SELECT ... FOR UPDATE``), evaluates the preconditions against it and
writes in the same transaction, so two conditional writers are serialised and the second
sees the first one's ETag: exactly one wins, no update is lost. When no row exists there
is nothing to lock; two creators then meet in the unique key, the loser's insert does
nothing, and it evaluates its preconditions again against the winner's row (an
``If-None-Match: *`` loser gets 412, a POST merges into it).

A PUT without preconditions needs no read before its write, so it is one statement in
autocommit (one round trip instead of four): State upserts (``ON CONFLICT DO UPDATE``,
the last racer wins), a profile inserts only when absent (``ON CONFLICT DO NOTHING``) and
a document found there is the CONC-009 409, with nothing written. Reads are one SELECT,
consistent on its own, so they run in autocommit too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.errors import Conflict, NotFound
from lrs.storage import documents as repo
from lrs.storage.database import autocommit, transaction
from lrs.storage.documents import DocumentIds, StoredDocument
from lrs.xapi.documents import (
    DEFAULT_CONTENT_TYPE,
    DocumentKey,
    DocumentScope,
    Preconditions,
    check_json_body,
    check_preconditions,
    check_size,
    check_unconditional_put,
    etag_for,
    merge_json,
    parse_json_object,
    requires_precondition,
    serialize_json,
)
from lrs.xapi.versions import XapiVersion

__all__ = [
    "DocumentIds",
    "DocumentWrite",
    "StoredDocument",
    "delete_document",
    "delete_documents",
    "get_document",
    "list_document_ids",
    "post_document",
    "put_document",
]

# Each extra attempt needs a row created by another writer and deleted again in between.
_ATTEMPTS = 3

NewContent = Callable[[StoredDocument | None], tuple[str, bytes]]


@dataclass(frozen=True)
class DocumentWrite:
    """A PUT or POST of one document: the body and Content-Type as sent, the request's
    preconditions, and the configured size limit."""

    key: DocumentKey
    content: bytes
    content_type: str | None
    conditions: Preconditions
    max_bytes: int


async def _write(
    engine: AsyncEngine,
    key: DocumentKey,
    conditions: Preconditions,
    new_content: NewContent,
    *,
    max_bytes: int,
    put_version: XapiVersion | None,
) -> None:
    """Read-check-write under a row lock; ``put_version`` is the request's version for a PUT
    (whose unconditional-PUT rules apply) and None for a POST."""
    async with transaction(engine) as conn:
        for _ in range(_ATTEMPTS):
            current = await repo.fetch(conn, key, for_update=True)
            check_preconditions(conditions, current.etag if current is not None else None)
            if put_version is not None:
                # The 409 rule is about PUT only (CONC-009); POST merges need no header.
                check_unconditional_put(
                    key.kind, put_version, conditions, exists=current is not None
                )
            content_type, content = new_content(current)
            check_size(content, max_bytes)
            etag = etag_for(content)
            if current is not None:
                await repo.replace(
                    conn, current.id, content_type=content_type, content=content, etag=etag
                )
                return
            if await repo.insert_new(
                conn, key, content_type=content_type, content=content, etag=etag
            ):
                return
    raise Conflict("the document kept changing while this request ran; retry it")


async def put_document(engine: AsyncEngine, write: DocumentWrite, *, version: XapiVersion) -> None:
    """Create or wholly replace the document, stored byte for byte with its Content-Type
    (DOC-002, CT-005); preconditions and the unconditional-PUT rules apply
    (CONC-005/006/009/010, REF-007, REF-008)."""
    check_size(write.content, write.max_bytes)
    check_json_body(write.content, write.content_type)
    stored_type = write.content_type or DEFAULT_CONTENT_TYPE

    if write.conditions.absent:
        await _put_unconditional(engine, write.key, stored_type, write.content, version)
        return

    def replacement(_: StoredDocument | None) -> tuple[str, bytes]:
        return stored_type, write.content

    await _write(
        engine,
        write.key,
        write.conditions,
        replacement,
        max_bytes=write.max_bytes,
        put_version=version,
    )


async def _put_unconditional(
    engine: AsyncEngine,
    key: DocumentKey,
    content_type: str,
    content: bytes,
    version: XapiVersion,
) -> None:
    """A header-less PUT as one statement: with no preconditions the outcome depends only on
    whether the document exists, which the unique key decides atomically."""
    etag = etag_for(content)
    absent = Preconditions()
    async with autocommit(engine) as conn:
        if not requires_precondition(key.kind, version):
            await repo.upsert(conn, key, content_type=content_type, content=content, etag=etag)
            return
        if version.is_legacy:
            # Refused whether or not a document exists; only the status depends on it.
            exists = await repo.fetch(conn, key) is not None
            check_unconditional_put(key.kind, version, absent, exists=exists)
        created = await repo.insert_new(
            conn, key, content_type=content_type, content=content, etag=etag
        )
    if not created:
        # The document exists and no header was given: the 409 (CONC-009..011, REF-008).
        check_unconditional_put(key.kind, version, absent, exists=True)


async def post_document(engine: AsyncEngine, write: DocumentWrite) -> None:
    """Merge a posted JSON object into the stored one (DOC-003), or store it as sent when
    there is none (DOC-004); 400 unless both are JSON objects (DOC-005, CT-006)."""
    check_size(write.content, write.max_bytes)
    posted = parse_json_object(write.content, write.content_type, what="posted")
    posted_type = write.content_type or DEFAULT_CONTENT_TYPE

    def merged(current: StoredDocument | None) -> tuple[str, bytes]:
        if current is None:
            return posted_type, write.content
        stored = parse_json_object(current.content, current.content_type, what="stored")
        return posted_type, serialize_json(merge_json(stored, posted))

    await _write(
        engine, write.key, write.conditions, merged, max_bytes=write.max_bytes, put_version=None
    )


async def get_document(engine: AsyncEngine, key: DocumentKey) -> StoredDocument:
    """The stored bytes, type, ETag and change time (DOC-006/007, CONC-001); 404 (DOC-009)."""
    async with autocommit(engine) as conn:
        document = await repo.fetch(conn, key)
    if document is None:
        raise NotFound(f"no document with id {key.doc_id!r} exists here")
    return document


async def list_document_ids(
    engine: AsyncEngine, scope: DocumentScope, *, since: datetime | None
) -> DocumentIds:
    """The ids in scope changed after ``since`` (DOC-011/012, DOC-ST-003, DOC-ACP-002,
    DOC-AGP-002) with the latest change time (DOC-008)."""
    async with autocommit(engine) as conn:
        return await repo.list_ids(conn, scope, since=since)


async def delete_document(engine: AsyncEngine, key: DocumentKey, conditions: Preconditions) -> None:
    """Remove one document (DOC-010) if the preconditions hold (CONC-007, CONC-013).

    Deleting a document that does not exist is not an error: the end state is the one asked
    for (the specification leaves this case open).
    """
    async with transaction(engine) as conn:
        current = await repo.fetch(conn, key, for_update=True)
        check_preconditions(conditions, current.etag if current is not None else None)
        if current is not None:
            await repo.remove(conn, current.id)


async def delete_documents(engine: AsyncEngine, scope: DocumentScope) -> int:
    """Remove every State document of activity + agent (+ registration) (DOC-ST-004)."""
    async with transaction(engine) as conn:
        return await repo.remove_scope(conn, scope)
