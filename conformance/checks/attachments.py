"""Attachments in multipart/mixed bodies (ATT-*, CT-002/003, STR-R-012)."""

from __future__ import annotations

import json

import httpx

from ..http import Session
from ..multipart import Part, attachment_object, build, data_part, json_part, parse, sha
from ..registry import check
from ..xapi import Json, post, statement, uid

AREA = "attachments"


def send(
    s: Session,
    parts: list[Part],
    boundary: str = "xapi-conformance-boundary",
    sid: str | None = None,
) -> httpx.Response:
    """POST (or PUT with ``sid``) a multipart statement request."""
    body, ctype = build(parts, boundary)
    if sid:
        return s.request(
            "PUT",
            "statements",
            params={"statementId": sid},
            content=body,
            headers={"Content-Type": ctype},
        )
    return s.request("POST", "statements", content=body, headers={"Content-Type": ctype})


def with_attachment(data: bytes, bits: int = 256, ctype: str = "text/plain") -> Json:
    """A statement with one attachment describing ``data``."""
    return statement(attachments=[attachment_object(data, ctype, bits)])


def unique_data() -> bytes:
    """Attachment bytes unique to this call (so hashes never collide across runs)."""
    return f"attachment data {uid()}\n\x00\xff binary tail".encode("latin-1")


@check("ATT-001", "ATT-003", "ATT-007", "STR-R-012", "ATT-014", area=AREA)
def post_and_read_back_attachment(s: Session) -> None:
    """A multipart POST is stored; GET attachments=true returns the statement then the data."""
    data = unique_data()
    response = send(s, [json_part(with_attachment(data)), data_part(data)])
    s.expect_status(response, 200)
    sid = s.json(response)[0]
    got = s.get("statements", {"statementId": sid, "attachments": "true"})
    s.expect_status(got, 200)
    ctype = got.headers.get("Content-Type", "")
    s.expect(ctype.startswith("multipart/mixed"), f"Content-Type {ctype!r}")
    parts = parse(ctype, got.content)
    s.expect(len(parts) >= 2, f"{len(parts)} parts")
    s.expect(
        parts[0].headers.get("content-type", "").startswith("application/json"),
        "first part not application/json",
    )
    s.expect(json.loads(parts[0].data).get("id") == sid, "first part is not the statement")
    data_parts = [p for p in parts[1:] if p.data == data]
    s.expect(data_parts, "attachment bytes not returned intact")
    headers = data_parts[0].headers
    s.expect(headers.get("x-experience-api-hash") == sha(data), "X-Experience-API-Hash wrong")
    s.expect(headers.get("content-transfer-encoding") == "binary", "no binary encoding header")
    s.expect(headers.get("content-type"), "attachment part lacks Content-Type")


@check("ATT-001", area=AREA)
def put_with_attachment(s: Session) -> None:
    """A multipart PUT is stored too."""
    data = unique_data()
    sid = uid()
    response = send(s, [json_part(with_attachment(data)), data_part(data)], sid=sid)
    s.expect_status(response, 204)


@check("ATT-002", area=AREA)
def quoted_boundary_with_specials(s: Session) -> None:
    """A quoted boundary using RFC 2046 special characters is honoured."""
    data = unique_data()
    parts = [json_part(with_attachment(data)), data_part(data)]
    s.expect_status(send(s, parts, boundary="conf'()+_,-./:=?boundary"), 200)


@check("ATT-004", area=AREA)
def first_part_must_be_json(s: Session) -> None:
    """A first part that is not application/json is refused."""
    data = unique_data()
    first = ({"Content-Type": "text/plain"}, json.dumps(with_attachment(data)).encode())
    s.expect_status(send(s, [first, data_part(data)]), 400)


@check("ATT-005", area=AREA)
def part_without_hash_refused(s: Session) -> None:
    """An attachment part without X-Experience-API-Hash is refused."""
    data = unique_data()
    headers, raw = data_part(data)
    del headers["X-Experience-API-Hash"]
    s.expect_status(send(s, [json_part(with_attachment(data)), (headers, raw)]), 400)


@check("ATT-006", area=AREA)
def binary_encoding_assumed(s: Session) -> None:
    """A part without Content-Transfer-Encoding is read as binary."""
    data = unique_data()
    headers, raw = data_part(data)
    del headers["Content-Transfer-Encoding"]
    s.expect_status(send(s, [json_part(with_attachment(data)), (headers, raw)]), 200)


@check("ATT-008", area=AREA)
def part_bytes_must_match_hash(s: Session) -> None:
    """Part bytes that do not hash to the declared hash are refused."""
    data = unique_data()
    headers, _ = data_part(data)
    s.expect_status(send(s, [json_part(with_attachment(data)), (headers, data + b"!")]), 400)


@check("ATT-009", "CT-003", area=AREA)
def missing_attachment_data_refused(s: Session) -> None:
    """An Attachment without fileUrl needs its data part, in multipart and in plain JSON."""
    data = unique_data()
    s.expect_status(send(s, [json_part(with_attachment(data))]), 400, why="multipart")
    s.expect_status(post(s, with_attachment(data)), 400, why="application/json")


@check("ATT-010", area=AREA)
def part_headers_must_agree(s: Session) -> None:
    """A part whose Content-Type disagrees with the Attachment's contentType is refused."""
    data = unique_data()
    headers, raw = data_part(data, content_type="image/png")
    s.expect_status(send(s, [json_part(with_attachment(data)), (headers, raw)]), 400)


@check("ATT-011", "ATT-015", area=AREA)
def one_part_for_several_statements(s: Session) -> None:
    """One part serves several Attachment objects with the same sha2 across a batch."""
    data = unique_data()
    reg = uid()
    batch = [with_attachment(data), with_attachment(data)]
    for st in batch:
        st["context"] = {"registration": reg}
    s.expect_status(send(s, [json_part(batch), data_part(data)]), 200)
    got = s.get("statements", {"registration": reg, "attachments": "true"})
    s.expect_status(got, 200)
    parts = parse(got.headers.get("Content-Type", ""), got.content)
    copies = sum(1 for p in parts[1:] if p.data == data)
    s.expect(copies == 1, f"payload sent {copies} times")


@check("ATT-012", area=AREA)
def multipart_without_attachments(s: Session) -> None:
    """Multipart bodies whose statement has no attachments are accepted."""
    s.expect_status(send(s, [json_part(statement())]), 200)


@check("ATT-013", area=AREA)
def sha384_and_sha512(s: Session) -> None:
    """SHA-384 and SHA-512 digests are recognised."""
    for bits in (384, 512):
        data = unique_data()
        parts = [json_part(with_attachment(data, bits)), data_part(data, bits=bits)]
        s.expect_status(send(s, parts), 200, why=f"SHA-{bits}")


@check("ATT-017", "CT-002", area=AREA)
def unreachable_file_url_accepted(s: Session) -> None:
    """A fileUrl that cannot be fetched is no reason to refuse."""
    att = attachment_object(b"x")
    att["fileUrl"] = "http://127.0.0.1:9/never/there.txt"
    s.expect_status(post(s, statement(attachments=[att])), 200)
