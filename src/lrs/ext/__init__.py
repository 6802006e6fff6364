"""Door and role tagging, and join-ready data for BI (the ``/xAPI/extensions/`` resources).

A feature slice with its own layers: pure rules (`model`, `csvio`, `pseudonyms`, `columns`),
use cases that own their transactions (`registry`, `roster`, `tagging`, `queries`, `export`,
`summary`, `startup`) and the only modules here that speak SQL (`storage_*`).

Tags live beside the immutable statements in ``ext_tags``, one row per (statement, source);
the effective door and role of a statement are resolved per field in the order
explicit > statement > roster.
"""

from __future__ import annotations

from lrs.ext.startup import start_extensions

__all__ = ["start_extensions"]
