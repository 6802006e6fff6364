"""Statement use cases: store a batch (one transaction), fetch one, query a page.

Every write is: prepare the statements (pure), open one transaction, run a fixed number of
bulk commands. A batch is stored whole or not at all (ERR-009).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lrs.auth.principal import Principal, StaleCredential
from lrs.errors import Conflict, LRSError
from lrs.storage import statements as repo
from lrs.storage.database import transaction
from lrs.xapi.activities import merge_definition
from lrs.xapi.equivalence import statements_equivalent
from lrs.xapi.ifi import ifi_key, ifi_of
from lrs.xapi.prepare import prepare_statement
from lrs.xapi.relations import IndexTerms, statement_index_terms
from lrs.xapi.terms import statement_terms
from lrs.xapi.versions import XapiVersion


class AfterInsertHook(Protocol):
    """Runs inside a write's transaction with the statements it stored (id -> seq), after
    the insert, e.g. the service-proof index. Raising aborts the whole batch."""

    async def __call__(
        self, conn: AsyncConnection, stored: Sequence[repo.NewStatement], seqs: Mapping[str, int]
    ) -> None: ...


class SelectiveHook(ABC):
    """An after-insert hook that can tell before a write whether the write gives it anything
    to do: a group of one-statement writes with nothing for it is written in one command
    (`lrs.services.group_write`), which runs no after-insert hook."""

    @abstractmethod
    def applies_to(self, rows: Sequence[repo.NewStatement]) -> bool:
        """Whether a write of `rows` has work for this hook."""

    @abstractmethod
    async def __call__(
        self, conn: AsyncConnection, stored: Sequence[repo.NewStatement], seqs: Mapping[str, int]
    ) -> None: ...


class IngestRider(ABC):
    """An ingest hook whose writes ride on the insert of statements itself, as
    `repo.InsertStep`s (no round trip of their own), e.g. the door and role tagging of
    `lrs.ext` and the forwarding outbox. A step failing aborts the whole batch.

    `group_step` names the step of `lrs_write_group` (migration 0015) that makes the same
    writes, when there is one: a group of one-statement writes is written in one command
    only when every rider's writes are among that function's (`lrs.services.group_write`)."""

    group_step: ClassVar[str | None] = None

    @abstractmethod
    def insert_steps(self, rows: Sequence[repo.NewStatement]) -> Sequence[repo.InsertStep]:
        """The steps for a write of `rows` (each step joins `new`, the rows written)."""

    def group_document(self, rows: Sequence[repo.NewStatement]) -> str | None:
        """What this rider's step of `lrs_write_group` reads for `rows`, when it reads
        anything."""
        return None


IngestHook = AfterInsertHook | IngestRider


@dataclass(frozen=True)
class WriteResult:
    """The ids in submission order and the Consistent-Through value to answer with."""

    ids: list[str]
    consistent_through: datetime


@dataclass(frozen=True)
class Attachment:
    sha2: str
    content_type: str
    data: bytes


def build_row(prepared: dict[str, Any], terms: IndexTerms, stored: datetime) -> repo.NewStatement:
    return repo.NewStatement(
        id=prepared["id"],
        stored=stored,
        timestamp=terms.timestamp,
        verb_id=terms.verb_id,
        actor_key=ifi_key(prepared["actor"]),
        object_activity_id=terms.object_activity_id,
        registration=terms.registration,
        statement_ref_id=terms.statement_ref_id,
        is_voiding=terms.is_voiding,
        authority_key=terms.authority_key or "",
        version=prepared["version"],
        payload=prepared,
        terms=statement_terms(terms),
    )


def conflict(statement_id: str) -> Conflict:
    return Conflict(
        f"statement {statement_id} already exists with different content; statements are "
        "immutable (STR-W-006)"
    )


async def store_statements(
    engine: AsyncEngine,
    statements: Sequence[Mapping[str, Any]],
    *,
    principal: Principal,
    version: XapiVersion,
    attachments: Sequence[Attachment] = (),
    hooks: Sequence[IngestHook] = (),
    committing: Callable[[], None] | None = None,
) -> WriteResult:
    """Store a validated batch; returns the ids in submission order (STR-W-008, ORD-003).

    A statement whose id is already stored is skipped when equivalent (ST-PROC-015) and
    makes the whole batch a 409 otherwise (STR-W-005/006). `committing` is called just
    before COMMIT is sent (`lrs.services.group_commit` starts its next group then).
    """
    client_ids = [str(s["id"]).lower() for s in statements if "id" in s]
    ids: list[str] = []
    async with transaction(engine) as conn:
        start = await repo.begin_write(conn, client_ids, credentials_to_confirm([principal]))
        if not _confirmed(principal, start):
            raise StaleCredential(principal.key)
        stored, existing = start.stored, start.existing
        rows: list[repo.NewStatement] = []
        received: dict[str, Mapping[str, Any]] = {}
        all_terms: list[IndexTerms] = []
        for statement in statements:
            prepared = prepare_statement(
                statement, version=version, authority=principal.authority, stored=stored
            )
            ids.append(prepared["id"])
            previous = existing.get(prepared["id"])
            if previous is not None:
                # The received form, not the prepared one: a `timestamp` the LRS filled in
                # must not make a resend without one look different (ST-PROC-015).
                if not statements_equivalent(previous, statement):
                    raise conflict(prepared["id"])
                continue
            terms = statement_index_terms(prepared)
            rows.append(build_row(prepared, terms, stored))
            received[prepared["id"]] = statement
            all_terms.append(terms)
        if rows:
            await write_rows(conn, start, rows, all_terms, received, hooks=hooks)
            if attachments:
                await repo.store_attachments(
                    conn, [(a.sha2, a.content_type, a.data) for a in attachments]
                )
        if committing is not None:
            committing()
    return WriteResult(ids, start.consistent_through)


def credentials_to_confirm(principals: Sequence[Principal]) -> list[tuple[str, str]]:
    """The credentials `begin_write` must confirm: those of principals taken from memory."""
    return sorted({(p.key, p.version) for p in principals if not p.confirmed})


def _confirmed(principal: Principal, start: repo.WriteStart) -> bool:
    return principal.confirmed or (principal.key, principal.version) in start.confirmed


GroupEntry = tuple[Mapping[str, Any], Principal, XapiVersion]


async def store_prepared_group(
    engine: AsyncEngine,
    entries: Sequence[GroupEntry],
    *,
    hooks: Sequence[IngestHook] = (),
    committing: Callable[[], None] | None = None,
) -> list[WriteResult | LRSError | StaleCredential]:
    """Store one-statement writes of several requests in one transaction (group commit,
    `lrs.services.group_commit`), each statement with its own request's authority and
    version; the statement ids of `entries` are distinct.

    A statement that conflicts with a stored one gets its Conflict, and one whose
    credential could not be confirmed its StaleCredential, and nothing else changes for the
    others; any exception means the transaction was rolled back for all. `committing` is
    called just before COMMIT is sent, as in `store_statements`."""
    client_ids = [str(s["id"]).lower() for s, _, _ in entries if "id" in s]
    outcomes: list[WriteResult | LRSError | StaleCredential] = []
    async with transaction(engine) as conn:
        start = await repo.begin_write(
            conn, client_ids, credentials_to_confirm([p for _, p, _ in entries])
        )
        rows: list[repo.NewStatement] = []
        received: dict[str, Mapping[str, Any]] = {}
        all_terms: list[IndexTerms] = []
        for statement, principal, version in entries:
            if not _confirmed(principal, start):
                outcomes.append(StaleCredential(principal.key))
                continue
            prepared = prepare_statement(
                statement, version=version, authority=principal.authority, stored=start.stored
            )
            statement_id = prepared["id"]
            previous = start.existing.get(statement_id)
            if previous is not None and not statements_equivalent(previous, statement):
                outcomes.append(conflict(statement_id))
                continue
            outcomes.append(WriteResult([statement_id], start.consistent_through))
            if previous is None:
                terms = statement_index_terms(prepared)
                rows.append(build_row(prepared, terms, start.stored))
                received[statement_id] = statement
                all_terms.append(terms)
        if rows:
            await write_rows(conn, start, rows, all_terms, received, hooks=hooks)
        if committing is not None:
            committing()
    return outcomes


async def write_rows(
    conn: AsyncConnection,
    start: repo.WriteStart,
    rows: list[repo.NewStatement],
    all_terms: Sequence[IndexTerms],
    received: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    hooks: Sequence[IngestHook] = (),
) -> dict[str, int]:
    """Write rows after `begin_write`: statements and terms with the `hooks`' insert steps,
    voiding, StatementRef terms, definitions and agents, then the after-insert hooks.
    Returns id -> seq of the rows written.

    The common batch costs one command here; voiding, StatementRef propagation and
    definition changes add one only when the batch has something for them to do.
    `received` (id -> statement as sent) is what a concurrent writer's row is compared
    with; without it the prepared payload is (`lrs.services.bulk` restores prepared
    statements)."""
    void_targets = {r.statement_ref_id for r in rows if r.is_voiding and r.statement_ref_id}
    agents = agents_seen(all_terms)
    written = await repo.insert_batch(
        conn,
        rows,
        voided=_voided_on_arrival(rows, void_targets, start.referenced),
        activity_ids=sorted({a for t in all_terms for a, _ in t.activities}),
        agent_keys=sorted(agents),
        steps=[step for rider in riders(hooks) for step in rider.insert_steps(rows)],
    )
    seqs = written.seqs
    await _check_rows_stored_first(conn, [row for row in rows if row.id not in seqs], received)
    inserted = [row for row in rows if row.id in seqs]
    await repo.apply_voiding(conn, sorted(void_targets.difference(seqs)))
    await repo.propagate_statement_refs(
        conn,
        referrers=[seqs[r.id] for r in inserted if r.statement_ref_id],
        targets=[seqs[r.id] for r in inserted if r.id in start.referenced],
    )
    await _update_activities(conn, all_terms, written.activities)
    await _update_agents(conn, agents, written.agent_names)
    for hook in hooks:
        if not isinstance(hook, IngestRider):
            await hook(conn, inserted, seqs)
    return seqs


def riders(hooks: Sequence[IngestHook]) -> list[IngestRider]:
    return [hook for hook in hooks if isinstance(hook, IngestRider)]


def _voided_on_arrival(
    rows: Sequence[repo.NewStatement], void_targets: set[str], referenced: Mapping[str, bool]
) -> set[str]:
    """New statements that are voided as they are written: a voiding statement of the same
    batch, or one stored earlier (`referenced` id -> whether a voiding statement refers to
    it), targets them. A voiding statement itself is never voided."""
    return {
        r.id
        for r in rows
        if not r.is_voiding and (r.id in void_targets or referenced.get(r.id, False))
    }


async def _check_rows_stored_first(
    conn: AsyncConnection,
    lost: Sequence[repo.NewStatement],
    received: Mapping[str, Mapping[str, Any]] | None,
) -> None:
    """A concurrent writer stored these ids first: each must be equivalent to what it stored
    (the rule of `begin_write`'s ids, STR-W-006), or the write is a Conflict."""
    if not lost:
        return
    current = await repo.existing_payloads(conn, [row.id for row in lost])
    for row in lost:
        sent = row.payload if received is None else received[row.id]
        if not statements_equivalent(current[row.id], sent):
            raise conflict(row.id)


def merged_definitions(
    current: Mapping[str, dict[str, Any] | None],
    all_terms: Sequence[IndexTerms],
    only: frozenset[str] | None = None,
) -> dict[str, dict[str, Any] | None]:
    """The definitions this batch changes (or creates), merged in submission order."""
    changed: dict[str, dict[str, Any] | None] = {}
    for terms in all_terms:
        for activity_id, definition in terms.activities:
            if only is not None and activity_id not in only:
                continue
            known = activity_id in current or activity_id in changed
            before = changed.get(activity_id, current.get(activity_id))
            if known and (definition is None or definition == before):
                continue  # the usual case: a definition the LRS already holds, as is
            merged = merge_definition(before, definition)
            if not known or merged != before:
                changed[activity_id] = merged
    return changed


async def _update_activities(
    conn: AsyncConnection,
    all_terms: Sequence[IndexTerms],
    snapshot: Mapping[str, dict[str, Any] | None],
) -> None:
    """Keep canonical Activity definitions current (ST-PROC-019/020).

    Most batches repeat definitions the LRS already holds: the unlocked `snapshot` read with
    the insert shows that and nothing is written. Rows a batch does change are locked (in id
    order, so concurrent batches cannot deadlock) and merged again from their locked state,
    so no merge is lost."""
    changed = merged_definitions(snapshot, all_terms)
    if not changed:
        return
    to_lock = sorted(changed)
    await repo.insert_missing_activities(conn, to_lock)
    locked = await repo.activity_definitions(conn, to_lock, for_update=True)
    await repo.upsert_activities(
        conn, merged_definitions(locked, all_terms, only=frozenset(to_lock))
    )


AgentsSeen = dict[str, tuple[dict[str, Any], set[str]]]


def agents_seen(all_terms: Sequence[IndexTerms]) -> AgentsSeen:
    """Identified agents of the batch: IFI key -> (IFI, names seen)."""
    wanted: AgentsSeen = {}
    for terms in all_terms:
        for agent in terms.agents:
            key = ifi_key(agent)
            if key is None:
                continue
            entry = wanted.setdefault(key, (ifi_of(agent), set()))
            name = agent.get("name")
            if isinstance(name, str):
                entry[1].add(name)
    return wanted


async def _update_agents(
    conn: AsyncConnection, wanted: AgentsSeen, names: Mapping[str, list[str]]
) -> None:
    """Record new agents and new names of known ones (the Agents resource, AGT-001)."""
    updates = {
        key: (ifi, sorted(new_names))
        for key, (ifi, new_names) in wanted.items()
        if key not in names or not new_names <= set(names[key])
    }
    await repo.upsert_agents(conn, updates)
