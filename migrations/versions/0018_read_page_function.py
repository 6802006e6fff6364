"""A statement read (a query's page, or one statement by id) becomes one command:
`lrs_read_page`.

A read took two round trips: the read's first command (`lrs_read_start`: Consistent-Through,
and the confirmation of a credential remembered in memory), then the page query (or the
statement by id). They could not be one query: a query has one snapshot, taken when it
starts, and a statement write that committed after that snapshot but before the query read
the activity of the server's backends would be counted neither as open (Consistent-Through
past its `stored`) nor as visible (missing from the page).

This function runs them in order in one command: each command of a PL/pgSQL function takes
its own snapshot (in READ COMMITTED, which the function requires), so the page's snapshot is
taken after Consistent-Through was read, as it was with two commands (ORD-008, STR-R-008).
The query is the server's own SQL (the page query for the query's shape, or the statement
by id: `lrs.storage.statement_queries`), its values in three typed arrays (`$1` texts, `$2`
moments, `$3` numbers); it is planned with those values, as every page query is. It runs
that SQL as its caller (SECURITY INVOKER): it grants nothing its caller could not do.

The first row returned is the read's start: no `seq`, Consistent-Through as `stored`, and
as `payload` 'stale' when the credential to check (`check_key`, '' for none) is revoked or
changed, in which case nothing is read, else 'confirmed'. The statements read follow.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

READ_PAGE_FUNCTION = """
CREATE FUNCTION lrs_read_page(
    check_key text, check_version text, page_sql text,
    texts text[], moments timestamptz[], numbers bigint[])
RETURNS TABLE (seq bigint, stored timestamptz, payload text)
LANGUAGE plpgsql
AS $$
DECLARE
    start record;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'lrs_read_page needs READ COMMITTED: the page''s snapshot must be '
                        'taken after Consistent-Through is read';
    END IF;
    SELECT r.through_at, r.confirmed INTO start
    FROM lrs_read_start(check_key, check_version) AS r;
    seq := NULL;
    stored := start.through_at;
    payload := CASE WHEN check_key = '' OR start.confirmed THEN 'confirmed' ELSE 'stale' END;
    RETURN NEXT;
    IF payload = 'confirmed' THEN
        RETURN QUERY EXECUTE page_sql USING texts, moments, numbers;
    END IF;
END $$
"""


def upgrade() -> None:
    op.execute(READ_PAGE_FUNCTION)


def downgrade() -> None:
    op.execute("DROP FUNCTION lrs_read_page(text, text, text, text[], timestamptz[], bigint[])")
