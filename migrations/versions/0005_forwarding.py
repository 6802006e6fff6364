"""Forwarding: targets, the outbox queue, dead letters and the generated secret key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_NOW = sa.text("now()")
_UUID = postgresql.UUID(as_uuid=False)


def upgrade() -> None:
    op.create_table(
        "fwd_targets",
        sa.Column("id", _UUID, nullable=False),
        sa.Column("name", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("secret_enc", sa.LargeBinary(), nullable=True),
        sa.Column("xapi_version", sa.Text(), nullable=True),
        sa.Column("filters", postgresql.JSONB(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("paused", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", _TZ, server_default=_NOW, nullable=False),
        sa.Column("updated_at", _TZ, server_default=_NOW, nullable=False),
        sa.Column("lease_owner", sa.Text(), nullable=True),
        sa.Column("lease_until", _TZ, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", _TZ, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_delivered_at", _TZ, nullable=True),
        sa.Column("delivered", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("filtered", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("retried", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("dead", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fwd_targets"),
    )
    op.create_table(
        "fwd_queue",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("target_id", _UUID, nullable=False),
        sa.Column("seqs", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("created_at", _TZ, server_default=_NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["fwd_targets.id"],
            name="fk_fwd_queue_target_id_fwd_targets",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_fwd_queue"),
    )
    op.create_index("ix_fwd_queue_target_id_id", "fwd_queue", ["target_id", "id"])
    op.create_table(
        "fwd_dead_letters",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("target_id", _UUID, nullable=False),
        sa.Column("seqs", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", _TZ, server_default=_NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["fwd_targets.id"],
            name="fk_fwd_dead_letters_target_id_fwd_targets",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_fwd_dead_letters"),
    )
    op.create_index("ix_fwd_dead_letters_target_id_id", "fwd_dead_letters", ["target_id", "id"])
    op.create_table(
        "fwd_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("created_at", _TZ, server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fwd_key"),
    )


def downgrade() -> None:
    op.drop_table("fwd_key")
    op.drop_index("ix_fwd_dead_letters_target_id_id", table_name="fwd_dead_letters")
    op.drop_table("fwd_dead_letters")
    op.drop_index("ix_fwd_queue_target_id_id", table_name="fwd_queue")
    op.drop_table("fwd_queue")
    op.drop_table("fwd_targets")
