"""Statement and parameter validation (ST-VAL-*, ST-VOID-001/002, STR-W-002/007/009/012).

Every function here is pure: it reads parsed JSON (see ``lrs.xapi.jsonparse.loads_strict``)
and raises ``lrs.errors.BadRequest`` carrying a message and the JSON path of the first
offending value (``$.actor.mbox``, ``$[3].object.id``, ``param:agent``). Rules that differ by
request version take an ``XapiVersion``.
"""

from __future__ import annotations

from typing import Any

from lrs.xapi.validate._common import fail
from lrs.xapi.validate.agents import validate_actor, validate_agent, validate_group
from lrs.xapi.validate.attachments import all_attachments, attachments_without_file_url
from lrs.xapi.validate.params import (
    check_param_names,
    parse_agent_param,
    parse_bool_param,
    parse_format_param,
    parse_iri_param,
    parse_limit_param,
    parse_timestamp_param,
    parse_uuid_param,
    query_values,
)
from lrs.xapi.validate.statement import validate_statement
from lrs.xapi.versions import XapiVersion

__all__ = [
    "all_attachments",
    "attachments_without_file_url",
    "check_param_names",
    "parse_agent_param",
    "parse_bool_param",
    "parse_format_param",
    "parse_iri_param",
    "parse_limit_param",
    "parse_statements_body",
    "parse_timestamp_param",
    "parse_uuid_param",
    "query_values",
    "validate_actor",
    "validate_agent",
    "validate_group",
    "validate_statement",
]


def parse_statements_body(
    body: object, version: XapiVersion, *, single: bool = False
) -> list[dict[str, Any]]:
    """Validate a parsed PUT (``single``) or POST statements body and return its statements.

    PUT takes one statement object (STR-W-002); POST takes one object or a non-empty array of
    objects (STR-W-007, STR-W-012). Ids must be unique within a batch (STR-W-009); UUIDs are
    compared case-insensitively since they name the same statement.
    """
    if isinstance(body, dict):
        validate_statement(body, version, path="$")
        return [body]
    if single:
        fail("a PUT body must be a single statement object", "$")
    if not isinstance(body, list):
        fail("the body must be a statement object or an array of statement objects", "$")
    if not body:
        fail("the body is an empty array; send at least one statement", "$")
    seen: set[str] = set()
    for index, stmt in enumerate(body):
        path = f"$[{index}]"
        validate_statement(stmt, version, path=path)
        statement_id = stmt.get("id")
        if statement_id is not None:
            folded = statement_id.lower()
            if folded in seen:
                fail(f"statement id {statement_id!r} appears twice in this batch", f"{path}.id")
            seen.add(folded)
    return body
