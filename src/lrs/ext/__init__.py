"""Door and role tagging, and join-ready data for BI (the ``/xAPI/extensions/`` resources).

A feature slice with the layers of the core, dependencies pointing one way
(``services -> storage -> rules``; the routers live in `lrs.api`):

- `lrs.ext.rules`: pure rules and formats (registry entries, roster rows, tags, filters,
  the CSV reader, BI rules, export columns, pseudonyms, Parquet);
- `lrs.ext.services`: use cases, each owning its transaction (registry, roster, tagging,
  queries, exports, door-week, KPIs, summary, startup);
- `lrs.ext.storage`: the only package here that speaks SQL (tables and named queries).

Tags live beside the immutable statements in ``ext_tags``, one row per (statement, source);
the effective door and role of a statement are resolved per field in the order
explicit > statement > roster.
"""

from __future__ import annotations

from lrs.ext.services.startup import extension_hooks, start_extensions

__all__ = ["extension_hooks", "start_extensions"]
