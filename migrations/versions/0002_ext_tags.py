"""Door and role tagging: registry, roster, tags beside statements, the pseudonym key and
the read-only BI view ``ext_bi_statements``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_NOW = sa.text("now()")

# The export's columns, one row per statement (voided and voiding statements left out), the
# actor as its HMAC-SHA256 pseudonym. Grant SELECT on this view, not on the tables, to BI.
BI_VIEW = r"""
CREATE VIEW ext_bi_statements AS
SELECT s.id::text AS statement_id,
       s.stored AS stored,
       s.timestamp AS timestamp,
       encode(sha256(k.outer_pad
                     || sha256(k.inner_pad || convert_to(s.actor_key, 'UTF8'))), 'hex')
           AS actor_key,
       s.verb_id AS verb_id,
       coalesce(s.payload->'verb'->'display'->>'en-US',
                s.payload->'verb'->'display'->>'en',
                (SELECT d.value FROM jsonb_each_text(s.payload->'verb'->'display') AS d
                 ORDER BY d.key LIMIT 1)) AS verb_display,
       s.payload->'object'->>'id' AS object_id,
       coalesce(s.payload->'object'->>'objectType', 'Activity') AS object_type,
       coalesce(s.payload->'object'->'definition'->>'type', a.definition->>'type')
           AS activity_type,
       s.registration::text AS registration,
       CAST(s.payload->'result'->>'success' AS boolean) AS success,
       CAST(s.payload->'result'->>'completion' AS boolean) AS completion,
       CAST(s.payload->'result'->'score'->>'scaled' AS float8) AS score_scaled,
       CAST(s.payload->'result'->'score'->>'raw' AS float8) AS score_raw,
       CASE WHEN s.payload->'result'->>'duration'
                 ~ '^P(\d{1,9}(\.\d{1,9})?Y)?(\d{1,9}(\.\d{1,9})?M)?'
                   '(\d{1,9}(\.\d{1,9})?W)?(\d{1,9}(\.\d{1,9})?D)?'
                   '(T(\d{1,9}(\.\d{1,9})?H)?(\d{1,9}(\.\d{1,9})?M)?(\d{1,9}(\.\d{1,9})?S)?)?$'
                 AND s.payload->'result'->>'duration' NOT IN ('P', 'PT')
                 AND right(s.payload->'result'->>'duration', 1) <> 'T'
            THEN extract(epoch FROM CAST(s.payload->'result'->>'duration' AS interval))::float8
       END AS duration_s,
       tag.door AS door,
       tag.role AS role,
       CASE WHEN tag.door_source IS NULL THEN tag.role_source
            WHEN tag.role_source IS NULL OR tag.role_source = tag.door_source
                THEN tag.door_source
            ELSE tag.door_source || '+' || tag.role_source END AS tag_source
FROM statements s
     LEFT JOIN activities a ON a.activity_id = s.object_activity_id
     LEFT JOIN ext_pseudonym_key k ON k.id = 1
     LEFT JOIN LATERAL (
         SELECT (array_agg(x.door ORDER BY x.rank)
                     FILTER (WHERE x.door IS NOT NULL))[1] AS door,
                (array_agg(x.source ORDER BY x.rank)
                     FILTER (WHERE x.door IS NOT NULL))[1] AS door_source,
                (array_agg(x.role ORDER BY x.rank)
                     FILTER (WHERE x.role IS NOT NULL))[1] AS role,
                (array_agg(x.source ORDER BY x.rank)
                     FILTER (WHERE x.role IS NOT NULL))[1] AS role_source
         FROM (SELECT t.door, t.role, t.source,
                      CASE t.source WHEN 'explicit' THEN 1 WHEN 'statement' THEN 2 ELSE 3 END
                          AS rank
               FROM ext_tags t WHERE t.seq = s.seq) AS x
     ) AS tag ON true
WHERE NOT s.voided AND NOT s.is_voiding
"""


def upgrade() -> None:
    op.create_table(
        "ext_doors",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("region", sa.Text, nullable=True),
        sa.Column("format", sa.Text, nullable=True),
        sa.Column("timezone", sa.Text, server_default=sa.text("'UTC'"), nullable=False),
        sa.Column("active", sa.Boolean, server_default=sa.text("true"), nullable=False),
        sa.Column("updated", _TZ, server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ext_doors"),
    )
    op.create_table(
        "ext_roles",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, server_default=sa.text("true"), nullable=False),
        sa.Column("updated", _TZ, server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ext_roles"),
    )
    op.create_table(
        "ext_roster",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("actor_key", sa.Text, nullable=False),
        sa.Column("door", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("valid_from", _TZ, nullable=False),
        sa.Column("valid_to", _TZ, nullable=True),
        sa.Column("updated", _TZ, server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ext_roster"),
        sa.ForeignKeyConstraint(["door"], ["ext_doors.id"], name="fk_ext_roster_door_ext_doors"),
        sa.ForeignKeyConstraint(["role"], ["ext_roles.id"], name="fk_ext_roster_role_ext_roles"),
        sa.UniqueConstraint("actor_key", "valid_from", name="uq_ext_roster_actor_key_valid_from"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="ck_ext_roster_range"),
    )
    op.create_table(
        "ext_tags",
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("door", sa.Text, nullable=True),
        sa.Column("role", sa.Text, nullable=True),
        sa.Column("tagged_at", _TZ, server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("seq", "source", name="pk_ext_tags"),
        sa.ForeignKeyConstraint(
            ["seq"], ["statements.seq"], name="fk_ext_tags_seq_statements", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["door"], ["ext_doors.id"], name="fk_ext_tags_door_ext_doors"),
        sa.ForeignKeyConstraint(["role"], ["ext_roles.id"], name="fk_ext_tags_role_ext_roles"),
        sa.CheckConstraint(
            "source IN ('explicit', 'statement', 'roster')", name="ck_ext_tags_source"
        ),
    )
    op.create_index("ix_ext_tags_door", "ext_tags", ["door"])
    op.create_index("ix_ext_tags_role", "ext_tags", ["role"])
    op.create_table(
        "ext_pseudonym_key",
        sa.Column("id", sa.SmallInteger, nullable=False),
        sa.Column("inner_pad", sa.LargeBinary, nullable=False),
        sa.Column("outer_pad", sa.LargeBinary, nullable=False),
        sa.Column("from_setting", sa.Boolean, nullable=False),
        sa.Column("updated", _TZ, server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ext_pseudonym_key"),
        sa.CheckConstraint("id = 1", name="ck_ext_pseudonym_key_single"),
    )
    op.execute(BI_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS ext_bi_statements")
    for table in ("ext_pseudonym_key", "ext_tags", "ext_roster", "ext_roles", "ext_doors"):
        op.drop_table(table)
