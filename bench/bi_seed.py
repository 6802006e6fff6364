"""Seed a migrated lrs database with a BI-sized retail dataset, straight in SQL.

``python -m bench.bi_seed DSN [--statements N] [--doors D] [--people P] [--weeks W]``

Doors in four timezones, six roles, one assignment per person (a tenth move to another door
half way), N statements spread over W weeks from 2025-01-06, each tagged from the roster as
ingest would (``ext_tags`` source ``roster``); a tenth are coaching statements with a
duration, a third completions. Weekly conversion KPIs per door. It writes rows the way the
import would leave them for the BI queries (not the statement_terms index of xAPI queries),
so that a million statements take minutes, not the better part of an hour.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

import asyncpg

ZONES = ["Europe/Paris", "America/New_York", "Europe/London", "Asia/Tokyo"]
ROLES = ["advisor", "cashier", "manager", "stock", "visual", "tailor"]
START = datetime(2025, 1, 6, 8, tzinfo=UTC)

_DOORS = """
INSERT INTO ext_doors (id, name, timezone)
SELECT 'D' || lpad(i::text, 4, '0'), 'Door ' || i, ($2::text[])[1 + i % 4]
FROM generate_series(1, $1) AS i
"""
_ROLES = "INSERT INTO ext_roles (id, name) SELECT r, initcap(r) FROM unnest($1::text[]) AS r"
_ROSTER = """
INSERT INTO ext_roster (actor_key, door, role, valid_from, valid_to)
SELECT 'mbox:mailto:p' || p || '@example.com',
       'D' || lpad((1 + p % $2)::text, 4, '0'),
       ($3::text[])[1 + (p / $2) % 6],
       $4::timestamptz - interval '1 day' * (p % 700),
       CASE WHEN p % 10 = 0 THEN $4::timestamptz + interval '1 week' * ($5 / 2) END
FROM generate_series(0, $1 - 1) AS p
UNION ALL
SELECT 'mbox:mailto:p' || p || '@example.com',
       'D' || lpad((1 + (p + 7) % $2)::text, 4, '0'),
       ($3::text[])[1 + (p / $2) % 6],
       $4::timestamptz + interval '1 week' * ($5 / 2),
       NULL
FROM generate_series(0, $1 - 1) AS p WHERE p % 10 = 0
"""
_STATEMENTS = """
INSERT INTO statements (id, stored, timestamp, verb_id, actor_key, object_activity_id,
                        is_voiding, authority_key, version, payload)
SELECT gen_random_uuid(), now(), t, v, a, o, false, 'bench', '2.0.0',
       CAST(jsonb_build_object(
           'actor', jsonb_build_object('mbox', substr(a, 6)),
           'verb', jsonb_build_object('id', v),
           'object', jsonb_build_object('id', o),
           'result', CASE WHEN i % 10 = 0 THEN jsonb_build_object('duration', 'PT20M')
                          WHEN i % 3 = 0 THEN jsonb_build_object('completion', true,
                                                                 'success', i % 2 = 0)
                          ELSE '{}'::jsonb END) AS text)
FROM (SELECT i,
             $4::timestamptz + interval '1 second' * ((i::bigint * 604800 * $3) / $1) AS t,
             CASE WHEN i % 10 = 0 THEN 'https://w3id.org/xapi/retail/verbs/coached'
                  WHEN i % 3 = 0 THEN 'http://adlnet.gov/expapi/verbs/completed'
                  ELSE 'http://adlnet.gov/expapi/verbs/experienced' END AS v,
             'mbox:mailto:p' || ((i::bigint * 7919) % $2) || '@example.com' AS a,
             'http://example.com/lesson/' || (i % 72) AS o
      FROM generate_series(0, $1 - 1) AS i) AS g
"""
_TAGS = """
INSERT INTO ext_tags (seq, source, door, role)
SELECT DISTINCT ON (s.seq) s.seq, 'roster', r.door, r.role
FROM statements s
     JOIN ext_roster r ON r.actor_key = s.actor_key AND r.valid_from <= s.timestamp
                      AND (r.valid_to IS NULL OR s.timestamp < r.valid_to)
ORDER BY s.seq, r.valid_from DESC
"""
_KPIS = """
INSERT INTO ext_kpis (door, period, period_start, metric, value, aggregate)
SELECT d.id, 'week', CAST($2::timestamptz AS date) + 7 * w, 'conversion',
       0.2 + 0.1 * random(), 'mean'
FROM ext_doors d, generate_series(0, $1 - 1) AS w
"""


async def seed(dsn: str, statements: int, doors: int, people: int, weeks: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        steps = [
            ("doors", _DOORS, (doors, ZONES)),
            ("roles", _ROLES, (ROLES,)),
            ("roster", _ROSTER, (people, doors, ROLES, START, weeks)),
            ("statements", _STATEMENTS, (statements, people, weeks, START)),
            ("tags", _TAGS, ()),
            ("kpis", _KPIS, (weeks, START)),
        ]
        for name, sql, args in steps:
            began = time.perf_counter()
            await conn.execute(sql, *args)
            print(f"{name}: {time.perf_counter() - began:.1f} s", flush=True)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dsn")
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--doors", type=int, default=200)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    asyncio.run(seed(args.dsn, args.statements, args.doors, args.people, args.weeks))


if __name__ == "__main__":
    main()
