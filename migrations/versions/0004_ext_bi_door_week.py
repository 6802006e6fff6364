"""BI data products: KPIs by door and period, the BI settings row, and the views
``ext_bi_assignments`` and ``ext_bi_door_week`` beside ``ext_bi_statements``.

``ext_door_week_actors`` is the one definition of the door-week facts at the grain of one
actor in one door, role and ISO week (in the door's timezone); it names actors by their IFI
key and is never granted to BI. The API aggregates it (``lrs.ext.storage.bi``) and so does
``ext_bi_door_week``, which suppresses small groups (README "No one named").

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_NOW = sa.text("now()")

# The pseudonym of ext_bi_statements (RFC 2104 HMAC-SHA256 from the stored pads).
_PSEUDONYM = (
    "encode(sha256(k.outer_pad || sha256(k.inner_pad || convert_to(r.actor_key, 'UTF8'))), 'hex')"
)

ASSIGNMENTS_VIEW = f"""
CREATE VIEW ext_bi_assignments AS
SELECT {_PSEUDONYM} AS actor_key,
       r.door AS door,
       r.role AS role,
       r.valid_from AS valid_from,
       r.valid_to AS valid_to,
       (min(r.valid_from) OVER (PARTITION BY r.actor_key, r.role)
            AT TIME ZONE d.timezone)::date AS tenure_start
FROM ext_roster r
     JOIN ext_doors d ON d.id = r.door
     LEFT JOIN ext_pseudonym_key k ON k.id = 1
"""  # noqa: S608 (fixed text)

# One row per (door, role, ISO week at the door, actor): rostered when an assignment overlaps
# the week (a move mid-week counts at both doors), and the actor's statements that week
# tagged with that door and role. Weeks of an open assignment run to the current week.
ACTORS_VIEW = r"""
CREATE VIEW ext_door_week_actors AS
WITH cfg AS (
    SELECT coalesce((SELECT coaching_verbs FROM ext_bi_config WHERE id = 1), '{}') AS verbs,
           coalesce((SELECT coaching_types FROM ext_bi_config WHERE id = 1), '{}') AS types
),
-- The effective door and role of every tagged statement (explicit > statement > roster),
-- resolved in one grouped pass rather than per statement.
tag AS (
    SELECT t.seq,
           (array_agg(t.door ORDER BY t.rank) FILTER (WHERE t.door IS NOT NULL))[1] AS door,
           (array_agg(t.role ORDER BY t.rank) FILTER (WHERE t.role IS NOT NULL))[1] AS role
    FROM (SELECT seq, door, role,
                 CASE source WHEN 'explicit' THEN 1 WHEN 'statement' THEN 2 ELSE 3 END AS rank
          FROM ext_tags) AS t
    GROUP BY t.seq
),
assignment AS (
    SELECT r.actor_key, r.door, r.role, r.valid_from, r.valid_to, d.timezone AS tz,
           (min(r.valid_from) OVER (PARTITION BY r.actor_key, r.role)
                AT TIME ZONE d.timezone)::date AS tenure_start
    FROM ext_roster r JOIN ext_doors d ON d.id = r.door
),
facts AS (
    SELECT a.door, a.role, CAST(w AS date) AS week_start, a.actor_key, true AS rostered,
           a.tenure_start, 0 AS statements, 0 AS completions, 0 AS passes,
           CAST(0 AS float8) AS activity_s
    FROM assignment a,
         generate_series(
             date_trunc('week', a.valid_from AT TIME ZONE a.tz),
             date_trunc('week', (coalesce(a.valid_to, now()) - interval '1 microsecond')
                                AT TIME ZONE a.tz),
             interval '7 days') AS w
    UNION ALL
    SELECT tag.door, tag.role,
           CAST(date_trunc('week', s.timestamp AT TIME ZONE d.timezone) AS date),
           s.actor_key, false, NULL,
           1,
           CASE WHEN s.payload->'result'->>'completion' = 'true' THEN 1 ELSE 0 END,
           CASE WHEN s.payload->'result'->>'success' = 'true' THEN 1 ELSE 0 END,
           CASE WHEN (s.verb_id = ANY(cfg.verbs)
                      OR coalesce(s.payload->'object'->'definition'->>'type',
                                  act.definition->>'type') = ANY(cfg.types))
                     AND s.payload->'result'->>'duration'
                         ~ '^P(\d{1,9}(\.\d{1,9})?Y)?(\d{1,9}(\.\d{1,9})?M)?'
                           '(\d{1,9}(\.\d{1,9})?W)?(\d{1,9}(\.\d{1,9})?D)?'
                           '(T(\d{1,9}(\.\d{1,9})?H)?(\d{1,9}(\.\d{1,9})?M)?'
                           '(\d{1,9}(\.\d{1,9})?S)?)?$'
                     AND s.payload->'result'->>'duration' NOT IN ('P', 'PT')
                     AND right(s.payload->'result'->>'duration', 1) <> 'T'
                THEN extract(epoch FROM CAST(s.payload->'result'->>'duration' AS interval))
                     ::float8
                ELSE 0 END
    FROM statements s
         CROSS JOIN cfg
         LEFT JOIN activities act ON act.activity_id = s.object_activity_id
         JOIN tag ON tag.seq = s.seq
         JOIN ext_doors d ON d.id = tag.door
    WHERE NOT s.voided AND NOT s.is_voiding AND tag.role IS NOT NULL
)
SELECT door, role, week_start, actor_key,
       bool_or(rostered) AS rostered,
       min(tenure_start) AS tenure_start,
       CAST(sum(statements) AS bigint) AS statements,
       CAST(sum(completions) AS bigint) AS completions,
       CAST(sum(passes) AS bigint) AS passes,
       sum(activity_s) AS activity_s
