"""Statement payloads are stored as JSON text, no longer as jsonb.

The LRS parses and validates every statement before it stores it, and serves it back as
stored (format=exact), so the database never needed the payload's structure on the paths
that run all the time: a write parsed the text into jsonb (and compressed the jsonb, which
compresses worse and slower than the text), and every read turned it back into text.
Measured with realistic statements (bench/RESULTS.md, fifteenth round): inserting 20,000
payloads 23.5 -> 13 us each, a query page of 100 at 1M statements 1.0 -> 0.44 ms (the
command's round trip), the table 25% smaller.

What reads inside the payload (the BI views, the attachments view, service proof's rebuild,
forwarding's filters) casts it to jsonb once per row, in a LATERAL subquery (`OFFSET 0`
keeps it from being inlined into each reference): with the nine fields of
``ext_bi_statements`` that is cheaper than jsonb was, which detoasted the column once per
field.

The column's type cannot change under the views that read it, so those are first replaced by
placeholders of the same columns (`CREATE OR REPLACE VIEW` keeps their grants to BI roles),
then defined again over the text. The table is rewritten once, under an exclusive lock for
the time it takes (28 s for 1,026,200 statements on a 2-CPU machine).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# The views that read the payload; ext_bi_door_week reads ext_door_week_actors' columns only.
_VIEWS = ("ext_bi_statements", "ext_door_week_actors", "statement_attachments")

# A view replaced by one with the same columns, each NULL: nothing depends on the payload.
_PLACEHOLDER = """
    DO $$
    DECLARE
        columns text;
    BEGIN
        SELECT string_agg(format('CAST(NULL AS %s) AS %I',
                                 format_type(atttypid, atttypmod), attname),
                          ', ' ORDER BY attnum)
        INTO columns
        FROM pg_attribute
        WHERE attrelid = CAST('VIEW_NAME' AS regclass) AND attnum > 0 AND NOT attisdropped;
        EXECUTE format('CREATE OR REPLACE VIEW %I AS SELECT %s', 'VIEW_NAME', columns);
    END $$
    """

# The export's columns (`lrs.ext.storage.sql.export_select` is the live copy).
BI_VIEW = r"""
CREATE OR REPLACE VIEW ext_bi_statements AS
SELECT s.id::text AS statement_id,
       s.stored AS stored,
       s.timestamp AS timestamp,
       encode(sha256(k.outer_pad
                     || sha256(k.inner_pad || convert_to(s.actor_key, 'UTF8'))), 'hex')
           AS actor_key,
       s.verb_id AS verb_id,
       coalesce(sp.doc->'verb'->'display'->>'en-US',
                sp.doc->'verb'->'display'->>'en',
                (SELECT d.value FROM jsonb_each_text(sp.doc->'verb'->'display') AS d
                 ORDER BY d.key LIMIT 1)) AS verb_display,
       sp.doc->'object'->>'id' AS object_id,
       coalesce(sp.doc->'object'->>'objectType', 'Activity') AS object_type,
       coalesce(sp.doc->'object'->'definition'->>'type', a.definition->>'type')
           AS activity_type,
       s.registration::text AS registration,
       CAST(sp.doc->'result'->>'success' AS boolean) AS success,
       CAST(sp.doc->'result'->>'completion' AS boolean) AS completion,
       CAST(sp.doc->'result'->'score'->>'scaled' AS float8) AS score_scaled,
       CAST(sp.doc->'result'->'score'->>'raw' AS float8) AS score_raw,
       CASE WHEN sp.doc->'result'->>'duration'
                 ~ '^P(\d{1,9}(\.\d{1,9})?Y)?(\d{1,9}(\.\d{1,9})?M)?'
                   '(\d{1,9}(\.\d{1,9})?W)?(\d{1,9}(\.\d{1,9})?D)?'
                   '(T(\d{1,9}(\.\d{1,9})?H)?(\d{1,9}(\.\d{1,9})?M)?(\d{1,9}(\.\d{1,9})?S)?)?$'
                 AND sp.doc->'result'->>'duration' NOT IN ('P', 'PT')
                 AND right(sp.doc->'result'->>'duration', 1) <> 'T'
            THEN extract(epoch FROM CAST(sp.doc->'result'->>'duration' AS interval))::float8
       END AS duration_s,
       tag.door AS door,
       tag.role AS role,
       CASE WHEN tag.door_source IS NULL THEN tag.role_source
            WHEN tag.role_source IS NULL OR tag.role_source = tag.door_source
                THEN tag.door_source
            ELSE tag.door_source || '+' || tag.role_source END AS tag_source
FROM statements s
     CROSS JOIN LATERAL (SELECT CAST(s.payload AS jsonb) AS doc OFFSET 0) AS sp
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

