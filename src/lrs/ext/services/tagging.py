"""How statements get their door and role: the ingest hook (statement and roster sources)
and explicit tags set through the API. Precedence: explicit > statement > roster, resolved
per field when reading (see `lrs.ext.storage.sql.EFFECTIVE_TAGS`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lrs.errors import NotFound
from lrs.ext.rules.csvio import BulkBody
from lrs.ext.rules.model import carried_tags, parse_tag
from lrs.ext.services.known import Ref, check_known
from lrs.ext.storage import tags as repo
from lrs.services.group_write import TAGS_STEP
from lrs.services.statements import IngestRider
from lrs.storage.database import read_only, transaction
from lrs.storage.statements import InsertStep, NewStatement


class TaggingHook(IngestRider):
    """The statement ingest hook: tags a write's statements as part of its insert (no
    command of its own, whatever the batch size)."""

    group_step = TAGS_STEP

    def __init__(self, door_iri: str, role_iri: str) -> None:
        self.door_iri = door_iri
        self.role_iri = role_iri

    def _carried(self, rows: Sequence[NewStatement]) -> list[tuple[str, str | None, str | None]]:
        carried: list[tuple[str, str | None, str | None]] = []
        for row in rows:
            door, role = carried_tags(row.payload, self.door_iri, self.role_iri)
            if door is not None or role is not None:
                carried.append((row.id, door, role))
        return carried

    def insert_steps(self, rows: Sequence[NewStatement]) -> list[InsertStep]:
        return repo.tags_at_ingest(self._carried(rows))

    def group_document(self, rows: Sequence[NewStatement]) -> str:
        return repo.carried_document(self._carried(rows))


async def put_tag(engine: AsyncEngine, statement_id: str, body: object) -> None:
    """Set (or, with neither field, clear) the explicit tag of one statement."""
    tag = parse_tag(body, "$", statement_id)
    async with transaction(engine) as conn:
        if not await repo.existing_statement_ids(conn, [tag.statement_id]):
            raise NotFound(f"no statement with id {tag.statement_id}")
        await check_known(conn, [Ref(0, tag.door, tag.role, "$")])
        await repo.set_explicit(conn, [(tag.statement_id, tag.door, tag.role)])


async def bulk_tags(engine: AsyncEngine, bulk: BulkBody) -> int:
    """Set explicit tags on many statements at once, all or nothing."""
    tags = bulk.parse_each(parse_tag)
    bulk.check_unique([t.statement_id for t in tags], "statement", ".statement_id")
    if not tags:
        return 0
    async with transaction(engine) as conn:
        found = await repo.existing_statement_ids(conn, [t.statement_id for t in tags])
        for index, tag in enumerate(tags):
            if tag.statement_id not in found:
                raise bulk.refuse(
                    index, f"no statement with id {tag.statement_id}", f"{tag.path}.statement_id"
                )
        await check_known(conn, [Ref(i, t.door, t.role, t.path) for i, t in enumerate(tags)], bulk)
        await repo.set_explicit(conn, [(t.statement_id, t.door, t.role) for t in tags])
    return len(tags)


async def get_tags(engine: AsyncEngine, statement_id: str) -> dict[str, Any]:
    """The effective tag of a statement and the row of each source behind it."""
    async with read_only(engine) as conn:
        rows = await repo.tags_of(conn, statement_id)
    effective = [r for r in rows if r[0] == "effective"]
    if not effective:
        raise NotFound(f"no statement with id {statement_id}")
    _, source, door, role, _ = effective[0]
    return {
        "statement_id": statement_id,
        "door": door,
        "role": role,
        "tag_source": source,
        "sources": {
            r[1]: {"door": r[2], "role": r[3], "tagged_at": r[4]}
            for r in rows
            if r[0] == "row" and r[1] is not None
        },
    }
