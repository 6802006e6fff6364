"""Statement bodies and responses in `multipart/mixed` (ATT-001..015).

A request body is read as bytes and split with `bytes.find`, so a 10 MB attachment costs a
few passes of C code rather than a Python loop. Attachment data is never decoded as text.

Error paths name the part by position, `multipart:part[0]` being the statement part.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lrs.errors import BadRequest

__all__ = [
    "AttachmentPart",
    "MultipartRequest",
    "attachment_part",
    "build_multipart_response",
    "iter_attachments",
    "iter_multipart_response",
    "match_attachments",
    "media_type",
    "multipart_type_from_body",
    "parse_multipart_statements",
]

HASH_HEADER = "X-Experience-API-Hash"
_HASH_KEY = HASH_HEADER.lower()
_CT_PATH = "header:Content-Type"
_CRLF = b"\r\n"
_LF = b"\n"
# ATT-013: the digest algorithm is told apart by the length of its hex form.
_HASHES_BY_HEX_LENGTH = {64: "sha256", 96: "sha384", 128: "sha512"}
_HEX_RE = re.compile(r"[0-9a-f]+")
_PARAM_RE = re.compile(
    r";\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(\"(?:[^\"\\]|\\.)*\"|[^;]*)", re.DOTALL
)
_IDENTITY_ENCODINGS = frozenset({"binary", "8bit", "7bit"})
# Headers whose repetition would make the part ambiguous.
_SINGLE_HEADERS = frozenset(
    {"content-type", "content-length", "content-transfer-encoding", _HASH_KEY}
)


@dataclass(frozen=True)
class AttachmentPart:
    """One attachment payload: raw (decoded) bytes, its lowercase hex SHA-2 and its headers.

    `content_type` is the part's Content-Type header, or `""` when the part had none.
    `headers` keys are lowercase. `index` is the part's position in the body (0 is the
    statement part), used in error paths.
    """

    content_type: str
    data: bytes
    sha2: str
    headers: Mapping[str, str]
    index: int = field(default=0, compare=False)


@dataclass(frozen=True)
class MultipartRequest:
    """A parsed statement request: the statement part and the attachment parts by sha2."""

    statement_part: bytes
    statement_content_type: str
    parts: dict[str, AttachmentPart]


def media_type(value: str) -> str:
    """The `type/subtype` of a Content-Type value, lowercased, without parameters (CT-006)."""
    return value.split(";", 1)[0].strip().lower()


# RFC 2046's boundary: 1 to 70 of these characters, the last not a space.
_BCHARS = rb"-0-9A-Za-z'()+_,./:=?"
_BOUNDARY_LINE = re.compile(rb"--([" + _BCHARS + rb" ]{0,69}[" + _BCHARS + rb"])[ \t]*\r?\n")
_HEADER_LINE = re.compile(rb"[!-9;-~]+:")


def multipart_type_from_body(body: bytes) -> str | None:
    """The `multipart/mixed` Content-Type a statement body sent as `application/octet-stream`
    was built with, read from its first line; None when the body does not open as one.

    @xapi/xapi (3.x) on Node.js builds an attachment request as a multipart/mixed body with
    its boundary in the Content-Type it sets, but its HTTP library (axios) sends the body, a
    Blob without a type, as `application/octet-stream` instead. The boundary is then only in
    the body: its first line is the first delimiter, `--BOUNDARY`, and the statement part's
    headers follow. Only a body that opens exactly so is taken as multipart; everything the
    multipart rules check (ATT-001..013) is checked as for any multipart request.
    """
    delimiter = _BOUNDARY_LINE.match(body)
    if delimiter is None or _HEADER_LINE.match(body, delimiter.end()) is None:
        return None
    return f'multipart/mixed; boundary="{delimiter.group(1).decode("ascii")}"'


def parse_multipart_statements(body: bytes, content_type: str) -> MultipartRequest:
    """Split a `multipart/mixed` statement body into its statement and attachment parts.

    ATT-001/002: the boundary comes from the Content-Type parameter (quoted or not) and parts
    are framed as RFC 2046 says, preamble and epilogue ignored. The line ending of the first
    delimiter line picks the framing: bodies that open with CRLF are only ever split on CRLF
    delimiters, so a stray `\\n--boundary` inside binary data cannot cut a part; bodies that
    open with a bare LF (sloppy clients) are split on LF delimiters.
    ATT-004: the first part must be `application/json` (parameters allowed, CT-006).
    ATT-005..008, ATT-013: every later part declares its hash, is binary unless it says
    base64, and its bytes must hash to what it declares. A repeated payload is kept once.

    A body whose payloads do not hash to what they declare is read once more with delimiters
    that may run on from the data before them, without the line ending RFC 2046 puts there:
    @xapi/xapi (3.x) writes every payload but the last so. A line ending before a delimiter
    then belongs to the data or to the delimiter, whichever makes the payload hash to what it
    declares. That reading is taken only when every payload does; otherwise the first
    reading's error stands.
    """
    boundary = _boundary(content_type)
    parts, line_end = _split(body, boundary)
    try:
        return _request(parts)
    except _HashMismatch as error:
        try:
            return _request(_split(body, boundary, run_on=True)[0], loose_end=line_end)
        except BadRequest:
            raise error from None


def _request(
    raw_parts: list[tuple[dict[str, str], bytes]], *, loose_end: bytes = b""
) -> MultipartRequest:
    """The statement part and the attachment parts; with `loose_end`, a payload that ends with
    it is also tried without it."""
    statement_ct, statement_part = _statement_part(raw_parts[0])
    parts: dict[str, AttachmentPart] = {}
    for index, (headers, payload) in enumerate(raw_parts[1:], start=1):
        try:
            part = _attachment_part(index, headers, payload)
        except _HashMismatch:
            if not loose_end or not payload.endswith(loose_end):
                raise
            part = _attachment_part(index, headers, payload[: -len(loose_end)])
        parts.setdefault(part.sha2, part)
    return MultipartRequest(statement_part, statement_ct, parts)


class _HashMismatch(BadRequest):
    """A payload that does not hash to its declared sha2 (ATT-008)."""


def _boundary(content_type: str) -> str:
    if media_type(content_type) != "multipart/mixed":
        raise BadRequest(
            f"expected a multipart/mixed Content-Type, got {content_type!r}", path=_CT_PATH
        )
    params: dict[str, str] = {}
    for match in _PARAM_RE.finditer(content_type):
        value = match.group(2).strip()
        if value.startswith('"'):
            # An unterminated quote leaves no usable boundary.
            quoted = len(value) > 1 and value.endswith('"')
            value = re.sub(r"\\(.)", r"\1", value[1:-1]) if quoted else ""
        params[match.group(1).lower()] = value
    boundary = params.get("boundary", "")
    # RFC 2046 allows 1..70 characters; longer printable boundaries are still unambiguous.
    if not boundary or len(boundary) > 200 or not boundary.isprintable() or not boundary.isascii():
        raise BadRequest(
            "multipart/mixed Content-Type needs a boundary parameter of printable ASCII "
            "characters (ATT-002)",
            path=_CT_PATH,
        )
    return boundary


def _split(
    body: bytes, boundary: str, *, run_on: bool = False
) -> tuple[list[tuple[dict[str, str], bytes]], bytes]:
    """The parts between the delimiters, and the line ending of the framing. With `run_on` a
    delimiter need not start a line, and the data before it is kept whole, a line ending at
    its end included (see `parse_multipart_statements`)."""
    dash = b"--" + boundary.encode("ascii")
    pos, nl = _first_delimiter(body, dash)
    # A delimiter is followed by `--` (the closing one) or by transport padding and a line
    # ending; the regular expression skips text that only starts like one (the boundary a
    # prefix of longer text) in C, so a body crafted with many near-delimiters costs no
    # Python loop per near miss.
    delimiter = re.compile(
        re.escape(dash if run_on else nl + dash) + rb"(--|[ \t]*" + re.escape(nl) + rb")"
    )
    chunks: list[bytes] = []
    while True:
        # The line ending just consumed may also open the next delimiter (an empty part).
        found = delimiter.search(body, pos if run_on else pos - len(nl))
        if found is None:
            raise BadRequest("multipart body ends before its closing boundary", path="multipart")
        chunks.append(body[pos : max(found.start(), pos)])
        pos = found.end()
        if found.group(1) == b"--":
            break
    return [_headers_and_payload(i, chunk, nl) for i, chunk in enumerate(chunks)], nl


def _first_delimiter(body: bytes, dash: bytes) -> tuple[int, bytes]:
    """Find the first delimiter line; return where the first part starts and the line ending."""
    found = 0 if body.startswith(dash) else _line_starting_with(body, dash, 0)
    while found >= 0:
        after = found + len(dash)
        if body.startswith(b"--", after):
            raise BadRequest("multipart body contains no parts", path="multipart")
        end = _skip_padding(body, after)
        for nl in (_CRLF, _LF):
            if body.startswith(nl, end):
                return end + len(nl), nl
        found = _line_starting_with(body, dash, after)
    raise BadRequest("multipart body does not contain its boundary (ATT-002)", path="multipart")


def _line_starting_with(body: bytes, prefix: bytes, start: int) -> int:
    found = body.find(_LF + prefix, start)
    return found + 1 if found >= 0 else -1


def _skip_padding(body: bytes, pos: int) -> int:
    # RFC 2046 transport padding: linear white space after a boundary; short in practice.
    while pos < len(body) and body[pos] in b" \t":
        pos += 1
    return pos


def _headers_and_payload(index: int, chunk: bytes, nl: bytes) -> tuple[dict[str, str], bytes]:
    if chunk.startswith(nl):
        return {}, chunk[len(nl) :]
    end = chunk.find(nl + nl)
    if end < 0:
        raise BadRequest(
            "multipart part has no blank line after its headers", path=f"multipart:part[{index}]"
        )
    return _parse_headers(index, chunk[:end]), chunk[end + 2 * len(nl) :]


def _parse_headers(index: int, block: bytes) -> dict[str, str]:
    path = f"multipart:part[{index}]"
    headers: dict[str, str] = {}
    name = ""
    # Header bytes are octets; latin-1 maps each one to a character without failing.
    for line in block.decode("latin-1").split("\n"):
        line = line.rstrip("\r")
        if line[:1] in (" ", "\t") and name:
            headers[name] += " " + line.strip()
            continue
        key, sep, value = line.partition(":")
        name = key.strip().lower()
        if not sep or not name:
            raise BadRequest(f"malformed multipart header line {line!r}", path=path)
        if name in headers and name in _SINGLE_HEADERS:
            raise BadRequest(f"multipart part repeats its {key.strip()} header", path=path)
        headers[name] = value.strip()
    return headers


def _statement_part(raw: tuple[dict[str, str], bytes]) -> tuple[str, bytes]:
    headers, payload = raw
    content_type = headers.get("content-type", "")
    if media_type(content_type) != "application/json":
        raise BadRequest(
            "the first multipart part must be the statements as application/json, got "
            f"{content_type or 'no Content-Type'} (ATT-004)",
            path="multipart:part[0]",
        )
    return content_type, _decode(0, headers, payload)


def _attachment_part(index: int, headers: dict[str, str], payload: bytes) -> AttachmentPart:
    path = f"multipart:part[{index}]"
    declared = headers.get(_HASH_KEY, "").lower()
    if not declared:
        raise BadRequest(f"attachment part lacks its {HASH_HEADER} header (ATT-005)", path=path)
    algorithm = _HASHES_BY_HEX_LENGTH.get(len(declared))
    if algorithm is None or not _HEX_RE.fullmatch(declared):
        raise BadRequest(
            f"{HASH_HEADER} must be a hex SHA-256, SHA-384 or SHA-512 digest (ATT-013)", path=path
        )
    _check_content_length(path, headers, payload)
    data = _decode(index, headers, payload)
    if hashlib.new(algorithm, data).hexdigest() != declared:
        raise _HashMismatch(
            f"attachment data does not hash to its {HASH_HEADER} {declared} (ATT-008)", path=path
        )
    return AttachmentPart(headers.get("content-type", ""), data, declared, headers, index)


def _check_content_length(path: str, headers: Mapping[str, str], payload: bytes) -> None:
    declared = headers.get("content-length")
    if declared is not None and (not declared.isdecimal() or int(declared) != len(payload)):
        raise BadRequest(
            f"part Content-Length {declared!r} does not match its {len(payload)} bytes (ATT-010)",
            path=path,
        )


def _decode(index: int, headers: Mapping[str, str], payload: bytes) -> bytes:
    """Undo the part's Content-Transfer-Encoding, binary when absent (ATT-006)."""
    encoding = headers.get("content-transfer-encoding", "binary").strip().lower()
    if encoding in _IDENTITY_ENCODINGS:
        return payload
    path = f"multipart:part[{index}]"
    if encoding != "base64":
        raise BadRequest(
            f"unsupported Content-Transfer-Encoding {encoding!r}; send binary (ATT-006)",
            path=path,
        )
    try:
        return base64.b64decode(b"".join(payload.split()), validate=True)
    except binascii.Error:
        raise BadRequest("part declared base64 but is not valid base64", path=path) from None