ACTORS_VIEW = r"""
CREATE OR REPLACE VIEW ext_door_week_actors AS
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
           CASE WHEN sp.doc->'result'->>'completion' = 'true' THEN 1 ELSE 0 END,
           CASE WHEN sp.doc->'result'->>'success' = 'true' THEN 1 ELSE 0 END,
           CASE WHEN (s.verb_id = ANY(cfg.verbs)
                      OR coalesce(sp.doc->'object'->'definition'->>'type',
                                  act.definition->>'type') = ANY(cfg.types))
                     AND sp.doc->'result'->>'duration'
                         ~ '^P(\d{1,9}(\.\d{1,9})?Y)?(\d{1,9}(\.\d{1,9})?M)?'
                           '(\d{1,9}(\.\d{1,9})?W)?(\d{1,9}(\.\d{1,9})?D)?'
                           '(T(\d{1,9}(\.\d{1,9})?H)?(\d{1,9}(\.\d{1,9})?M)?'
                           '(\d{1,9}(\.\d{1,9})?S)?)?$'
                     AND sp.doc->'result'->>'duration' NOT IN ('P', 'PT')
                     AND right(sp.doc->'result'->>'duration', 1) <> 'T'
                THEN extract(epoch FROM CAST(sp.doc->'result'->>'duration' AS interval))
                     ::float8
                ELSE 0 END
    FROM statements s
         CROSS JOIN LATERAL (SELECT CAST(s.payload AS jsonb) AS doc OFFSET 0) AS sp
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

# A statement without the text "attachments" has none: most are skipped before any parse.
ATTACHMENTS_VIEW = """
CREATE OR REPLACE VIEW statement_attachments AS
SELECT s.seq, s.stored, a.sha2
FROM statements s
     CROSS JOIN LATERAL (SELECT CAST(s.payload AS jsonb) AS doc OFFSET 0) AS sp,
     LATERAL (
         SELECT jsonb_path_query(sp.doc, 'lax $.attachments[*].sha2') #>> '{}' AS sha2
         UNION ALL
         SELECT jsonb_path_query(sp.doc, 'lax $.object.attachments[*].sha2') #>> '{}'
     ) AS a
WHERE strpos(CAST(s.payload AS text), '"attachments"') > 0
  AND (sp.doc ? 'attachments' OR sp.doc->'object' ? 'attachments')
