"""The first command of every statement read becomes a function, so its plan is kept.

Every statement read starts with one command (`lrs.storage.statement_queries.read_start`):
Consistent-Through and, for a credential remembered in memory, its confirmation (the row
unrevoked at the version it was remembered at), so that a read needs no credential lookup
of its own. The pool plans every query afresh (`plan_cache_mode = force_custom_plan`), and a
query with parameters over the activity of the server's backends costs more to plan than to
run; as a PL/pgSQL function its query is prepared once per connection and kept (as
`lrs_begin_write` of revision 0012 is).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION lrs_read_start(check_key text, check_version text)
        RETURNS TABLE (through_at timestamptz, confirmed boolean)
        LANGUAGE plpgsql
        SET plan_cache_mode = force_generic_plan
        AS $$
        BEGIN
            RETURN QUERY SELECT
                least(now(), coalesce(
                    (SELECT min(a.xact_start) FROM pg_stat_get_activity(NULL) AS a
                     WHERE a.datid = (SELECT oid FROM pg_database
                                      WHERE datname = current_database())
                       AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
                       AND a.xact_start IS NOT NULL),
                    now())),
                EXISTS (SELECT 1 FROM credentials AS c
                        WHERE c.key = check_key AND c.xmin::text = check_version
                          AND c.revoked_at IS NULL);
        END $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION lrs_read_start(text, text)")