def match_attachments(
    statements: Sequence[Mapping[str, Any]],
    parts: Mapping[str, AttachmentPart],
    *,
    batch: bool = True,
) -> dict[str, AttachmentPart]:
    """Pair Attachment objects with parts by sha2 alone and return the parts to store.

    ATT-007: pairing is only by SHA-2. ATT-009: an Attachment without `fileUrl` needs a part.
    ATT-010: a part's Content-Type must agree with `contentType`. A declared `length` that
    differs from the part's size is not a reason to refuse: the part is matched by hash alone,
    as the reference suite expects (REF-005).
    ATT-011: one part may serve several Attachments with the same sha2. A part that serves no
    Attachment is refused. A part without Content-Type takes the Attachment's `contentType`.
    `batch=False` writes error paths from `$` for a single-statement body.
    """
    used: dict[str, AttachmentPart] = {}
    for path, attachment in iter_attachments(statements, batch=batch):
        sha2 = attachment.get("sha2")
        part = parts.get(sha2.lower()) if isinstance(sha2, str) else None
        if part is None:
            if "fileUrl" not in attachment:
                raise BadRequest(
                    f"attachment with sha2 {sha2!r} has no fileUrl and no multipart part "
                    "carrying its data (ATT-009)",
                    path=path,
                )
            continue
        _check_agreement(path, attachment, part)
        if part.sha2 not in used:
            used[part.sha2] = _with_content_type(part, attachment)
    for sha2, part in parts.items():
        if sha2 not in used:
            raise BadRequest(
                f"multipart part with hash {sha2} matches no attachment in the statements",
                path=f"multipart:part[{part.index}]",
            )
    return used