FROM facts
GROUP BY door, role, week_start, actor_key
"""

# Door-week facts with the primary suppression (fewer distinct learners than the setting)
# and one complementary cell per door and week, plus the door's weekly KPIs as JSON.
DOOR_WEEK_VIEW = """
CREATE VIEW ext_bi_door_week AS
WITH cfg AS (
    SELECT coalesce((SELECT min_group_size FROM ext_bi_config WHERE id = 1), 5) AS k
),
cell AS (
    SELECT door, role, week_start,
           count(*) AS learners,
           count(*) FILTER (WHERE rostered) AS headcount,
           count(*) FILTER (WHERE statements > 0) AS active_learners,
           count(*) FILTER (WHERE rostered AND statements > 0) AS practiced,
           sum(statements) AS statements, sum(completions) AS completions,
           sum(passes) AS passes, sum(activity_s) / 60.0 AS activity_minutes
    FROM ext_door_week_actors
    GROUP BY door, role, week_start
),
primary_rule AS (
    SELECT c.*, c.learners < cfg.k AS small, cfg.k FROM cell c CROSS JOIN cfg
),
ranked AS (
    SELECT p.*,
           count(*) FILTER (WHERE small) OVER (PARTITION BY door, week_start) AS n_small,
           coalesce(sum(learners) FILTER (WHERE small)
                        OVER (PARTITION BY door, week_start), 0) AS small_learners,
           row_number() OVER (PARTITION BY door, week_start, small ORDER BY learners, role)
               AS rank_in_kind
    FROM primary_rule p
),
judged AS (
    SELECT r.*,
           CASE WHEN small THEN 'min_group_size'
                WHEN n_small > 0 AND (n_small = 1 OR small_learners < k) AND rank_in_kind = 1
                    THEN 'complementary' END AS suppressed
    FROM ranked r
),
weekly_kpi AS (
    SELECT door, week_start, jsonb_object_agg(metric, value ORDER BY metric) AS kpis
    FROM (SELECT door, CAST(date_trunc('week', period_start) AS date) AS week_start, metric,
                 CASE WHEN bool_or(aggregate = 'mean') THEN avg(value) ELSE sum(value) END
                     AS value
          FROM ext_kpis WHERE period IN ('day', 'week')
          GROUP BY 1, 2, 3) AS m
    GROUP BY door, week_start
)
SELECT j.door AS door,
       j.role AS role,
       to_char(j.week_start, 'IYYY-"W"IW') AS week,
       j.week_start AS week_start,
       CASE WHEN j.suppressed IS NULL THEN j.headcount END AS headcount,
       CASE WHEN j.suppressed IS NULL THEN j.active_learners END AS active_learners,
       CASE WHEN j.suppressed IS NULL AND j.headcount > 0
            THEN round(j.practiced::numeric / j.headcount, 4)::float8 END AS practice_rate,
       CASE WHEN j.suppressed IS NULL THEN j.statements END AS statements,
       CASE WHEN j.suppressed IS NULL THEN j.completions END AS completions,
       CASE WHEN j.suppressed IS NULL THEN j.passes END AS passes,
       CASE WHEN j.suppressed IS NULL THEN round(j.activity_minutes::numeric, 2)::float8 END
           AS activity_minutes,
       j.suppressed AS suppressed,
       w.kpis AS kpis
FROM judged j
     LEFT JOIN weekly_kpi w ON w.door = j.door AND w.week_start = j.week_start
"""


def upgrade() -> None:
    op.create_table(
        "ext_kpis",
        sa.Column("door", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("metric", sa.Text, nullable=False),
        sa.Column("value", sa.Float(precision=53), nullable=False),
        sa.Column("aggregate", sa.Text, nullable=False),
        sa.Column("updated", _TZ, server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("door", "period", "period_start", "metric", name="pk_ext_kpis"),
        sa.ForeignKeyConstraint(["door"], ["ext_doors.id"], name="fk_ext_kpis_door_ext_doors"),
        sa.CheckConstraint("period IN ('day', 'week', 'month')", name="ck_ext_kpis_period"),
        sa.CheckConstraint("aggregate IN ('sum', 'mean')", name="ck_ext_kpis_aggregate"),
    )
    op.create_index("ix_ext_kpis_metric", "ext_kpis", ["metric"])
    op.create_table(
        "ext_bi_config",
        sa.Column("id", sa.SmallInteger, nullable=False),
        sa.Column("min_group_size", sa.Integer, nullable=False),
        sa.Column("coaching_verbs", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("coaching_types", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("updated", _TZ, server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ext_bi_config"),
        sa.CheckConstraint("id = 1", name="ck_ext_bi_config_single"),
    )
    op.execute(ASSIGNMENTS_VIEW)
    op.execute(ACTORS_VIEW)
    op.execute(DOOR_WEEK_VIEW)


def downgrade() -> None:
    for view in ("ext_bi_door_week", "ext_door_week_actors", "ext_bi_assignments"):
        op.execute(f"DROP VIEW IF EXISTS {view}")
    op.drop_table("ext_bi_config")
    op.drop_index("ix_ext_kpis_metric", table_name="ext_kpis")
    op.drop_table("ext_kpis")
