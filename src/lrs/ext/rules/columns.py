"""The BI export's columns and their two renderings, CSV and NDJSON (pure).

One row per statement, columns in this order (the ``ext_bi_statements`` view has the same):

============== ========= =========================================================
column         type      meaning
============== ========= =========================================================
statement_id   uuid      the statement id
stored         timestamp when the LRS stored it (UTC, ISO 8601, microseconds)
timestamp      timestamp when it happened (UTC)
actor_key      text      HMAC-SHA256 pseudonym of the actor's IFI (64 hex digits);
                         the actor's IFI key (``mbox:mailto:...``) with identities
verb_id        text      verb IRI
verb_display   text      verb display in en-US, else en, else the first language
object_id      text      object id (activity IRI, agent IFI absent, statement id)
object_type    text      Activity, Agent, Group, StatementRef or SubStatement
activity_type  text      activity type IRI (the statement's, else the canonical)
registration   uuid      context registration
success        boolean   result.success
completion     boolean   result.completion
score_scaled   float     result.score.scaled
score_raw      float     result.score.raw
duration_s     float     result.duration in seconds (a year counts 365.25 days)
door           text      the effective door id (registry)
role           text      the effective role id (registry)
tag_source     text      explicit, statement or roster; "<door's>+<role's>" when
                         the two fields come from different sources
============== ========= =========================================================

CSV writes NULL as an empty cell and booleans as ``true``/``false``; NDJSON writes JSON
types (``null``, ``true``, numbers). A CSV text cell that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a leading ``'`` (the OWASP CSV-injection rule), so a
spreadsheet shows it as text instead of running it as a formula; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

EXPORT_COLUMNS = (
    "statement_id",
    "stored",
    "timestamp",
    "actor_key",
    "verb_id",
    "verb_display",
    "object_id",
    "object_type",
    "activity_type",
    "registration",
    "success",
    "completion",
    "score_scaled",
    "score_raw",
    "duration_s",
    "door",
    "role",
    "tag_source",
)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _json_value(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime) else value


# First characters a spreadsheet reads as the start of a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """A text cell a spreadsheet shows as text: formula starters get a leading quote."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, str):
        return safe_text(value)
    return str(value)


def csv_header(columns: Sequence[str] = EXPORT_COLUMNS) -> bytes:
    return (",".join(columns) + "\r\n").encode()


def csv_rows(rows: Sequence[Sequence[Any]]) -> bytes:
    """CSV lines (RFC 4180: CRLF, quotes where needed) for a batch of export rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([_csv_value(v) for v in row] for row in rows)
    return buffer.getvalue().encode()


def ndjson_rows(rows: Sequence[Sequence[Any]], columns: Sequence[str] = EXPORT_COLUMNS) -> bytes:
    """One JSON object per line, keys in column order (dates as YYYY-MM-DD)."""
    return b"".join(
        orjson.dumps(dict(zip(columns, map(_json_value, row), strict=True))) + b"\n" for row in rows
    )
