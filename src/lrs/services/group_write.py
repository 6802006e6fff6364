"""A group of one-statement writes in one command, when it needs nothing but inserts.

Most one-statement POSTs repeat what the LRS already holds: known agents with known names,
activities whose canonical definitions they do not change, no voiding, no StatementRef. Such
a group is written by one call of `lrs_write_group` (migration 0015) outside any
transaction: the lock, the checks, the insert and the standard ingest hooks' writes in one
round trip, committed before the answer comes back, where the full path
(`lrs.services.statements`) takes four (BEGIN, the first read, the insert, COMMIT).

A group is declined (None: the caller writes it the full way) before anything is sent when
a statement voids or refers to another, an after-insert hook has work for it, an ingest
hook's writes are not among the function's, or an activity definition would change
(against the definitions this process last read, `ActivityVersions`); and by the function,
writing nothing, when a stored statement refers to one of its ids, a credential to confirm
is revoked or changed, an agent or an agent's name is new, or a definition it was based on
has changed since it was read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from lrs.auth.principal import StaleCredential
from lrs.errors import LRSError
from lrs.services.statements import (
    GroupEntry,
    IngestHook,
    IngestRider,
    SelectiveHook,
    WriteResult,
    agents_seen,
    build_row,
    conflict,
    credentials_to_confirm,
    merged_definitions,
)
from lrs.storage import group_write as repo
from lrs.storage.database import KeptConnection
from lrs.storage.statements import NewStatement, existing_payloads, payload_text
from lrs.xapi.equivalence import statements_equivalent
from lrs.xapi.prepare import prepare_statement
from lrs.xapi.relations import IndexTerms, statement_index_terms

# The ingest hooks' writes `lrs_write_group` makes, by the riders' `group_step` names.
TAGS_STEP = "door-role-tags"
OUTBOX_STEP = "forwarding-outbox"
_GROUP_STEPS = frozenset({TAGS_STEP, OUTBOX_STEP})

# `prepare_statement` needs a `stored` instant; the function takes its own and writes it
# (and the `timestamp` it defaults) into the payload, which leaves both out.
_PLACEHOLDER = datetime(1970, 1, 1, tzinfo=UTC)

Outcome = WriteResult | LRSError | StaleCredential


class ActivityVersions:
    """The canonical definitions of activities, each with its row's version (`xmin`), as
    last read by this process: what a group is checked against before it is sent, and what
    the function checks again. At most `limit` are kept (the oldest read is dropped)."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._known: dict[str, tuple[dict[str, Any] | None, str]] = {}

    async def read(
        self, conn: AsyncConnection, ids: Sequence[str]
    ) -> dict[str, tuple[dict[str, Any] | None, str]]:
        """Those of `ids` that are stored, read from the database when not known."""
        missing = [i for i in ids if i not in self._known]
        if missing:
            self._known.update(await repo.activity_versions(conn, missing))
            while len(self._known) > self.limit:
                del self._known[next(iter(self._known))]
        return {i: self._known[i] for i in ids if i in self._known}

    def forget(self, ids: Sequence[str]) -> None:
        for activity_id in ids:
            self._known.pop(activity_id, None)


def _standard_hooks(hooks: Sequence[IngestHook], rows: Sequence[NewStatement]) -> bool:
    """Whether the function makes every hook's writes for `rows`: the riders' are its steps
    (all of them, no other), and no after-insert hook has work."""
    steps: list[str | None] = []
    for hook in hooks:
        if isinstance(hook, IngestRider):
            steps.append(hook.group_step)
        elif not isinstance(hook, SelectiveHook) or hook.applies_to(rows):
            return False
    return len(steps) == len(_GROUP_STEPS) and set(steps) == _GROUP_STEPS


