"""SQL of the BI data products: KPIs, the BI settings row, door-week facts and pre/post.

Door-week figures aggregate the view ``ext_door_week_actors`` (migration 0004), the one
definition of who counts in a door's week; weeks are bounded by ``week_start`` in
[since, until). Statements are assembled from fixed fragments only; values are bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ARRAY, Date, Float, Integer, Text, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter

from lrs.ext.rules.bi_model import Kpi
from lrs.ext.storage.sql import PSEUDONYM
from lrs.storage.arrays import column_arrays

_TEXTS = ARRAY(Text)

_STORE_CONFIG = text(
    """
    INSERT INTO ext_bi_config (id, min_group_size, coaching_verbs, coaching_types, updated)
    VALUES (1, :k, :verbs, :types, now())
    ON CONFLICT (id) DO UPDATE SET min_group_size = excluded.min_group_size,
        coaching_verbs = excluded.coaching_verbs, coaching_types = excluded.coaching_types,
        updated = excluded.updated
    WHERE (ext_bi_config.min_group_size, ext_bi_config.coaching_verbs,
           ext_bi_config.coaching_types)
          IS DISTINCT FROM (excluded.min_group_size, excluded.coaching_verbs,
                            excluded.coaching_types)
    """
).bindparams(bindparam("verbs", type_=_TEXTS), bindparam("types", type_=_TEXTS))

_UPSERT_KPIS = text(
    """
    INSERT INTO ext_kpis (door, period, period_start, metric, value, aggregate, updated)
    SELECT d, p, s, m, v, a, now()
    FROM unnest(:door, :period, :period_start, :metric, :value, :aggregate)
         AS n(d, p, s, m, v, a)
    ORDER BY d, p, s, m
    ON CONFLICT (door, period, period_start, metric) DO UPDATE
        SET value = excluded.value, aggregate = excluded.aggregate, updated = excluded.updated
    """
).bindparams(
    bindparam("door", type_=_TEXTS),
    bindparam("period", type_=_TEXTS),
    bindparam("period_start", type_=ARRAY(Date)),
    bindparam("metric", type_=_TEXTS),
    bindparam("value", type_=ARRAY(Float(precision=53))),
    bindparam("aggregate", type_=_TEXTS),
)

_AGGREGATES = text(
    "SELECT DISTINCT metric, aggregate FROM ext_kpis WHERE metric = ANY(:metrics)"
).bindparams(bindparam("metrics", type_=_TEXTS))

_LIST_KPIS = text(
    """
    SELECT door, period, period_start, metric, value, aggregate FROM ext_kpis
    WHERE (CAST(:door AS text) IS NULL OR door = :door)
      AND (CAST(:metric AS text) IS NULL OR metric = :metric)
      AND (CAST(:period AS text) IS NULL OR period = :period)
      AND period_start >= :since AND period_start < :until
    ORDER BY door, metric, period, period_start
    """
).bindparams(bindparam("since", type_=Date), bindparam("until", type_=Date))

# Weekly KPI figures: weekly rows as they are, daily rows summed or averaged into their week.
_WEEKLY_KPIS = text(
    """
    SELECT door, CAST(date_trunc('week', period_start) AS date) AS week_start, metric,
           CASE WHEN bool_or(aggregate = 'mean') THEN avg(value) ELSE sum(value) END
    FROM ext_kpis
    WHERE period IN ('day', 'week') AND period_start >= :since - 6 AND period_start < :until
      AND (CAST(:door AS text) IS NULL OR door = :door)
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
    """
).bindparams(bindparam("since", type_=Date), bindparam("until", type_=Date))

_DOOR_WEEK = text(
    """
    SELECT door, role, week_start,
           count(*) AS learners,
           count(*) FILTER (WHERE rostered) AS headcount,
           count(*) FILTER (WHERE statements > 0) AS active_learners,
           count(*) FILTER (WHERE rostered AND statements > 0) AS practiced,
           CAST(sum(statements) AS bigint) AS statements,
           CAST(sum(completions) AS bigint) AS completions,
           CAST(sum(passes) AS bigint) AS passes, sum(activity_s) AS activity_s
    FROM ext_door_week_actors
    WHERE week_start >= :since AND week_start < :until
      AND (CAST(:door AS text) IS NULL OR door = :door)
      AND (CAST(:role AS text) IS NULL OR role = :role)
    GROUP BY door, role, week_start
    ORDER BY door, role, week_start
    """
).bindparams(bindparam("since", type_=Date), bindparam("until", type_=Date))

# Pre/post: per window and group, distinct learners and person-week sums. The tenure band is
# each actor's months in the role at the period's start (a fixed cohort for both windows).
_TENURE = "width_bucket(CAST(extract(year FROM age(:anchor, tenure)) * 12 + extract(month FROM age(:anchor, tenure)) AS int), :bands)"  # noqa: E501
COMPARE_DIMENSIONS = {"door": "door", "role": "role", "tenure": _TENURE}


def _compare_sql(dimensions: Sequence[str]) -> str:
    picked = ", ".join(
        f"{COMPARE_DIMENSIONS[d] if d in dimensions else 'NULL'} AS {d}" for d in COMPARE_DIMENSIONS
    )
    return f"""
    WITH tenure AS (
        SELECT actor_key, role, min(tenure_start) AS tenure FROM ext_door_week_actors
        WHERE tenure_start IS NOT NULL GROUP BY actor_key, role
    ),
    facts AS (
        SELECT CASE WHEN f.week_start >= :b_since AND f.week_start < :b_until
                    THEN 'baseline' ELSE 'period' END AS win, f.*, t.tenure
        FROM ext_door_week_actors f
             LEFT JOIN tenure t ON t.actor_key = f.actor_key AND t.role = f.role
        WHERE ((f.week_start >= :b_since AND f.week_start < :b_until)
               OR (f.week_start >= :p_since AND f.week_start < :p_until))
          AND (CAST(:door AS text) IS NULL OR f.door = :door)
          AND (CAST(:role AS text) IS NULL OR f.role = :role)
    )
    SELECT win, {picked},
           count(DISTINCT actor_key) AS learners,
           count(*) FILTER (WHERE rostered) AS head_weeks,
           count(*) FILTER (WHERE statements > 0) AS active_weeks,
           count(*) FILTER (WHERE rostered AND statements > 0) AS practiced_weeks,
           CAST(sum(statements) AS bigint) AS statements,
           CAST(sum(completions) AS bigint) AS completions,
           CAST(sum(passes) AS bigint) AS passes, sum(activity_s) AS activity_s
    FROM facts
    GROUP BY 1, 2, 3, 4
    ORDER BY 2, 3, 4, 1
    """  # noqa: S608 (fixed fragments only)


async def store_config(
    conn: AsyncConnection, min_group_size: int, verbs: Sequence[str], types: Sequence[str]
) -> None:
    await conn.execute(
        _STORE_CONFIG, {"k": min_group_size, "verbs": list(verbs), "types": list(types)}
    )


async def stored_aggregates(conn: AsyncConnection, metrics: Sequence[str]) -> dict[str, str]:
    rows = await conn.execute(_AGGREGATES, {"metrics": sorted(set(metrics))})
    return {row[0]: row[1] for row in rows}


async def upsert_kpis(conn: AsyncConnection, rows: Sequence[Kpi]) -> None:
    fields = ("door", "period", "period_start", "metric", "value", "aggregate")
    await conn.execute(_UPSERT_KPIS, column_arrays(rows, *fields))


async def list_kpis(conn: AsyncConnection, **params: Any) -> list[tuple[Any, ...]]:
    """(door, period, period_start, metric, value, aggregate); door, metric, period may be
    None, since and until bound period_start as [since, until)."""
    return [tuple(row) for row in await conn.execute(_LIST_KPIS, params)]


async def weekly_kpis(
    conn: AsyncConnection, since: date, until: date, door: str | None
) -> list[tuple[str, date, str, float]]:
    rows = await conn.execute(_WEEKLY_KPIS, {"since": since, "until": until, "door": door})
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def door_week(
    conn: AsyncConnection, since: date, until: date, door: str | None, role: str | None
) -> list[dict[str, Any]]:
    params = {"since": since, "until": until, "door": door, "role": role}
    return [dict(row._mapping) for row in await conn.execute(_DOOR_WEEK, params)]


async def compare(
    conn: AsyncConnection,
    dimensions: Sequence[str],
    windows: tuple[tuple[date, date], tuple[date, date]],
    *,
    bands: Sequence[int],
    door: str | None,
    role: str | None,
) -> list[dict[str, Any]]:
    (b_since, b_until), (p_since, p_until) = windows
    binds: list[BindParameter[Any]] = [
        bindparam(n, type_=Date) for n in ("b_since", "b_until", "p_since", "p_until")
    ]
    if "tenure" in dimensions:
        binds += [bindparam("anchor", type_=Date), bindparam("bands", type_=ARRAY(Integer))]
    sql = text(_compare_sql(dimensions)).bindparams(*binds)
    params: dict[str, Any] = {
        "b_since": b_since,
        "b_until": b_until,
        "p_since": p_since,
        "p_until": p_until,
        "door": door,
        "role": role,
    }
    if "tenure" in dimensions:
        params.update(anchor=p_since, bands=list(bands))
    return [dict(row._mapping) for row in await conn.execute(sql, params)]


def assignments_sql(*, identities: bool) -> str:
    """The assignments dataset in the order the issue fixes, for streaming."""
    actor = "r.actor_key" if identities else PSEUDONYM.replace("s.actor_key", "r.actor_key")
    return f"""
    SELECT {actor} AS actor_key, r.door, r.role, r.valid_from, r.valid_to,
           CAST(min(r.valid_from) OVER (PARTITION BY r.actor_key, r.role)
                AT TIME ZONE d.timezone AS date) AS tenure_start
    FROM ext_roster r
         JOIN ext_doors d ON d.id = r.door
         LEFT JOIN ext_pseudonym_key k ON k.id = 1
    WHERE (CAST(:door AS text) IS NULL OR r.door = :door)
      AND (CAST(:role AS text) IS NULL OR r.role = :role)
    ORDER BY r.door, r.role, r.valid_from, 1
    """  # noqa: S608 (fixed fragments only)
