"""Query terms follow their statements by statement-level triggers, not a foreign key.

The foreign key from ``statement_terms`` to ``statements`` checked every term row on insert:
ten rows a statement, each a lookup of its statement that the insert itself had just made
(the terms are written from the RETURNING rows of the same command). Measured on a batch of
100 realistic statements, those checks were three quarters of the insert's database time.
What the key gave beyond that check, removing the terms of deleted statements, is kept by two
triggers that run once per command: after DELETE (with the deleted rows as a transition
table) and after TRUNCATE.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("fk_statement_terms_seq_statements", "statement_terms", type_="foreignkey")
    op.execute(
        """
        CREATE FUNCTION statements_delete_terms() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM statement_terms WHERE seq IN (SELECT seq FROM deleted_statements);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER statements_delete_terms AFTER DELETE ON statements
        REFERENCING OLD TABLE AS deleted_statements
        FOR EACH STATEMENT EXECUTE FUNCTION statements_delete_terms()
        """
    )
    op.execute(
        """
        CREATE FUNCTION statements_truncate_terms() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- DELETE, not TRUNCATE: the same TRUNCATE command may list statement_terms too.
            DELETE FROM statement_terms;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER statements_truncate_terms AFTER TRUNCATE ON statements
        FOR EACH STATEMENT EXECUTE FUNCTION statements_truncate_terms()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER statements_truncate_terms ON statements")
    op.execute("DROP FUNCTION statements_truncate_terms()")
    op.execute("DROP TRIGGER statements_delete_terms ON statements")
    op.execute("DROP FUNCTION statements_delete_terms()")
    op.execute(
        "DELETE FROM statement_terms t "
        "WHERE NOT EXISTS (SELECT 1 FROM statements s WHERE s.seq = t.seq)"
    )
    op.create_foreign_key(
        "fk_statement_terms_seq_statements",
        "statement_terms",
        "statements",
        ["seq"],
        ["seq"],
        ondelete="CASCADE",
    )
