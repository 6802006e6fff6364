"""Initial schema: credentials, statements and their query terms, attachments, activities,
agents, documents.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer, sa.Identity(), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("secret_hash", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("authority", postgresql.JSONB, nullable=False),
        sa.Column("created_at", _TZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", _TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_credentials"),
        sa.UniqueConstraint("key", name="uq_credentials_key"),
    )
    op.create_table(
        "statements",
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column("stored", _TZ, nullable=False),
        sa.Column("timestamp", _TZ, nullable=False),
        sa.Column("verb_id", sa.Text, nullable=False),
        sa.Column("actor_key", sa.Text, nullable=True),
        sa.Column("object_activity_id", sa.Text, nullable=True),
        sa.Column("registration", postgresql.UUID(as_uuid=False), nullable=True),
        sa.Column("statement_ref_id", postgresql.UUID(as_uuid=False), nullable=True),
        sa.Column("is_voiding", sa.Boolean, nullable=False),
        sa.Column("voided", sa.Boolean, server_default=sa.text("false"), nullable=False),
        sa.Column("authority_key", sa.Text, nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("payload", postgresql.JSONB, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_statements"),
        sa.UniqueConstraint("id", name="uq_statements_id"),
    )
    op.create_index("ix_statements_stored_seq", "statements", ["stored", "seq"])
    op.create_index(
        "ix_statements_statement_ref_id",
        "statements",
        ["statement_ref_id"],
        postgresql_where=sa.text("statement_ref_id IS NOT NULL"),
    )
    op.create_index(
        "ix_statements_authority_key_stored_seq",
        "statements",
        ["authority_key", "stored", "seq"],
    )
    op.create_table(
        "statement_terms",
        sa.Column("term", sa.Text, nullable=False),
        sa.Column("stored", _TZ, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.ForeignKeyConstraint(
            ["seq"],
            ["statements.seq"],
            name="fk_statement_terms_seq_statements",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_statement_terms_term_stored_seq",
        "statement_terms",
        ["term", "stored", "seq"],
        unique=True,
    )
    op.create_index("ix_statement_terms_seq", "statement_terms", ["seq"])
    op.create_table(
        "attachments",
        sa.Column("sha2", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("length", sa.BigInteger, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", _TZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("sha2", name="pk_attachments"),
    )
    op.create_table(
        "activities",
        sa.Column("activity_id", sa.Text, nullable=False),
        sa.Column("definition", postgresql.JSONB, nullable=True),
        sa.Column("updated", _TZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("activity_id", name="pk_activities"),
    )
    op.create_table(
        "agents",
        sa.Column("ifi_key", sa.Text, nullable=False),
        sa.Column("ifi", postgresql.JSONB, nullable=False),
        sa.Column(
            "names", postgresql.ARRAY(sa.Text), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.PrimaryKeyConstraint("ifi_key", name="pk_agents"),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("activity_id", sa.Text, server_default=sa.text("''"), nullable=False),
        sa.Column("agent_key", sa.Text, server_default=sa.text("''"), nullable=False),
        sa.Column("registration", sa.Text, server_default=sa.text("''"), nullable=False),
        sa.Column("doc_id", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("etag", sa.Text, nullable=False),
        sa.Column("updated", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.UniqueConstraint(
            "kind",
            "activity_id",
            "agent_key",
            "registration",
            "doc_id",
            name="uq_documents_kind_activity_id_agent_key_registration_doc_id",
        ),
    )


def downgrade() -> None:
    for table in (
        "documents",
        "agents",
        "activities",
        "attachments",
        "statement_terms",
        "statements",
        "credentials",
    ):
        op.drop_table(table)
