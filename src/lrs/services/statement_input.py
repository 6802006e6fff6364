"""From a PUT/POST body to validated statements and their attachment payloads.

application/json bodies hold statements only (attachments must then be fileUrl-only, CT-003);
multipart/mixed bodies hold the statements first and one part per payload (ATT-001..013), and
signatures are checked against those parts (SIG-*).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any

from lrs.errors import BadRequest, PayloadTooLarge
from lrs.services.statements import Attachment
from lrs.xapi.equivalence import statements_equivalent
from lrs.xapi.jsonparse import loads_strict
from lrs.xapi.multipart import (
    match_attachments,
    media_type,
    multipart_type_from_body,
    parse_multipart_statements,
)
from lrs.xapi.signature import verify_signed_statements
from lrs.xapi.validate import attachments_without_file_url, parse_statements_body
from lrs.xapi.versions import XapiVersion


@dataclass(frozen=True)
class StatementInput:
    statements: list[dict[str, Any]]
    attachments: list[Attachment]
    was_array: bool


# Bodies above this size are parsed and validated in a worker thread, so a large batch (up to
# LRS_MAX_BODY_BYTES) never holds the event loop; smaller ones are cheaper parsed in place.
OFF_LOOP_BYTES = 64 * 1024


async def read_statement_input(
    body: bytes,
    content_type: str | None,
    version: XapiVersion,
    *,
    single: bool,
    max_statements: int,
) -> StatementInput:
    """`parse_statement_input`, off the event loop for bodies above `OFF_LOOP_BYTES`."""
    parse = partial(
        parse_statement_input,
        body,
        content_type,
        version,
        single=single,
        max_statements=max_statements,
    )
    if len(body) <= OFF_LOOP_BYTES:
        return parse()
    return await asyncio.to_thread(parse)


def parse_statement_input(
    body: bytes,
    content_type: str | None,
    version: XapiVersion,
    *,
    single: bool,
    max_statements: int,
) -> StatementInput:
    kind = media_type(content_type or "application/json")
    # A multipart body whose Content-Type a client's HTTP library replaced (see there).
    sniffed = multipart_type_from_body(body) if kind == "application/octet-stream" else None
    if sniffed is not None:
        content_type, kind = sniffed, "multipart/mixed"
    if kind == "multipart/mixed":
        return _multipart(body, content_type or "", version, single, max_statements)
    if kind != "application/json":
        raise BadRequest(
            f"unsupported Content-Type {content_type!r}; send application/json or "
            "multipart/mixed (CT-004)",
            path="header:Content-Type",
        )
    parsed = _parse_json(body)
    statements = _validated(parsed, version, single, max_statements)
    missing = attachments_without_file_url(statements)
    if missing:
        raise BadRequest(
            "an Attachment without fileUrl needs its data in a multipart/mixed request "
            f"(sha2 {missing[0]}; CT-003)",
            path="header:Content-Type",
        )
    batch = isinstance(parsed, list)
    # A fileUrl-only signature cannot be checked, so it is refused here too (SIG-001).
    verify_signed_statements(statements, {}, version, equivalent=statements_equivalent, batch=batch)
    return StatementInput(statements, [], batch)


def _parse_json(body: bytes) -> Any:
    if not body.strip():
        raise BadRequest("the request body is empty; send a statement or an array of them")
    return loads_strict(body)


def _validated(
    parsed: Any, version: XapiVersion, single: bool, max_statements: int
) -> list[dict[str, Any]]:
    if isinstance(parsed, list) and len(parsed) > max_statements:
        raise PayloadTooLarge(
            f"{len(parsed)} statements in one request; the limit is {max_statements} "
            "(LRS_MAX_BATCH_STATEMENTS)"
        )
    return parse_statements_body(parsed, version, single=single)


def _multipart(
    body: bytes, content_type: str, version: XapiVersion, single: bool, max_statements: int
) -> StatementInput:
    request = parse_multipart_statements(body, content_type)
    parsed = _parse_json(request.statement_part)
    statements = _validated(parsed, version, single, max_statements)
    batch = isinstance(parsed, list)
    parts = match_attachments(statements, request.parts, batch=batch)
    verify_signed_statements(
        statements, request.parts, version, equivalent=statements_equivalent, batch=batch
    )
    attachments = [Attachment(p.sha2, p.content_type, p.data) for p in parts.values()]
    return StatementInput(statements, attachments, batch)
