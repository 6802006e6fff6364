"""Tests for lrs.xapi.multipart: parsing, pairing and building multipart/mixed (ATT-*)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from typing import Any

import pytest

from lrs.errors import BadRequest
from lrs.xapi.multipart import (
    AttachmentPart,
    build_multipart_response,
    iter_attachments,
    iter_multipart_response,
    match_attachments,
    media_type,
    multipart_type_from_body,
    parse_multipart_statements,
)

BOUNDARY = "abcABC0123'()+_,-./:=?"
CT = f'multipart/mixed; boundary="{BOUNDARY}"'
DATA = b"here is a simple attachment\r\n--not a boundary\x00\xff"
SHA = hashlib.sha256(DATA).hexdigest()
STATEMENT = b'[{"verb": {"id": "http://example.com/v"}}]'


def body(
    *parts: tuple[dict[str, str], bytes],
    boundary: str = BOUNDARY,
    nl: bytes = b"\r\n",
    preamble: bytes = b"",
    epilogue: bytes = b"",
) -> bytes:
    dash = b"--" + boundary.encode()
    out = preamble
    for headers, payload in parts:
        out += dash + nl
        out += b"".join(f"{k}: {v}".encode() + nl for k, v in headers.items())
        out += nl + payload + nl
    return out + dash + b"--" + nl + epilogue


def statement_part(payload: bytes = STATEMENT) -> tuple[dict[str, str], bytes]:
    return {"Content-Type": "application/json"}, payload


def attachment_part(
    data: bytes = DATA, sha: str | None = None, **extra: str
) -> tuple[dict[str, str], bytes]:
    headers = {
        "Content-Type": "text/plain",
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": sha if sha is not None else hashlib.sha256(data).hexdigest(),
    }
    headers.update({k.replace("_", "-"): v for k, v in extra.items()})
    return headers, data


def reject(raw: bytes, content_type: str = CT) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        parse_multipart_statements(raw, content_type)
    return caught.value


# --- parsing: framing (ATT-001, ATT-002) ---


def test_att001_statement_and_attachment_parts() -> None:
    parsed = parse_multipart_statements(body(statement_part(), attachment_part()), CT)
    assert parsed.statement_part == STATEMENT
    assert parsed.statement_content_type == "application/json"
    assert list(parsed.parts) == [SHA]
    part = parsed.parts[SHA]
    assert part.data == DATA
    assert part.sha2 == SHA
    assert part.content_type == "text/plain"
    assert part.headers["x-experience-api-hash"] == SHA
    assert part.index == 1


SPEC_EXAMPLE = (
    b"--abcABC0123'()+_,-./:=?\r\n"
    b"Content-Type:application/json\r\n"
    b"\r\n"
    b'{"actor": {"mbox": "mailto:sample.agent@example.com"}, "attachments": []}\r\n'
    b"--abcABC0123'()+_,-./:=?\r\n"
    b"Content-Type:text/plain\r\n"
    b"Content-Transfer-Encoding:binary\r\n"
    b"X-Experience-API-Hash:495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a\r\n"
    b"\r\n"
    b"here is a simple attachment\r\n"
    b"--abcABC0123'()+_,-./:=?--"
)


def test_att002_specification_example_with_unquoted_boundary() -> None:
    ct = "multipart/mixed; boundary=abcABC0123'()+_,-./:=?"
    parsed = parse_multipart_statements(SPEC_EXAMPLE, ct)
    assert parsed.statement_part.startswith(b'{"actor"')
    [part] = parsed.parts.values()
    assert part.data == b"here is a simple attachment"
    assert part.content_type == "text/plain"


def test_att002_quoted_boundary_with_special_characters() -> None:
    raw = body(statement_part(), attachment_part())
    assert parse_multipart_statements(raw, CT).parts[SHA].data == DATA


def test_att002_unquoted_boundary_and_other_parameters() -> None:
    raw = body(statement_part(), boundary="simple-boundary")
    ct = "Multipart/Mixed; charset=utf-8; BOUNDARY=simple-boundary; x=y"
    assert parse_multipart_statements(raw, ct).statement_part == STATEMENT


def test_att002_preamble_and_epilogue_are_ignored() -> None:
    raw = body(
        statement_part(),
        attachment_part(),
        preamble=b"This is a preamble\r\n",
        epilogue=b"trailing words\r\n",
    )
    parsed = parse_multipart_statements(raw, CT)
    assert parsed.statement_part == STATEMENT
    assert parsed.parts[SHA].data == DATA


def test_att002_transport_padding_after_boundary() -> None:
    raw = body(statement_part()).replace(
        b"--" + BOUNDARY.encode() + b"\r\n", b"--" + BOUNDARY.encode() + b" \t\r\n"
    )
    assert parse_multipart_statements(raw, CT).statement_part == STATEMENT


def test_att002_boundary_prefix_inside_data_is_not_a_delimiter() -> None:
    data = b"start\r\n--" + BOUNDARY.encode() + b"XYZ more data"
    raw = body(statement_part(), attachment_part(data))
    assert parse_multipart_statements(raw, CT).parts[hashlib.sha256(data).hexdigest()].data == data


def test_att002_lf_only_framing_is_tolerated() -> None:
    raw = body(statement_part(), attachment_part(b"plain data"), nl=b"\n")
    parsed = parse_multipart_statements(raw, CT)
    assert parsed.statement_part == STATEMENT
    assert parsed.parts[hashlib.sha256(b"plain data").hexdigest()].data == b"plain data"


def test_att002_crlf_framing_does_not_split_on_bare_lf_delimiter() -> None:
    data = b"binary\n--" + BOUNDARY.encode() + b"\nstill data"
    raw = body(statement_part(), attachment_part(data))
    assert parse_multipart_statements(raw, CT).parts[hashlib.sha256(data).hexdigest()].data == data


def test_att002_closing_boundary_without_final_newline() -> None:
    raw = body(statement_part()).rstrip(b"\r\n")
    assert parse_multipart_statements(raw, CT).statement_part == STATEMENT


def test_att002_folded_part_header() -> None:
    raw = body(({"Content-Type": "application/json;\r\n charset=utf-8"}, STATEMENT))
    parsed = parse_multipart_statements(raw, CT)
    assert parsed.statement_content_type == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/mixed",
        "multipart/mixed; boundary=",
        'multipart/mixed; boundary=""',
        'multipart/mixed; boundary="unterminated',
        "multipart/mixed; charset=utf-8",
    ],
)
def test_att002_missing_boundary_is_400(content_type: str) -> None:
    error = reject(body(statement_part()), content_type)
    assert "boundary" in error.message
    assert error.path == "header:Content-Type"


def test_att001_wrong_content_type_is_400() -> None:
    error = reject(body(statement_part()), f"multipart/form-data; boundary={BOUNDARY}")
    assert error.path == "header:Content-Type"


def test_att001_no_parts_is_400() -> None:
    raw = b"--" + BOUNDARY.encode() + b"--\r\n"
    assert "no parts" in reject(raw).message


def test_att002_boundary_absent_from_body_is_400() -> None:
    assert "boundary" in reject(b'[{"a": 1}]').message


def test_att002_unterminated_body_is_400() -> None:
    raw = body(statement_part(), attachment_part())
    raw = raw[: raw.rindex(b"\r\n--")]
    error = reject(raw)
    assert "closing boundary" in error.message
    assert error.path == "multipart"


def test_att002_part_without_header_terminator_is_400() -> None:
    raw = b"--b\r\nContent-Type: application/json\r\n--b--\r\n"
    error = reject(raw, "multipart/mixed; boundary=b")
    assert error.path == "multipart:part[0]"


def test_att002_malformed_header_line_is_400() -> None:
    raw = body(({"Content-Type": "application/json", "nonsense without colon x": ""}, STATEMENT))
    raw = raw.replace(b"nonsense without colon x: ", b"nonsense without colon")
    assert reject(raw).path == "multipart:part[0]"


# --- parsing: the statement part (ATT-004, CT-006) ---


def test_ct006_statement_part_with_parameters() -> None:
    raw = body(({"content-type": "Application/JSON; charset=UTF-8"}, STATEMENT))
    parsed = parse_multipart_statements(raw, CT)
    assert parsed.statement_content_type == "Application/JSON; charset=UTF-8"


@pytest.mark.parametrize("headers", [{"Content-Type": "text/plain"}, {}])
def test_att004_first_part_not_json_is_400(headers: dict[str, str]) -> None:
    error = reject(body((headers, STATEMENT), attachment_part()))
    assert "ATT-004" in error.message
    assert error.path == "multipart:part[0]"


# --- parsing: attachment parts (ATT-005, ATT-006, ATT-008, ATT-013) ---


def test_att005_part_without_hash_is_400() -> None:
    headers, data = attachment_part()
    del headers["X-Experience-API-Hash"]
    error = reject(body(statement_part(), attachment_part(b"ok"), (headers, data)))
    assert "ATT-005" in error.message
    assert error.path == "multipart:part[2]"


def test_att006_missing_transfer_encoding_means_binary() -> None:
    headers, data = attachment_part()
    del headers["Content-Transfer-Encoding"]
    assert parse_multipart_statements(body(statement_part(), (headers, data)), CT).parts[SHA]


def test_att006_base64_part_is_decoded_and_hashed_decoded() -> None:
    encoded = base64.encodebytes(DATA)
    raw = body(
        statement_part(),
        attachment_part(encoded, sha=SHA, Content_Transfer_Encoding="BASE64"),
    )
    assert parse_multipart_statements(raw, CT).parts[SHA].data == DATA


def test_att006_invalid_base64_is_400() -> None:
    raw = body(
        statement_part(),
        attachment_part(b"!!!not base64", sha=SHA, Content_Transfer_Encoding="base64"),
    )
    assert reject(raw).path == "multipart:part[1]"


def test_att006_other_transfer_encoding_is_400() -> None:
    raw = body(statement_part(), attachment_part(Content_Transfer_Encoding="quoted-printable"))
    error = reject(raw)
    assert "quoted-printable" in error.message
    assert error.path == "multipart:part[1]"


@pytest.mark.parametrize("encoding", ["8bit", "7bit", "Binary"])
def test_att006_identity_encodings_are_accepted(encoding: str) -> None:
    raw = body(statement_part(), attachment_part(Content_Transfer_Encoding=encoding))
    assert parse_multipart_statements(raw, CT).parts[SHA].data == DATA


def test_att008_hash_mismatch_is_400() -> None:
    raw = body(statement_part(), attachment_part(sha=hashlib.sha256(b"other").hexdigest()))
    error = reject(raw)
    assert "ATT-008" in error.message
    assert error.path == "multipart:part[1]"


@pytest.mark.parametrize("algorithm", ["sha256", "sha384", "sha512"])
def test_att013_sha2_family_by_hex_length(algorithm: str) -> None:
    digest = hashlib.new(algorithm, DATA).hexdigest()
    raw = body(statement_part(), attachment_part(sha=digest.upper()))
    assert parse_multipart_statements(raw, CT).parts[digest].sha2 == digest


@pytest.mark.parametrize("declared", ["abc", "z" * 64, hashlib.sha1(DATA).hexdigest()])
def test_att013_unknown_digest_shape_is_400(declared: str) -> None:
    error = reject(body(statement_part(), attachment_part(sha=declared)))
    assert "ATT-013" in error.message


def test_att010_part_content_length_mismatch_is_400() -> None:
    raw = body(statement_part(), attachment_part(Content_Length=str(len(DATA) + 1)))
    assert "Content-Length" in reject(raw).message


def test_part_content_length_matching_is_accepted() -> None:
    raw = body(statement_part(), attachment_part(Content_Length=str(len(DATA))))
    assert parse_multipart_statements(raw, CT).parts[SHA].data == DATA


def test_repeated_hash_header_is_400() -> None:
    raw = body(statement_part(), attachment_part())
    raw = raw.replace(
        b"X-Experience-API-Hash", b"X-Experience-API-Hash: x\r\nX-Experience-API-Hash", 1
    )
    assert "repeats" in reject(raw).message


def test_att011_same_payload_sent_twice_is_kept_once() -> None:
    raw = body(statement_part(), attachment_part(), attachment_part())
    parsed = parse_multipart_statements(raw, CT)
    assert list(parsed.parts) == [SHA]
    assert parsed.parts[SHA].index == 1


def test_part_without_content_type_has_empty_content_type() -> None:
    headers, data = attachment_part()
    del headers["Content-Type"]
    assert (
        parse_multipart_statements(body(statement_part(), (headers, data)), CT)
        .parts[SHA]
        .content_type
        == ""
    )


def test_ten_megabyte_body_is_fast() -> None:
    data = bytes(range(256)) * (10 * 1024 * 1024 // 256)
    raw = body(statement_part(), attachment_part(data))
    started = time.perf_counter()
    parsed = parse_multipart_statements(raw, CT)
    assert time.perf_counter() - started < 2.0
    assert parsed.parts[hashlib.sha256(data).hexdigest()].data == data


# --- pairing (ATT-007, ATT-009, ATT-010, ATT-011) ---


def attachment(sha2: str = SHA, **extra: Any) -> dict[str, Any]:
    return {
        "usageType": "http://example.com/usage",
        "display": {"en-US": "A"},
        "contentType": "text/plain",
        "length": len(DATA),
        "sha2": sha2,
        **extra,
    }


def part(data: bytes = DATA, content_type: str = "text/plain", index: int = 1) -> AttachmentPart:
    sha2 = hashlib.sha256(data).hexdigest()
    return AttachmentPart(content_type, data, sha2, {}, index)


def test_att007_pairs_by_sha2() -> None:
    parts = {SHA: part()}
    assert match_attachments([{"attachments": [attachment()]}], parts) == parts


def test_att007_sha2_compared_case_insensitively() -> None:
    parts = {SHA: part()}
    assert match_attachments([{"attachments": [attachment(SHA.upper())]}], parts) == parts


def test_att011_one_part_serves_several_attachments_across_statements() -> None:
    statements = [{"attachments": [attachment(), attachment()]}, {"attachments": [attachment()]}]
    assert list(match_attachments(statements, {SHA: part()})) == [SHA]


def test_att007_substatement_attachments_are_paired() -> None:
    statement = {"object": {"objectType": "SubStatement", "attachments": [attachment()]}}
    assert list(match_attachments([statement], {SHA: part()})) == [SHA]


def test_att009_attachment_without_part_or_file_url_is_400() -> None:
    statements: list[dict[str, Any]] = [{}, {"attachments": [attachment("ab" * 32)]}]
    with pytest.raises(BadRequest) as caught:
        match_attachments(statements, {})
    assert caught.value.path == "$[1].attachments[0]"
    assert "ATT-009" in caught.value.message


def test_att009_substatement_path() -> None:
    statement = {"object": {"objectType": "SubStatement", "attachments": [attachment()]}}
    with pytest.raises(BadRequest) as caught:
        match_attachments([statement], {}, batch=False)
    assert caught.value.path == "$.object.attachments[0]"


def test_att012_file_url_attachment_needs_no_part() -> None:
    statements = [{"attachments": [attachment(fileUrl="http://example.com/f")]}, {}]
    assert match_attachments(statements, {}) == {}


def test_att010_content_type_disagreement_is_400() -> None:
    with pytest.raises(BadRequest) as caught:
        match_attachments([{"attachments": [attachment()]}], {SHA: part(content_type="image/png")})
    assert caught.value.path == "$[0].attachments[0]"
    assert "ATT-010" in caught.value.message


def test_att010_content_type_compared_without_parameters_or_case() -> None:
    parts = {SHA: part(content_type="Text/Plain; charset=utf-8")}
    assert match_attachments([{"attachments": [attachment()]}], parts) == parts


def test_ref_005_length_disagreement_is_accepted() -> None:
    """Parts are matched by hash alone; a differing `length` is no reason to refuse."""
    parts = {SHA: part()}
    assert match_attachments([{"attachments": [attachment(length=3)]}], parts) == parts


def test_part_without_content_type_takes_the_attachments() -> None:
    stored = match_attachments([{"attachments": [attachment()]}], {SHA: part(content_type="")})
    assert stored[SHA].content_type == "text/plain"


def test_unmatched_part_is_400() -> None:
    extra = part(b"extra", index=2)
    with pytest.raises(BadRequest) as caught:
        match_attachments([{"attachments": [attachment()]}], {SHA: part(), extra.sha2: extra})
    assert caught.value.path == "multipart:part[2]"


def test_iter_attachments_paths() -> None:
    statement = {
        "attachments": [attachment(), "junk"],
        "object": {"objectType": "SubStatement", "attachments": [attachment()]},
    }
    paths = [path for path, _ in iter_attachments([{}, statement])]
    assert paths == ["$[1].attachments[0]", "$[1].object.attachments[0]"]


def test_media_type() -> None:
    assert media_type(" Application/JSON ; charset=utf-8") == "application/json"


# --- responses (ATT-014, ATT-015) ---


def test_att014_response_round_trips_through_the_parser() -> None:
    json_body = json.dumps({"statements": []}).encode()
    other = b"\x00\x01 binary"
    other_sha = hashlib.sha256(other).hexdigest()
    payload, content_type = build_multipart_response(
        json_body, [(SHA, "text/plain", DATA), (other_sha, "application/octet-stream", other)]
    )
    assert re.fullmatch(r"multipart/mixed; boundary=[0-9a-z-]+", content_type)
    parsed = parse_multipart_statements(payload, content_type)
    assert parsed.statement_part == json_body
    assert parsed.parts[SHA].data == DATA
    assert parsed.parts[other_sha].data == other
    headers = parsed.parts[other_sha].headers
    assert headers["content-transfer-encoding"] == "binary"
    assert headers["content-type"] == "application/octet-stream"
    assert headers["content-length"] == str(len(other))


def test_att015_shared_payload_sent_once() -> None:
    payload, _ = build_multipart_response(
        b"{}", [(SHA, "text/plain", DATA), (SHA.upper(), "text/plain", DATA)]
    )
    assert payload.count(DATA) == 1
    assert payload.count(b"X-Experience-API-Hash") == 1


def test_att014_boundaries_are_random() -> None:
    _, first = build_multipart_response(b"{}", [])
    _, second = build_multipart_response(b"{}", [])
    assert first != second


def test_att014_header_values_never_break_lines() -> None:
    payload, content_type = build_multipart_response(
        b"{}", [(SHA, "text/plain\r\nX-Evil: 1", DATA)]
    )
    assert b"X-Evil" not in payload
    assert parse_multipart_statements(payload, content_type).parts[SHA].content_type == (
        "application/octet-stream"
    )


def test_att014_streaming_variant_matches_whole_body() -> None:
    chunks, content_type = iter_multipart_response(b"{}", [(SHA, "text/plain", DATA)])
    payload = b"".join(chunks)
    parsed = parse_multipart_statements(payload, content_type)
    assert parsed.statement_part == b"{}"
    assert parsed.parts[SHA].data == DATA


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"--0158137568346025\r\nContent-Type: application/json\r\n\r\n{}", "0158137568346025"),
        (b"--" + BOUNDARY.encode() + b"\r\nContent-Type: application/json\r\n", BOUNDARY),
        (b"--a b \t\r\nX: y\r\n", "a b"),  # transport padding after it
        (b"--abc\nContent-Type: application/json\n", "abc"),  # bare LF framing
        (b"--" + b"b" * 70 + b"\r\nX: y", "b" * 70),
    ],
)
def test_a_body_opening_with_a_delimiter_names_its_boundary(body: bytes, expected: str) -> None:
    content_type = multipart_type_from_body(body)
    assert content_type == f'multipart/mixed; boundary="{expected}"'
    assert media_type(content_type) == "multipart/mixed"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b'{"actor": {}}',
        b"--",
        b"--abc",  # no line end
        b"--abc\r\n",  # nothing after it
        b"--abc\r\n\r\n{}",  # no header line after it
        b"--\r\nX: y",  # an empty boundary
        b"--" + b"b" * 71 + b"\r\nX: y",  # longer than RFC 2046 allows
        b"--{abc}\r\nX: y",  # characters a boundary cannot hold
        b" --abc\r\nX: y",  # not at the very start
        b"\r\n--abc\r\nX: y",  # a preamble: never sent without the header
    ],
)
def test_anything_else_is_not_taken_for_multipart(body: bytes) -> None:
    assert multipart_type_from_body(body) is None


def test_the_named_boundary_parses_the_body() -> None:
    """The Content-Type it gives reads the body as the same request sent labelled would."""
    body = (
        f"--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n".encode()
        + STATEMENT
        + f"\r\n--{BOUNDARY}\r\nX-Experience-API-Hash: {SHA}\r\n\r\n".encode()
        + DATA
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    content_type = multipart_type_from_body(body)
    assert content_type is not None
    assert parse_multipart_statements(body, content_type) == parse_multipart_statements(body, CT)


def _run_on_body(payloads: list[bytes]) -> bytes:
    """A body as @xapi/xapi writes it: each payload but the last runs on into the next
    delimiter, with no line ending between them."""
    body = f"--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n".encode() + STATEMENT
    body += b"\r\n"
    for data in payloads:
        digest = hashlib.sha256(data).hexdigest()
        body += f"--{BOUNDARY}\r\nX-Experience-API-Hash: {digest}\r\n\r\n".encode() + data
    return body + f"\r\n--{BOUNDARY}--\r\n".encode()


@pytest.mark.parametrize(
    "payloads",
    [
        [b"first", b"second"],
        [b"ends with its own line end\r\n", b"second"],  # the CRLF stays in the data
        [b"a\r\n", b"b\r\n", b"c"],
    ],
)
def test_delimiters_running_on_from_the_data_are_read_by_the_hashes(payloads: list[bytes]) -> None:
    request = parse_multipart_statements(_run_on_body(payloads), CT)
    assert json.loads(request.statement_part) == json.loads(STATEMENT)
    assert sorted(part.data for part in request.parts.values()) == sorted(payloads)


def test_a_wrong_payload_keeps_the_first_readings_error() -> None:
    body = _run_on_body([b"first", b"second"]).replace(b"second", b"tampered")
    with pytest.raises(BadRequest) as caught:
        parse_multipart_statements(body, CT)
    assert "ATT-008" in str(caught.value)
    assert caught.value.path == "multipart:part[1]"


def test_many_near_delimiters_inside_data_stay_data() -> None:
    """ATT-002: text that only starts like a delimiter (the boundary followed by more text, or
    by padding and no line end) is data, however often it occurs."""
    data = b"\r\n--" + BOUNDARY.encode() + b"x" + b"\r\n--" + BOUNDARY.encode() + b"  y"
    data *= 2000
    digest = hashlib.sha256(data).hexdigest()
    body = (
        f"--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n".encode()
        + STATEMENT
        + f"\r\n--{BOUNDARY}\r\nX-Experience-API-Hash: {digest}\r\n\r\n".encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    [part] = parse_multipart_statements(body, CT).parts.values()
    assert part.data == data
