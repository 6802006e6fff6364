"""JSON Schemas of the extension's request bodies, for the OpenAPI document only (the
parsers in `lrs.ext.rules.model` are what enforce them)."""

from __future__ import annotations

from typing import Any

from lrs.api.openapi_params import json_body
from lrs.ext.rules.columns import EXPORT_COLUMNS
from lrs.ext.rules.model import ID_PATTERN

_ID = {"type": "string", "pattern": ID_PATTERN}
_TEXT = {"type": ["string", "null"]}
_WHEN = {
    "type": "string",
    "description": "ISO 8601 date-time, or YYYY-MM-DD meaning midnight in the door's timezone",
}

DOOR: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "id": _ID,
        "name": {"type": "string"},
        "region": _TEXT,
        "format": {**_TEXT, "examples": ["flagship", "boutique", "outlet"]},
        "timezone": {"type": "string", "default": "UTC", "examples": ["Europe/Paris"]},
        "active": {"type": "boolean", "default": True},
        "opening_hours": {**_TEXT, "examples": ["mon-fri 09:00-18:00; sat 10:00-17:00"]},
        "holidays_country": {**_TEXT, "examples": ["FR"]},
        "holidays_region": {**_TEXT, "examples": ["75"]},
    },
}
ROLE: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {"id": _ID, "name": {"type": "string"}, "active": {"type": "boolean"}},
}
ASSIGNMENT: dict[str, Any] = {
    "type": "object",
    "required": ["agent", "door", "role", "valid_from"],
    "additionalProperties": False,
    "properties": {
        "agent": {"type": "object", "description": "an xAPI Agent with one IFI"},
        "door": _ID,
        "role": _ID,
        "valid_from": _WHEN,
        "valid_to": {**_WHEN, "description": "exclusive end; absent or null: still in force"},
    },
}
TAG: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"door": {"type": ["string", "null"]}, "role": {"type": ["string", "null"]}},
}
BULK_TAG: dict[str, Any] = {
    **TAG,
    "required": ["statement_id"],
    "properties": {**TAG["properties"], "statement_id": {"type": "string", "format": "uuid"}},
}

KPI: dict[str, Any] = {
    "type": "object",
    "required": ["door", "period_start", "period", "metric", "value"],
    "additionalProperties": False,
    "properties": {
        "door": _ID,
        "period_start": {
            "type": "string",
            "format": "date",
            "description": "a Monday for a week, the 1st for a month",
        },
        "period": {"enum": ["day", "week", "month"]},
        "metric": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,47}$"},
        "value": {"type": "number"},
        "aggregate": {
            "enum": ["sum", "mean"],
            "default": "sum",
            "description": "how daily figures roll up into a week",
        },
    },
}


def body(schema: dict[str, Any], *, bulk: bool, csv_columns: str = "") -> dict[str, Any]:
    """An `openapi_extra` request body: the JSON schema (an array of it for bulk), and CSV."""
    return json_body(
        {"type": "array", "items": schema} if bulk else schema, csv_columns=csv_columns
    )


EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "dataset=statements: one row per statement; columns: "
        + ", ".join(EXPORT_COLUMNS)
        + ". dataset=assignments and door_week: see the README.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
