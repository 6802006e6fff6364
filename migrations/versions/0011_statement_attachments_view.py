"""The view ``statement_attachments``: the attachment payloads each statement lists.

One row per (statement, sha2) for the Attachments of a statement and of its SubStatement,
so the erasure and purge queries that find payloads no other statement lists share one
definition instead of each spelling the JSON path walk. A plain view: its conditions on
``seq`` and ``stored`` reach the statements scan.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE VIEW statement_attachments AS
        SELECT s.seq, s.stored, a.sha2
        FROM statements s, LATERAL (
            SELECT jsonb_path_query(s.payload, 'lax $.attachments[*].sha2') #>> '{}' AS sha2
            UNION ALL
            SELECT jsonb_path_query(s.payload, 'lax $.object.attachments[*].sha2') #>> '{}'
        ) AS a
        WHERE s.payload ? 'attachments' OR s.payload->'object' ? 'attachments'
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW statement_attachments")
