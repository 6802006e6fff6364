"""The HMAC key of `more` tokens (one row, made by the server on first use).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paging_key",
        sa.Column("id", sa.SmallInteger(), primary_key=True),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
        ),
        sa.CheckConstraint("id = 1", name="ck_paging_key_single"),
    )


def downgrade() -> None:
    op.drop_table("paging_key")
