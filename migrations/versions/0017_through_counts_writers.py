"""Consistent-Through is held back only by transactions that may still store statements.

Consistent-Through was the oldest start among every open transaction of the database's
client backends (or now). A transaction that only reads held it back for as long as it
stayed open, though it can store nothing: a report (up to ten minutes), `lrs backup`'s dump
(one snapshot for the whole dump), a BI analyst's session left open in a transaction. Every
client that pages with `since` saw the header stand still (STR-R-009: recent even when
nothing new arrives).

Now only a transaction that holds a transaction id counts, and each statement write takes
its id (`pg_current_xact_id()`) first, before it takes `stored`. A reader that does not
count a write therefore either sees it committed (the id is cleared at commit, after the
commit is visible) or read the activity before that write took its id, so after the
reader's own `now()`, which is later than any `stored` the write will take (ORD-008).
A transaction that only reads has no id: it never counts.

The through expression is `lrs_consistent_through()`, one function for the two writes'
functions (`lrs_begin_write`, `lrs_write_group`, as revision 0016 states them) and the
reads' (`lrs_read_start`, revision 0013).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

CONSISTENT_THROUGH_FUNCTION = """
CREATE FUNCTION lrs_consistent_through()
RETURNS timestamptz
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN least(now(), coalesce(
        (SELECT min(a.xact_start) FROM pg_stat_get_activity(NULL) AS a
         WHERE a.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
           AND a.xact_start IS NOT NULL AND a.backend_xid IS NOT NULL),
        now()));
END $$
"""

READ_START_FUNCTION = """
CREATE OR REPLACE FUNCTION lrs_read_start(check_key text, check_version text)
RETURNS TABLE (through_at timestamptz, confirmed boolean)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY SELECT
        THROUGH,
        EXISTS (SELECT 1 FROM credentials AS c
                WHERE c.key = check_key AND c.xmin::text = check_version
                  AND c.revoked_at IS NULL);
END $$
"""

# The through expression of revisions 0013 and 0016 (indented as each states it).
_EVERY_OPEN_TRANSACTION = """least(now(), coalesce(
        (SELECT min(a.xact_start) FROM pg_stat_get_activity(NULL) AS a
         WHERE a.datid = (SELECT oid FROM pg_database
                          WHERE datname = current_database())
           AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
           AND a.xact_start IS NOT NULL),
        now()))"""
_LOCK = "PERFORM pg_advisory_xact_lock_shared(lock_key);"


def _revision_0016() -> ModuleType:
    path = Path(__file__).with_name("0016_payload_as_text.py")
    spec = importlib.util.spec_from_file_location("lrs_revision_0016", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _replaced(sql: str, old: str, new: str) -> str:
    """`sql` with its one `old` (at any indentation) replaced by `new`."""
    for indent in range(0, 17, 4):
        spelled = old.replace("\n", "\n" + " " * indent)
        if sql.count(spelled) == 1:
            return sql.replace(spelled, new)
    raise RuntimeError(f"expected once in the function: {old[:40]!r}")


def _writes(previous: ModuleType) -> list[str]:
    """Revision 0016's write functions, each taking its transaction id first and its
    Consistent-Through from `lrs_consistent_through()`."""
    group = previous.WRITE_GROUP_FUNCTION.replace("PAYLOAD_TYPE", "text")
    return [
        _replaced(
            _replaced(sql, _EVERY_OPEN_TRANSACTION, "lrs_consistent_through()"),
            _LOCK,
            "PERFORM pg_current_xact_id();\n    " + _LOCK,
        )
        for sql in (group, previous.BEGIN_WRITE_FUNCTION)
    ]


def upgrade() -> None:
    op.execute(CONSISTENT_THROUGH_FUNCTION)
    op.execute(READ_START_FUNCTION.replace("THROUGH", "lrs_consistent_through()"))
    for function in _writes(_revision_0016()):
        op.execute(function)


def downgrade() -> None:
    previous = _revision_0016()
    op.execute(previous.WRITE_GROUP_FUNCTION.replace("PAYLOAD_TYPE", "text"))
    op.execute(previous.BEGIN_WRITE_FUNCTION)
    op.execute(READ_START_FUNCTION.replace("THROUGH", _EVERY_OPEN_TRANSACTION))
    op.execute("DROP FUNCTION lrs_consistent_through()")
