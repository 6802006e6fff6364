"""A multipart/mixed statement body sent as `application/octet-stream` (CT-004, ATT-001..013).

@xapi/xapi 3.x on Node.js builds its attachment requests as multipart/mixed with the boundary
in its Content-Type header, but its HTTP library (axios) sends the body as
`application/octet-stream`. The bodies below are the bytes it sends, captured from the
library: a boundary of 16 digits, a `Content-Disposition` header on the statement part, the
closing delimiter after a CRLF. With two payloads or more the library puts the next delimiter
straight after a payload's last byte, with no CRLF before it (RFC 2046 wants one); such a body
is read again with those delimiters, and taken only when every payload then hashes to what it
declares (ATT-008).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.api.test_statements_attachments import read_multipart, sha256
from tests.factories import make_attachment, make_statement

URL = "/xAPI/statements"
OCTETS = {"Content-Type": "application/octet-stream"}


def library_body(statements: object, *payloads: tuple[bytes, str], boundary: str) -> bytes:
    """The body @xapi/xapi builds: statement part, then each payload's part."""
    crlf = "\r\n"
    chunks = [
        crlf.join(
            [
                f"--{boundary}",
                "Content-Type: application/json",
                'Content-Disposition: form-data; name="statement"',
                "",
                json.dumps(statements),
            ]
        ).encode()
        + b"\r\n"
    ]
    for data, content_type in payloads:
        head = crlf.join(
            [
                f"--{boundary}",
                f"Content-Type: {content_type}",
                "Content-Transfer-Encoding: binary",
                f"X-Experience-API-Hash: {sha256(data)}",
            ]
        )
        chunks.append(head.encode() + b"\r\n\r\n" + data)
    chunks.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(chunks)


async def test_the_librarys_attachment_request_is_stored_and_served_back(
    client: httpx.AsyncClient,
) -> None:
    """ATT-001/002/007, ATT-014: the statement and its payload stored as from any multipart
    request, under both versions."""
    for version in ("2.0.0", "1.0.3"):
        data = b"coaching checklist " + uuid.uuid4().bytes + b"\x00\xff"
        statement = make_statement(
            attachments=[make_attachment(data, contentType="application/pdf")]
        )
        body = library_body(statement, (data, "application/pdf"), boundary="0158137568346025")
        response = await client.post(
            URL, content=body, headers={**OCTETS, "X-Experience-API-Version": version}
        )
        assert response.status_code == 200, response.text
        [sid] = response.json()
        assert sid == statement["id"]
        got = await client.get(URL, params={"statementId": sid, "attachments": "true"})
        (_, statement_part), (headers, payload) = read_multipart(got)
        assert json.loads(statement_part)["id"] == sid
        assert payload == data
        assert headers["x-experience-api-hash"] == sha256(data)


async def test_a_batch_and_a_put(client: httpx.AsyncClient) -> None:
    """ATT-001 for a batch (the library's sendStatements) and for PUT."""
    first = b"first payload"
    batch = [make_statement(attachments=[make_attachment(first)]), make_statement()]
    body = library_body(batch, (first, "text/plain"), boundary="42")
    response = await client.post(URL, content=body, headers=OCTETS)
    assert response.status_code == 200, response.text
    assert response.json() == [s["id"] for s in batch]
    one = make_statement(attachments=[make_attachment(first)])
    body = library_body(one, (first, "text/plain"), boundary="9876543210")
    response = await client.put(
        URL, params={"statementId": one["id"]}, content=body, headers=OCTETS
    )
    assert response.status_code == 204, response.text


async def test_a_large_body_goes_through_the_batch_process_the_same_way(
    client: httpx.AsyncClient,
) -> None:
    """Above 64 KiB the body is parsed in the batch process, by the same rules."""
    data = bytes(range(256)) * 400  # 100 KiB
    statement = make_statement(attachments=[make_attachment(data, contentType="image/png")])
    body = library_body(statement, (data, "image/png"), boundary="1234567890123456")
    assert len(body) > 64 * 1024
    response = await client.post(URL, content=body, headers=OCTETS)
    assert response.status_code == 200, response.text
    got = await client.get(URL, params={"statementId": statement["id"], "attachments": "true"})
    assert read_multipart(got)[1][1] == data


