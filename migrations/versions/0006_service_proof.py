"""Service proof: business hours and holidays on doors, rules, and the service-case index.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ext_doors", sa.Column("opening_hours", sa.Text(), nullable=True))
    op.add_column("ext_doors", sa.Column("holidays_country", sa.Text(), nullable=True))
    op.add_column("ext_doors", sa.Column("holidays_region", sa.Text(), nullable=True))
    op.create_table(
        "service_proof_rules",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("body", JSONB(), nullable=False),
        sa.Column(
            "updated", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
        ),
        sa.PrimaryKeyConstraint("id", name="pk_service_proof_rules"),
    )
    op.create_table(
        "service_proof_events",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("registration", UUID(as_uuid=False), nullable=False),
        sa.Column("verb_id", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activity_id", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["seq"],
            ["statements.seq"],
            name="fk_service_proof_events_seq_statements",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name="pk_service_proof_events"),
    )
    op.create_index(
        "ix_service_proof_events_registration", "service_proof_events", ["registration"]
    )
    op.create_index(
        "ix_service_proof_events_verb_id_timestamp",
        "service_proof_events",
        ["verb_id", "timestamp"],
    )


def downgrade() -> None:
    op.drop_table("service_proof_events")
    op.drop_table("service_proof_rules")
    op.drop_column("ext_doors", "holidays_region")
    op.drop_column("ext_doors", "holidays_country")
    op.drop_column("ext_doors", "opening_hours")
