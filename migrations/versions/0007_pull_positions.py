"""`lrs pull` resume positions: one row per source LRS.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pull_positions",
        sa.Column("source", sa.Text(), primary_key=True),
        sa.Column("last_stored", _TZ, nullable=False),
        sa.Column("last_id", sa.Text(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("updated", _TZ, nullable=False, server_default=sa.text("now()")),
    )


def downgrade() -> None:
    op.drop_table("pull_positions")
