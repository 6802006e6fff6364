"""Attachments over HTTP with real multipart/mixed bodies (ATT-001..015, CT-001..004)."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import uuid
from typing import Any

import httpx
import pytest

from tests.factories import make_attachment, make_statement, make_substatement

URL = "/xAPI/statements"
BOUNDARY = "xapi-=_'()+,./:?boundary"


def part(
    data: bytes,
    *,
    content_type: str | None = "text/plain",
    sha2: str | None = None,
    extra: dict[str, str] | None = None,
) -> bytes:
    headers = {} if content_type is None else {"Content-Type": content_type}
    headers["Content-Transfer-Encoding"] = "binary"
    headers["X-Experience-API-Hash"] = sha2 if sha2 is not None else sha256(data)
    headers.update(extra or {})
    return b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items()) + b"\r\n" + data


def multipart(
    statements: object,
    *parts: bytes,
    first_type: str = "application/json",
    boundary: str = BOUNDARY,
) -> tuple[bytes, dict[str, str]]:
    """A multipart/mixed body: the statement part, then the given attachment parts."""
    first = f"Content-Type: {first_type}\r\n\r\n".encode() + json.dumps(statements).encode()
    delimiter = f"--{boundary}".encode()
    body = b"".join(delimiter + b"\r\n" + p + b"\r\n" for p in (first, *parts))
    body += delimiter + b"--\r\n"
    return body, {"Content-Type": f'multipart/mixed; boundary="{boundary}"'}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def post_multipart(
    client: httpx.AsyncClient, statements: object, *parts: bytes, **kw: Any
) -> httpx.Response:
    body, headers = multipart(statements, *parts, **kw)
    return await client.post(URL, content=body, headers=headers)


def read_multipart(response: httpx.Response) -> list[tuple[dict[str, str], bytes]]:
    """The parts of a multipart response as (headers, raw bytes)."""
    raw = f"Content-Type: {response.headers['content-type']}\r\n\r\n".encode() + response.content
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    assert message.is_multipart()
    out = []
    for sub in message.iter_parts():
        payload = sub.get_payload(decode=True)
        assert isinstance(payload, bytes)
        out.append(({k.lower(): str(v) for k, v in sub.items()}, payload))
    return out


async def test_post_with_attachment_and_get_it_back(client: httpx.AsyncClient) -> None:
    """ATT-001/002/007, ATT-014: stored with its data, returned in multipart/mixed with the
    statement first and the raw bytes after, with hash and encoding headers."""
    data = "binary ✓ \x00\xff".encode("utf-8", "surrogatepass") + bytes(range(256))
    statement = make_statement(attachments=[make_attachment(data, contentType="image/png")])
    response = await post_multipart(client, statement, part(data, content_type="image/png"))
    assert response.status_code == 200, response.text
    [sid] = response.json()
    plain = await client.get(URL, params={"statementId": sid})
    assert plain.headers["content-type"].startswith("application/json")  # STR-R-011
    got = await client.get(URL, params={"statementId": sid, "attachments": "true"})
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("multipart/mixed")  # STR-R-012
    (json_headers, json_body), (att_headers, att_body) = read_multipart(got)
    assert json_headers["content-type"].startswith("application/json")
    assert json.loads(json_body)["id"] == sid
    assert att_body == data
    assert att_headers["x-experience-api-hash"] == sha256(data)
    assert att_headers["content-transfer-encoding"] == "binary"
    assert att_headers["content-type"] == "image/png"


async def test_put_with_attachment(client: httpx.AsyncClient) -> None:
    """ATT-001 for PUT."""
    data = b"put payload"
    statement = make_statement(attachments=[make_attachment(data)])
    body, headers = multipart(statement, part(data))
    response = await client.put(
        URL, params={"statementId": statement["id"]}, content=body, headers=headers
    )
    assert response.status_code == 204, response.text


async def test_shared_payload_sent_once(client: httpx.AsyncClient) -> None:
    """ATT-011, ATT-015: one part serves several Attachments across a batch; a query with
    attachments=true sends each distinct payload once."""
    reg = str(uuid.uuid4())
    shared, other = b"shared bytes " + uuid.uuid4().bytes, b"other " + uuid.uuid4().bytes
    batch = [
        make_statement(context={"registration": reg}, attachments=[make_attachment(shared)]),
        make_statement(
            context={"registration": reg},
            attachments=[make_attachment(shared), make_attachment(other)],
        ),
    ]
    response = await post_multipart(client, batch, part(shared), part(other))
    assert response.status_code == 200, response.text
    got = await client.get(URL, params={"registration": reg, "attachments": "true"})
    parts = read_multipart(got)
    assert json.loads(parts[0][1])["more"] == ""
    assert sorted(p[1] for p in parts[1:]) == sorted([shared, other])


async def test_sha384_sha512_and_substatement_attachment(client: httpx.AsyncClient) -> None:
    """ATT-013: SHA-384 and SHA-512 digests; ST-VAL-086: a SubStatement may carry
    attachments, whose data arrives like any other."""
    a, b = b"three eight four", b"five one two"
    sha384, sha512 = hashlib.sha384(a).hexdigest(), hashlib.sha512(b).hexdigest()
    sub = make_substatement(attachments=[make_attachment(b, sha2=sha512)])
    statement = make_statement(object=sub, attachments=[make_attachment(a, sha2=sha384)])
    response = await post_multipart(client, statement, part(a, sha2=sha384), part(b, sha2=sha512))
    assert response.status_code == 200, response.text


async def test_file_url_only_in_json_and_in_multipart(client: httpx.AsyncClient) -> None:
    """CT-002, ATT-012: fileUrl attachments need no data, as JSON or as multipart."""
    attachment = make_attachment(b"elsewhere", fileUrl="https://files.example.com/a.txt")
    statement = make_statement(attachments=[attachment])
    assert (await client.post(URL, json=statement)).status_code == 200
    response = await post_multipart(client, make_statement(attachments=[attachment]))
    assert response.status_code == 200, response.text
    assert (await post_multipart(client, make_statement())).status_code == 200


async def test_attachment_without_data_in_json_is_400(client: httpx.AsyncClient) -> None:
    """CT-003."""
    statement = make_statement(attachments=[make_attachment(b"missing")])
    assert (await client.post(URL, json=statement)).status_code == 400


def _bad_cases() -> list[tuple[str, Any]]:
    data = b"payload"
    good = make_attachment(data)
    return [
        ("no part for the attachment (ATT-009)", ([good], [])),
        ("part without hash header (ATT-005)", ([good], [b"Content-Type: text/plain\r\n\r\n"])),
        ("hash does not match bytes (ATT-008)", ([good], [part(data, sha2=sha256(b"other"))])),
        (
            "part Content-Type disagrees with contentType (ATT-010)",
            ([good], [part(data, content_type="image/gif")]),
        ),
        (
            "part Content-Length disagrees (ATT-010)",
            ([good], [part(data, extra={"Content-Length": "3"})]),
        ),
    ]


@pytest.mark.parametrize(("why", "case"), _bad_cases(), ids=[c[0] for c in _bad_cases()])
async def test_multipart_errors(client: httpx.AsyncClient, why: str, case: Any) -> None:
    attachments, parts = case
    statement = make_statement(attachments=attachments)
    response = await post_multipart(client, statement, *parts)
    assert response.status_code == 400, why
    assert (await client.get(URL, params={"statementId": statement["id"]})).status_code == 404


async def test_first_part_must_be_json(client: httpx.AsyncClient) -> None:
    """ATT-004."""
    response = await post_multipart(client, make_statement(), first_type="text/plain")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"not multipart at all", 'multipart/mixed; boundary="abc"'),
        (b"--abc\r\nContent-Type: application/json\r\n\r\n{}\r\n--abc--", "multipart/mixed"),
        (b"", 'multipart/mixed; boundary="abc"'),
    ],
)
async def test_broken_multipart_is_400(
    client: httpx.AsyncClient, content: bytes, content_type: str
) -> None:
    """ATT-002, CT-004: missing boundary, no parts, empty body."""
    response = await client.post(URL, content=content, headers={"Content-Type": content_type})
    assert response.status_code == 400


async def test_invalid_statement_in_multipart_stores_no_payload(
    client: httpx.AsyncClient,
) -> None:
    """ATT-003, ERR-009: a refused statement part stores nothing."""
    data = b"never stored " + uuid.uuid4().bytes
    bad = make_statement(verb={"id": "no-scheme"}, attachments=[make_attachment(data)])
    response = await post_multipart(client, bad, part(data))
    assert response.status_code == 400