"""

# `lrs_write_group` of migration 0015, writing the payload it assembles as PAYLOAD_TYPE.
WRITE_GROUP_FUNCTION = """
CREATE OR REPLACE FUNCTION lrs_write_group(
    ids text[], lock_key bigint, check_keys text[], check_versions text[],
    rows_json text, terms_json text, payloads text[], tags_json text,
    agent_keys text[], agent_names text[], activity_ids text[], activity_versions text[]
)
RETURNS TABLE (written boolean, through_at timestamptz, seqs_json text)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
DECLARE
    stored_at timestamptz;
    stored_text text;
    through timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(lock_key);
    stored_at := clock_timestamp();
    through := least(now(), coalesce(
        (SELECT min(a.xact_start) FROM pg_stat_get_activity(NULL) AS a
         WHERE a.datid = (SELECT oid FROM pg_database
                          WHERE datname = current_database())
           AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
           AND a.xact_start IS NOT NULL),
        now()));
    IF EXISTS (SELECT 1 FROM statements AS s
               WHERE s.statement_ref_id = ANY(CAST(ids AS uuid[])))
       OR (SELECT count(*) FROM credentials AS c
           JOIN unnest(check_keys, check_versions) AS k(key, version)
                ON c.key = k.key AND c.xmin::text = k.version
           WHERE c.revoked_at IS NULL) <> cardinality(check_keys)
       OR EXISTS (SELECT 1 FROM unnest(agent_keys, agent_names) AS w(key, names)
                  LEFT JOIN agents AS a ON a.ifi_key = w.key
                  WHERE a.ifi_key IS NULL
                     OR NOT a.names @> ARRAY(
                         SELECT jsonb_array_elements_text(CAST(w.names AS jsonb))))
       OR EXISTS (SELECT 1 FROM unnest(activity_ids, activity_versions) AS w(id, version)
                  LEFT JOIN activities AS a ON a.activity_id = w.id
                  WHERE a.activity_id IS NULL OR a.xmin::text <> w.version)
    THEN
        RETURN QUERY SELECT false, through, NULL::text;
        RETURN;
    END IF;
    stored_text := to_char(stored_at AT TIME ZONE 'UTC',
                           'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    RETURN QUERY
    WITH new AS (
        INSERT INTO statements (id, stored, timestamp, verb_id, actor_key,
                                object_activity_id, registration, statement_ref_id,
                                is_voiding, voided, authority_key, version, payload)
        SELECT r.id, stored_at, coalesce(r.timestamp, stored_at), r.verb_id,
               r.actor_key, r.object_activity_id, r.registration, NULL, false, false,
               r.authority_key, r.version,
               CAST('{"stored":"' || stored_text || '",'
                    || CASE WHEN r.timestamp IS NULL
                            THEN '"timestamp":"' || stored_text || '",' ELSE '' END
                    || substr(p.payload, 2) AS PAYLOAD_TYPE)
        FROM jsonb_to_recordset(CAST(rows_json AS jsonb)) AS r(
            n integer, id uuid, timestamp timestamptz, verb_id text, actor_key text,
            object_activity_id text, registration uuid, authority_key text,
            version text)
             JOIN unnest(payloads) WITH ORDINALITY AS p(payload, k) ON p.k = r.n + 1
        ORDER BY r.n
        ON CONFLICT (id) DO NOTHING
        RETURNING statements.id, statements.seq, statements.stored,
                  statements.actor_key, statements.timestamp,
                  hashtextextended(statements.verb_id, 0) AS verb_key
    ), terms AS (
        INSERT INTO statement_terms (term, stored, seq, verb_key)
        SELECT t.term, new.stored, new.seq, new.verb_key
        FROM jsonb_to_recordset(CAST(terms_json AS jsonb)) AS t(id uuid, term text)
             JOIN new ON new.id = t.id
    ), roster_tags AS (
        INSERT INTO ext_tags (seq, source, door, role)
        SELECT DISTINCT ON (new.seq) new.seq, 'roster', a.door, a.role
        FROM new
             JOIN ext_roster a ON a.actor_key = new.actor_key
                              AND a.valid_from <= new.timestamp
                              AND (a.valid_to IS NULL OR new.timestamp < a.valid_to)
        ORDER BY new.seq, a.valid_from DESC
        ON CONFLICT (seq, source) DO NOTHING
    ), carried_tags AS (
        INSERT INTO ext_tags (seq, source, door, role)
        SELECT new.seq, 'statement', d.id, r.id
        FROM jsonb_to_recordset(CAST(tags_json AS jsonb))
                 AS n(id uuid, door text, role text)
             JOIN new ON new.id = n.id
             LEFT JOIN ext_doors d ON d.id = n.door
             LEFT JOIN ext_roles r ON r.id = n.role
        WHERE d.id IS NOT NULL OR r.id IS NOT NULL
        ORDER BY new.seq
        ON CONFLICT (seq, source) DO NOTHING
    ), outbox AS (
        INSERT INTO fwd_queue (target_id, seqs)
        SELECT f.id, w.seqs
        FROM fwd_targets f, (SELECT array_agg(seq ORDER BY seq) AS seqs FROM new) w
        WHERE w.seqs IS NOT NULL
    )
    SELECT true, through,
           (SELECT coalesce(jsonb_object_agg(new.id::text, new.seq), '{}'::jsonb)
            FROM new)::text;
END $$
"""

# `lrs_begin_write` of migration 0012, reading stored payloads as jsonb whatever their type.
BEGIN_WRITE_FUNCTION = """
CREATE OR REPLACE FUNCTION lrs_begin_write(
    ids text[], lock_key bigint, check_keys text[], check_versions text[]
)
RETURNS TABLE (
    stored_at timestamptz, through_at timestamptz, existing_json text,
    referenced_json text, confirmed bigint[]
)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(lock_key);
    RETURN QUERY SELECT
        clock_timestamp(),
        least(now(), coalesce(
            (SELECT min(a.xact_start) FROM pg_stat_get_activity(NULL) AS a
             WHERE a.datid = (SELECT oid FROM pg_database
                              WHERE datname = current_database())
               AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
               AND a.xact_start IS NOT NULL),
            now())),
        (SELECT coalesce(jsonb_object_agg(s.id::text, CAST(s.payload AS jsonb)), '{}'::jsonb)
         FROM statements AS s WHERE s.id = ANY(CAST(ids AS uuid[])))::text,
        (SELECT coalesce(jsonb_object_agg(r.ref, r.voiding), '{}'::jsonb)
         FROM (SELECT s.statement_ref_id::text AS ref, bool_or(s.is_voiding) AS voiding
               FROM statements AS s
               WHERE s.statement_ref_id = ANY(CAST(ids AS uuid[]))
               GROUP BY s.statement_ref_id) AS r)::text,
        (SELECT coalesce(array_agg(k.n), '{}') FROM credentials AS c
         JOIN unnest(check_keys, check_versions) WITH ORDINALITY AS k(key, version, n)
              ON c.key = k.key AND c.xmin::text = k.version
         WHERE c.revoked_at IS NULL);
END $$
"""


def _retype(column_type: str) -> None:
    for view in _VIEWS:
        op.execute(_PLACEHOLDER.replace("VIEW_NAME", view))
    op.execute(
        f"ALTER TABLE statements ALTER COLUMN payload TYPE {column_type} "
        f"USING CAST(payload AS {column_type})"
    )
    for view in (BI_VIEW, ACTORS_VIEW, ATTACHMENTS_VIEW):
        op.execute(view)
    op.execute(WRITE_GROUP_FUNCTION.replace("PAYLOAD_TYPE", column_type))
    op.execute(BEGIN_WRITE_FUNCTION)


def upgrade() -> None:
    _retype("text")


def downgrade() -> None:
    _retype("jsonb")
