"""Building and reading multipart/mixed statement bodies (attachments, signatures)."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

Part = tuple[dict[str, str], bytes]
USAGE = "http://example.com/attachment-usage/test"
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


def sha(data: bytes, bits: int = 256) -> str:
    """Hex SHA-2 digest of ``data``."""
    return hashlib.new(f"sha{bits}", data).hexdigest()


def attachment_object(
    data: bytes, content_type: str = "text/plain", bits: int = 256
) -> dict[str, Any]:
    """An Attachment object describing ``data`` (no fileUrl)."""
    return {
        "usageType": USAGE,
        "display": {"en-US": "attachment"},
        "contentType": content_type,
        "length": len(data),
        "sha2": sha(data, bits),
    }


def data_part(data: bytes, content_type: str = "text/plain", bits: int = 256) -> Part:
    """A multipart part carrying raw attachment data with the usual headers."""
    headers = {
        "Content-Type": content_type,
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": sha(data, bits),
    }
    return headers, data


def json_part(body: Any) -> Part:
    """The first part: statement(s) as application/json."""
    return {"Content-Type": "application/json"}, json.dumps(body).encode()


def build(parts: list[Part], boundary: str = "xapi-conformance-boundary") -> tuple[bytes, str]:
    """Encode parts with CRLF framing; returns the body and its Content-Type header value."""
    out = b""
    for headers, data in parts:
        out += f"--{boundary}\r\n".encode()
        out += "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode() + b"\r\n"
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    quoted = f'"{boundary}"' if any(c in boundary for c in "'()+_,./:=? ") else boundary
    return out, f"multipart/mixed; boundary={quoted}"


@dataclass(frozen=True)
class ReadPart:
    """One part of a multipart response."""

    headers: dict[str, str]
    data: bytes


def parse(content_type: str, body: bytes) -> list[ReadPart]:
    """Split a multipart/mixed response into parts (raw bytes, lower-cased header names)."""
    raw = f"Content-Type: {content_type}\r\n\r\n".encode() + body
    message = email.message_from_bytes(raw, policy=email.policy.HTTP)
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        headers = {k.lower(): str(v) for k, v in part.items()}
        parts.append(ReadPart(headers, payload))
    return parts
