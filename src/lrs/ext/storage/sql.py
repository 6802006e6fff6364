"""SQL fragments shared by the tag, query, export and summary statements.

`EFFECTIVE_TAGS` resolves a statement's door and role per field in the order explicit >
statement > roster; `TAG_SOURCE` names where they came from; `DOCUMENT` is the statement's
payload as jsonb, ``sp.doc``, parsed once per row. Migration 0016 carries a frozen copy of
these in the ``ext_bi_statements`` view (a test checks the two agree).
"""

from __future__ import annotations

EFFECTIVE_TAGS = """
    LEFT JOIN LATERAL (
        SELECT (array_agg(x.door ORDER BY x.rank) FILTER (WHERE x.door IS NOT NULL))[1] AS door,
               (array_agg(x.source ORDER BY x.rank)
                    FILTER (WHERE x.door IS NOT NULL))[1] AS door_source,
               (array_agg(x.role ORDER BY x.rank) FILTER (WHERE x.role IS NOT NULL))[1] AS role,
               (array_agg(x.source ORDER BY x.rank)
                    FILTER (WHERE x.role IS NOT NULL))[1] AS role_source
        FROM (SELECT t.door, t.role, t.source,
                     CASE t.source WHEN 'explicit' THEN 1 WHEN 'statement' THEN 2 ELSE 3 END
                         AS rank
              FROM ext_tags t WHERE t.seq = s.seq) AS x
    ) AS tag ON true
"""

# One source when both fields share it (or only one is set), else "<door's>+<role's>".
TAG_SOURCE = """
    CASE WHEN tag.door_source IS NULL THEN tag.role_source
         WHEN tag.role_source IS NULL OR tag.role_source = tag.door_source THEN tag.door_source
         ELSE tag.door_source || '+' || tag.role_source END
"""

# The payload is stored as JSON text (migration 0016): what reads inside it joins this and
# reads `sp.doc`. `OFFSET 0` keeps the planner from inlining the cast into each reference,
# which would parse the text once per field read.
DOCUMENT = "CROSS JOIN LATERAL (SELECT CAST(s.payload AS jsonb) AS doc OFFSET 0) AS sp"

# RFC 2104 HMAC-SHA256 of the actor's IFI key from the stored pads (see lrs.ext.rules.pseudonyms).
PSEUDONYM = (
    "encode(sha256(k.outer_pad || sha256(k.inner_pad || convert_to(s.actor_key, 'UTF8'))), 'hex')"
)

# Only forms PostgreSQL's interval input reads; anything else exports as NULL rather than
# aborting a stream half way.
_DURATION_RE = (
    r"^P(\d{1,9}(\.\d{1,9})?Y)?(\d{1,9}(\.\d{1,9})?M)?(\d{1,9}(\.\d{1,9})?W)?"
    r"(\d{1,9}(\.\d{1,9})?D)?(T(\d{1,9}(\.\d{1,9})?H)?(\d{1,9}(\.\d{1,9})?M)?"
    r"(\d{1,9}(\.\d{1,9})?S)?)?$"
)
DURATION_S = f"""
    CASE WHEN sp.doc->'result'->>'duration' ~ '{_DURATION_RE}'
              AND sp.doc->'result'->>'duration' NOT IN ('P', 'PT')
              AND right(sp.doc->'result'->>'duration', 1) <> 'T'
         THEN extract(epoch FROM CAST(sp.doc->'result'->>'duration' AS interval))::float8
    END
"""


def export_select(actor: str) -> str:
    """The export's columns, in the order the issue fixes, over ``statements s`` with the
    activity definition ``a``, the pseudonym key ``k`` and the effective tags ``tag``; a last
    column, ``seq``, is the keyset position (with ``stored``) and not part of the export."""
    return f"""
    SELECT s.id::text AS statement_id,
           s.stored AS stored,
           s.timestamp AS timestamp,
           {actor} AS actor_key,
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
           {DURATION_S} AS duration_s,
           tag.door AS door,
           tag.role AS role,
           {TAG_SOURCE} AS tag_source,
           s.seq AS seq
    FROM statements s
         {DOCUMENT}
         LEFT JOIN activities a ON a.activity_id = s.object_activity_id
         LEFT JOIN ext_pseudonym_key k ON k.id = 1
         {EFFECTIVE_TAGS}
    WHERE NOT s.voided AND NOT s.is_voiding
    """  # noqa: S608 (fixed fragments only)
