"""Every query-term row carries its statement's verb key, inside the term index.

A statement query that filters on a verb besides another term (agent + verb, the commonest
pair) walked the driving term's index entries in stored order and probed the term index
once per entry for the verb: with 1M statements, an agent's page of one verb walked about
1,250 entries and made as many probes. With the verb key of each row in the index (an
INCLUDE column), the walk skips the other verbs' entries without leaving the index
(`lrs.storage.statement_queries`).

The key is `hashtextextended(verb_id, 0)`. Rows written before this revision keep a NULL
key (queries probe them, as before): the index is rebuilt, the table is not rewritten.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_INDEX = "ix_statement_terms_term_stored_seq"


def upgrade() -> None:
    op.add_column("statement_terms", sa.Column("verb_key", sa.BigInteger, nullable=True))
    op.drop_index(_INDEX, table_name="statement_terms")
    op.create_index(
        _INDEX,
        "statement_terms",
        ["term", "stored", "seq"],
        unique=True,
        postgresql_include=["verb_key"],
    )


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="statement_terms")
    op.create_index(_INDEX, "statement_terms", ["term", "stored", "seq"], unique=True)
    op.drop_column("statement_terms", "verb_key")
