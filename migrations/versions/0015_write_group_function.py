"""A group of one-statement writes becomes one command: `lrs_write_group`.

A one-statement POST was written in four round trips (BEGIN, the first read, the insert,
COMMIT), and each cost the server's event loop more than the database's work in it. This
function does the whole write of a group that needs nothing but inserts
(`lrs.services.group_write`): called outside any transaction, it runs in the implicit one
of its own command, committed before the answer comes back.

In order: the ingest lock (shared), then `stored` and Consistent-Through (as
`lrs_begin_write`); then the checks that decline the group, writing nothing, so that the
full write path takes it: a stored statement refers to one of `ids` (voiding and StatementRef
terms would apply), a credential to confirm is revoked or changed, an agent is new or
carries a name not yet recorded, an activity's canonical definition is not the version the
caller based the group on (`activity_versions`, the rows' `xmin`). Then the insert: the
statements with `stored` (and `timestamp`, when the statement had none) written into the
payloads, their query terms, and the writes of the standard ingest hooks: door and role tags
(from the roster, and `tags_json`, carried by the statements) and the forwarding outbox, as
`lrs.ext.storage.tags` and `lrs.storage.forwarding` write them in the full path.

Each command of a PL/pgSQL function takes its own snapshot, so the insert sees every roster
change that committed before the lock was granted (the rule of `INGEST_LOCK_KEY`).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION lrs_write_group(
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
                            || substr(p.payload, 2) AS jsonb)
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
    )


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION lrs_write_group(text[], bigint, text[], text[], text, text, text[], text,"
        " text[], text[], text[], text[])"
    )
