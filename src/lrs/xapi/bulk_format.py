"""The line format of ``lrs export`` / ``lrs import``: NDJSON, with attachment payloads.

Every line is one JSON object. A statement line is a statement, exactly as stored. An
attachment line carries one payload and stands right before the statement that uses it::

    {"lrs:attachment": {"sha2": "<hex>", "contentType": "text/plain", "length": 5,
                        "data": "<base64>"}}

so a reader holds at most one statement's payloads at a time (constant memory, however long
the file). A file without attachment lines is plain NDJSON, one statement per line; the key
``lrs:attachment`` is no statement property (a statement with it is invalid, ST-VAL-008), so
the two kinds of line never mix up and no header is needed.

The payload is checked as a multipart part is (ATT-005, ATT-008, ATT-013: its bytes hash to
its ``sha2``); pairing with the statement's Attachment objects is ``match_attachments``
(ATT-007, ATT-009..011), as on a multipart POST.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import orjson

from lrs.errors import BadRequest
from lrs.xapi.multipart import HASH_HEADER, AttachmentPart, attachment_part

ATTACHMENT_KEY = "lrs:attachment"

__all__ = ["ATTACHMENT_KEY", "attachment_line", "encode_attachment_line", "is_attachment_line"]


def encode_attachment_line(sha2: str, content_type: str, data: bytes) -> bytes:
    """One attachment line, newline included."""
    body = {
        "sha2": sha2,
        "contentType": content_type,
        "length": len(data),
        "data": base64.b64encode(data).decode("ascii"),
    }
    return orjson.dumps({ATTACHMENT_KEY: body}) + b"\n"


def is_attachment_line(parsed: Any) -> bool:
    return isinstance(parsed, dict) and ATTACHMENT_KEY in parsed


def attachment_line(parsed: Mapping[str, Any], index: int) -> AttachmentPart:
    """The payload of a parsed attachment line, its hash checked; raises ``BadRequest``."""
    path = f"$.{ATTACHMENT_KEY}"
    body = parsed.get(ATTACHMENT_KEY)
    if len(parsed) != 1 or not isinstance(body, dict):
        raise BadRequest(f"an attachment line is one object under {ATTACHMENT_KEY!r}", path=path)
    sha2, content_type, data = body.get("sha2"), body.get("contentType"), body.get("data")
    if not isinstance(sha2, str) or not isinstance(data, str):
        raise BadRequest("an attachment line needs string sha2 and data (base64)", path=path)
    headers = {
        "content-transfer-encoding": "base64",
        HASH_HEADER.lower(): sha2,
        "content-type": content_type if isinstance(content_type, str) else "",
    }
    part = attachment_part(index, headers, data.encode("ascii", errors="replace"))
    length = body.get("length")
    if length is not None and length != len(part.data):
        raise BadRequest(
            f"attachment line says length {length!r} but carries {len(part.data)} bytes",
            path=path,
        )
    return part