def iter_attachments(
    statements: Sequence[Mapping[str, Any]], *, batch: bool = True
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every Attachment object with its JSON path, including those of SubStatements."""
    for i, statement in enumerate(statements):
        root = f"$[{i}]" if batch else "$"
        yield from _attachments_of(statement, root)
        target = statement.get("object")
        if isinstance(target, Mapping) and target.get("objectType") == "SubStatement":
            yield from _attachments_of(target, f"{root}.object")


def _attachments_of(
    statement: Mapping[str, Any], root: str
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    attachments = statement.get("attachments")
    if not isinstance(attachments, list):
        return
    for j, attachment in enumerate(attachments):
        if isinstance(attachment, Mapping):
            yield f"{root}.attachments[{j}]", attachment


def _check_agreement(path: str, attachment: Mapping[str, object], part: AttachmentPart) -> None:
    declared_type = attachment.get("contentType")
    if (
        part.content_type
        and isinstance(declared_type, str)
        and media_type(declared_type) != media_type(part.content_type)
    ):
        raise BadRequest(
            f"attachment contentType {declared_type!r} disagrees with its part's Content-Type "
            f"{part.content_type!r} (ATT-010)",
            path=path,
        )


def _with_content_type(part: AttachmentPart, attachment: Mapping[str, object]) -> AttachmentPart:
    declared_type = attachment.get("contentType")
    if part.content_type or not isinstance(declared_type, str):
        return part
    return replace(part, content_type=declared_type)


def build_multipart_response(
    json_body: bytes, attachments: Iterable[tuple[str, str, bytes]]
) -> tuple[bytes, str]:
    """A whole `multipart/mixed` response body and its Content-Type header (ATT-014/015)."""
    chunks, content_type = iter_multipart_response(json_body, attachments)
    return b"".join(chunks), content_type


def iter_multipart_response(
    json_body: bytes, attachments: Iterable[tuple[str, str, bytes]]
) -> tuple[Iterator[bytes], str]:
    """The response body as chunks, and its Content-Type header with a random boundary.

    ATT-014: the statements first as application/json, then each payload with its hash,
    `Content-Transfer-Encoding: binary`, Content-Type and Content-Length. ATT-015: a payload
    several attachments share (same sha2) is sent once. The boundary is checked against the
    data so that it can never occur inside a part.
    """
    distinct: dict[str, tuple[str, bytes]] = {}
    for sha2, content_type, data in attachments:
        distinct.setdefault(sha2.lower(), (_safe_header_value(content_type), data))
    boundary = _new_boundary([json_body, *(data for _, data in distinct.values())])
    return _chunks(boundary, json_body, distinct), f"multipart/mixed; boundary={boundary}"


def _new_boundary(payloads: list[bytes]) -> str:
    while True:
        boundary = f"lrs-{secrets.token_hex(16)}"
        marker = boundary.encode("ascii")
        if not any(marker in payload for payload in payloads):
            return boundary


def _safe_header_value(value: str) -> str:
    # Stored content types were validated, but a header must never carry a line break.
    if not value or not value.isprintable():
        return "application/octet-stream"
    return value


def _chunks(
    boundary: str, json_body: bytes, distinct: Mapping[str, tuple[str, bytes]]
) -> Iterator[bytes]:
    dash = b"--" + boundary.encode("ascii")
    yield dash + _CRLF
    yield _header_block({"Content-Type": "application/json", "Content-Length": len(json_body)})
    yield json_body
    for sha2, (content_type, data) in distinct.items():
        yield _CRLF + dash + _CRLF
        yield _header_block(
            {
                "Content-Type": content_type,
                "Content-Transfer-Encoding": "binary",
                HASH_HEADER: sha2,
                "Content-Length": len(data),
            }
        )
        yield data
    yield _CRLF + dash + b"--" + _CRLF


def _header_block(headers: Mapping[str, object]) -> bytes:
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return lines.encode("latin-1") + _CRLF


def attachment_part(index: int, headers: dict[str, str], payload: bytes) -> AttachmentPart:
    """One attachment payload checked as a multipart part is (ATT-005/006/008/013), for
    containers other than a multipart body (`lrs.xapi.bulk_format`); `headers` lowercase."""
    return _attachment_part(index, headers, payload)