def _group_row(prepared: dict[str, Any], row: NewStatement, had_timestamp: bool) -> repo.GroupRow:
    left_out = ("stored",) if had_timestamp else ("stored", "timestamp")
    payload = {key: value for key, value in prepared.items() if key not in left_out}
    return repo.GroupRow(
        id=row.id,
        timestamp=row.timestamp if had_timestamp else None,
        verb_id=row.verb_id,
        actor_key=row.actor_key,
        object_activity_id=row.object_activity_id,
        registration=row.registration,
        authority_key=row.authority_key,
        version=row.version,
        payload_json=payload_text(payload),
        terms=row.terms,
    )


@dataclass(frozen=True)
class _Prepared:
    rows: list[NewStatement]
    group_rows: list[repo.GroupRow]
    all_terms: list[IndexTerms]


def _prepare(entries: Sequence[GroupEntry]) -> _Prepared | None:
    """The group's statements as the LRS stores them, or None when one voids or refers to
    another statement (the full path applies those)."""
    prepared_rows = _Prepared([], [], [])
    for statement, principal, version in entries:
        prepared = prepare_statement(
            statement, version=version, authority=principal.authority, stored=_PLACEHOLDER
        )
        terms = statement_index_terms(prepared)
        if terms.is_voiding or terms.statement_ref_id is not None:
            return None
        row = build_row(prepared, terms, _PLACEHOLDER)
        had_timestamp = isinstance(statement.get("timestamp"), str)
        prepared_rows.rows.append(row)
        prepared_rows.group_rows.append(_group_row(prepared, row, had_timestamp))
        prepared_rows.all_terms.append(terms)
    return prepared_rows


def _tags_document(hooks: Sequence[IngestHook], rows: Sequence[NewStatement]) -> str:
    for hook in hooks:
        if isinstance(hook, IngestRider) and hook.group_step == TAGS_STEP:
            return hook.group_document(rows) or "[]"
    return "[]"


async def write_group_at_once(
    connection: KeptConnection,
    entries: Sequence[GroupEntry],
    *,
    hooks: Sequence[IngestHook],
    activities: ActivityVersions,
) -> list[Outcome] | None:
    """Write one-statement writes of several requests (distinct statement ids) in one
    command, each with its own outcome, or None when the group needs the full path (see
    the module docstring): then nothing was written."""
    group = _prepare(entries)
    if group is None or not _standard_hooks(hooks, group.rows):
        return None
    activity_ids = sorted({a for t in group.all_terms for a, _ in t.activities})
    async with connection.use() as conn:
        known = await activities.read(conn, activity_ids)
        if merged_definitions({i: d for i, (d, _) in known.items()}, group.all_terms):
            activities.forget(activity_ids)  # the full path creates or changes one of them
            return None
        checks = repo.GroupChecks(
            credentials=credentials_to_confirm([p for _, p, _ in entries]),
            agent_names={k: sorted(n) for k, (_, n) in agents_seen(group.all_terms).items()},
            activity_versions={i: v for i, (_, v) in known.items()},
        )
        written = await repo.write_group(
            conn, group.group_rows, checks=checks, tags_json=_tags_document(hooks, group.rows)
        )
        if written is None:
            activities.forget(activity_ids)  # one may have changed: read them again next time
            return None
        stored_first = [row.id for row in group.rows if row.id not in written.seqs]
        current = await existing_payloads(conn, stored_first) if stored_first else {}
    return [
        _outcome(row.id, statement, current, written.consistent_through)
        for row, (statement, _, _) in zip(group.rows, entries, strict=True)
    ]


def _outcome(
    statement_id: str,
    sent: Mapping[str, Any],
    stored_first: Mapping[str, dict[str, Any]],
    consistent_through: datetime,
) -> Outcome:
    """A statement whose id was already stored is accepted when equivalent to the stored one
    (ST-PROC-015) and a Conflict otherwise (STR-W-006); nothing was written for it."""
    previous = stored_first.get(statement_id)
    if previous is not None and not statements_equivalent(previous, sent):
        return conflict(statement_id)
    return WriteResult([statement_id], consistent_through)