async def test_two_payloads_without_a_line_end_between_are_stored(
    client: httpx.AsyncClient,
) -> None:
    """The library's second delimiter runs on from the first payload's data: read again with
    it, every payload hashes to what it declares, so the batch is stored with both payloads,
    exactly as sent."""
    first, second = b"first payload\r\n", b"\x00second payload"
    batch = [
        make_statement(attachments=[make_attachment(first)]),
        make_statement(attachments=[make_attachment(second)]),
    ]
    body = library_body(batch, (first, "text/plain"), (second, "text/plain"), boundary="42")
    assert b"payload\r\n--42\r\n" in body  # the first payload's own CRLF, then no other
    response = await client.post(URL, content=body, headers=OCTETS)
    assert response.status_code == 200, response.text
    for statement, data in zip(batch, (first, second), strict=True):
        got = await client.get(URL, params={"statementId": statement["id"], "attachments": "true"})
        assert read_multipart(got)[1][1] == data


async def test_a_wrong_payload_among_run_on_delimiters_is_still_refused(
    client: httpx.AsyncClient,
) -> None:
    """ATT-008: read either way, a payload that does not hash to what it declares is refused,
    with the first reading's error, and nothing is stored."""
    first, second = b"first payload", b"second payload"
    batch = [
        make_statement(attachments=[make_attachment(first)]),
        make_statement(attachments=[make_attachment(second)]),
    ]
    body = library_body(batch, (first, "text/plain"), (b"tampered", "text/plain"), boundary="42")
    body = body.replace(sha256(b"tampered").encode(), sha256(second).encode())
    response = await client.post(URL, content=body, headers=OCTETS)
    assert response.status_code == 400
    error = response.json()["error"]
    assert "ATT-008" in error["message"]
    assert error["path"] == "multipart:part[1]"
    for statement in batch:
        missing = await client.get(URL, params={"statementId": statement["id"]})
        assert missing.status_code == 404


async def test_the_multipart_rules_still_apply(client: httpx.AsyncClient) -> None:
    """ATT-005..008: a payload that does not hash to its declared sha2 is refused as from a
    labelled multipart request, and nothing is stored."""
    data = b"declared one thing"
    statement = make_statement(attachments=[make_attachment(data)])
    wrong = library_body(statement, (b"sent another", "text/plain"), boundary="555")
    wrong = wrong.replace(sha256(b"sent another").encode(), sha256(data).encode())
    response = await client.post(URL, content=wrong, headers=OCTETS)
    assert response.status_code == 400
    assert "multipart" in response.json()["error"]["path"]
    missing = await client.get(URL, params={"statementId": statement["id"]})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("why", "content"),
    [
        ("a JSON statement", json.dumps(make_statement()).encode()),
        ("a JSON batch", json.dumps([make_statement()]).encode()),
        ("a first line that is not a delimiter", b"--{not a boundary}\r\nX: y\r\n\r\n{}"),
        ("a delimiter without a header after it", b"--abc\r\n\r\n{}\r\n--abc--\r\n"),
        ("a boundary longer than 70 characters", b"--" + b"b" * 71 + b"\r\nX: y\r\n\r\n{}"),
        ("a delimiter without a line end", b"--abc"),
        ("nothing", b""),
    ],
)
async def test_any_other_octet_stream_is_refused(
    client: httpx.AsyncClient, why: str, content: bytes
) -> None:
    """CT-004: an octet-stream body that does not open as a multipart body is not JSON
    either; 400 naming the Content-Type."""
    response = await client.post(URL, content=content, headers=OCTETS)
    assert response.status_code == 400, why
    error: dict[str, Any] = response.json()["error"]
    assert error["path"] == "header:Content-Type", why
    assert "application/octet-stream" in error["message"], why


async def test_a_multipart_body_under_another_wrong_type_is_still_refused(
    client: httpx.AsyncClient,
) -> None:
    """CT-004: only `application/octet-stream`, the type the library's body is given, is read
    this way; text/plain keeps its 400."""
    data = b"payload"
    statement = make_statement(attachments=[make_attachment(data)])
    body = library_body(statement, (data, "text/plain"), boundary="777")
    response = await client.post(URL, content=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "header:Content-Type"
