"""Hostile bodies and parameters get a clear 4xx JSON error and leave nothing stored: huge and
streamed bodies (ERR-011), deep nesting, very long strings, wrong content types (CT-004),
broken multipart (ATT-001..008), invalid UTF-8 (HDR-012); none is a 500 (ERR-016)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from lrs.settings import Settings
from tests.factories import make_agent, make_attachment, make_statement

pytestmark = pytest.mark.usefixtures("clean_db")

STATE = "/xAPI/activities/state"
JSON = {"Content-Type": "application/json"}
CHUNK = 64 * 1024


def _state(state_id: str = "s") -> dict[str, str]:
    return {
        "activityId": "http://example.com/bad-input",
        "agent": json.dumps(make_agent(who="bad-input")),
        "stateId": state_id,
    }


def _assert_4xx(response: httpx.Response, *statuses: int) -> None:
    assert response.status_code in (statuses or (400,)), response.text[:500]
    body = response.json()
    assert body["error"]["status"] == response.status_code
    assert "Traceback" not in response.text


async def _assert_not_stored(client: httpx.AsyncClient, statement_id: str) -> None:
    got = await client.get("/xAPI/statements", params={"statementId": statement_id})
    assert got.status_code == 404


# -- size ---------------------------------------------------------------------------------


async def test_declared_huge_body_is_413_before_it_is_read(client: httpx.AsyncClient) -> None:
    """ERR-011: a Content-Length past LRS_MAX_BODY_BYTES is refused from the headers."""
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(1024):
            sent += CHUNK
            yield b" " * CHUNK

    response = await client.post(
        "/xAPI/statements",
        content=body(),
        headers={**JSON, "Content-Length": str(1024 * CHUNK)},
    )
    _assert_4xx(response, 413)
    assert sent <= CHUNK, "the body was read although its declared size was too large"


async def test_streamed_huge_body_is_413_and_reading_stops_at_the_limit(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """ERR-011, bounded memory: a chunked 64 MiB body is cut off once it passes the limit;
    the server pulls at most one chunk past it, so it never holds the whole body."""
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(1024):
            sent += CHUNK
            yield b"[" + b" " * (CHUNK - 1)

    response = await client.post("/xAPI/statements", content=body(), headers=JSON)
    _assert_4xx(response, 413)
    assert sent <= settings.max_body_bytes + 2 * CHUNK


async def test_a_batch_past_the_statement_limit_is_413(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    batch = [make_statement() for _ in range(settings.max_batch_statements + 1)]
    response = await client.post("/xAPI/statements", json=batch)
    _assert_4xx(response, 413)
    await _assert_not_stored(client, batch[0]["id"])


# -- nesting ------------------------------------------------------------------------------

DEEP = 100_000


def _deep_extension(depth: int) -> bytes:
    marker = '"__deep__"'
    text = json.dumps(make_statement(result={"extensions": {"http://example.com/e": "__deep__"}}))
    return text.replace(marker, "[" * depth + "]" * depth).encode()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * DEEP + b"]" * DEEP, id="arrays"),
        pytest.param(b'{"a":' * DEEP + b"1" + b"}" * DEEP, id="objects"),
        pytest.param(b"[" * DEEP, id="unclosed"),
        pytest.param(_deep_extension(DEEP), id="extension-value"),
    ],
)
async def test_deeply_nested_statement_bodies_are_400(
    client: httpx.AsyncClient, body: bytes
) -> None:
    """ERR-004: 100k levels of nesting are malformed input, not a RecursionError 500."""
    _assert_4xx(await client.post("/xAPI/statements", content=body, headers=JSON))


@pytest.mark.parametrize("depth", [300, 900])
async def test_moderately_nested_extension_values_are_stored_or_refused(
    client: httpx.AsyncClient, depth: int
) -> None:
    response = await client.post("/xAPI/statements", content=_deep_extension(depth), headers=JSON)
    assert response.status_code in (200, 400), response.text


async def test_deeply_nested_documents_and_parameters_are_400(client: httpx.AsyncClient) -> None:
    """A JSON merge (DOC-003) and a JSON-valued parameter (ERR-007) parse the same way."""
    deep = b"{" + b'"a":[' * DEEP + b"]" * DEEP + b"}"
    assert (await client.put(STATE, params=_state(), json={"x": 1})).status_code == 204
    _assert_4xx(await client.post(STATE, params=_state(), content=deep, headers=JSON))
    agent = "[" * 8_000 + "]" * 8_000  # as deep as a URL allows
    _assert_4xx(await client.get("/xAPI/statements", params={"agent": agent}))
    assert (await client.get(STATE, params=_state())).json() == {"x": 1}


# -- long strings -------------------------------------------------------------------------


async def test_very_long_strings_are_stored_exactly_or_refused_as_too_large(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A 1.5 MB language map value and a 2 kB IRI round-trip; a 60 kB IRI is too long for an
    identifier (400); past the body limit: 413."""
    too_long = make_statement(object={"id": "http://example.com/" + "a" * 60_000})
    _assert_4xx(await client.post("/xAPI/statements", json=too_long), 400)
    await _assert_not_stored(client, too_long["id"])
    long_iri = "http://example.com/" + "a" * 2_000
    statement = make_statement(
        verb={"id": "http://example.com/v", "display": {"en": "x" * 1_500_000}},
        object={"id": long_iri},
    )
    assert (await client.post("/xAPI/statements", json=statement)).status_code == 200
    got = await client.get("/xAPI/statements", params={"statementId": statement["id"]})
    assert got.json()["verb"] == statement["verb"]
    found = await client.get("/xAPI/statements", params={"activity": long_iri})
    assert [s["id"] for s in found.json()["statements"]] == [statement["id"]]

    too_big = make_statement(result={"response": "y" * settings.max_body_bytes})
    _assert_4xx(await client.post("/xAPI/statements", json=too_big), 413)
    await _assert_not_stored(client, too_big["id"])


async def test_a_very_long_document_id_round_trips(client: httpx.AsyncClient) -> None:
    state_id = "s" * 60_000
    assert (await client.put(STATE, params=_state(state_id), json={"k": 1})).status_code == 204
    assert (await client.get(STATE, params=_state(state_id))).json() == {"k": 1}


# -- content types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "image/png",
        "multipart/form-data; boundary=xyz",
        "multipart/mixed",
        "multipart/mixed; boundary=",
        "application/jsonx",
    ],
)
async def test_statements_under_a_wrong_content_type_are_400(
    client: httpx.AsyncClient, content_type: str
) -> None:
    """CT-004: JSON under another type is refused, and nothing is stored."""
    statement = make_statement()
    response = await client.post(
        "/xAPI/statements",
        content=orjson.dumps(statement),
        headers={"Content-Type": content_type},
    )
    _assert_4xx(response)
    await _assert_not_stored(client, statement["id"])


# -- multipart ----------------------------------------------------------------------------


def _multipart(statement: dict[str, Any], payload: bytes, changes: dict[str, bytes]) -> bytes:
    """A valid statement + one attachment body; ``changes`` swap named pieces for broken ones."""
    pieces: dict[str, bytes] = {
        "statement": orjson.dumps(statement),
        "hash": statement["attachments"][0]["sha2"].encode(),
        "payload": payload,
        "close": b"\r\n--B--\r\n",
        "encoding": b"binary",
    }
    pieces.update(changes)
    return (
        b"--B\r\nContent-Type: application/json\r\n\r\n"
        + pieces["statement"]
        + b"\r\n--B\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: "
        + pieces["encoding"]
        + b"\r\nX-Experience-API-Hash: "
        + pieces["hash"]
        + b"\r\n\r\n"
        + pieces["payload"]
        + pieces["close"]
    )


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"close": b""}, id="no-closing-boundary"),
        pytest.param({"hash": b"0" * 64}, id="wrong-hash"),
        pytest.param({"hash": b""}, id="empty-hash"),
        pytest.param({"payload": b"other bytes"}, id="payload-differs"),
        pytest.param({"statement": b"{not json"}, id="statement-not-json"),
        pytest.param({"statement": b"\xff\xfe"}, id="statement-not-utf8"),
        pytest.param({"encoding": b"base64"}, id="not-base64"),
        pytest.param({"close": b"\r\n--C--\r\n"}, id="other-boundary"),
    ],
)
async def test_broken_multipart_is_400_and_stores_nothing(
    client: httpx.AsyncClient, changes: dict[str, bytes]
) -> None:
    payload = b"attachment bytes"
    statement = make_statement(attachments=[make_attachment(payload)])
    response = await client.post(
        "/xAPI/statements",
        content=_multipart(statement, payload, changes),
        headers={"Content-Type": "multipart/mixed; boundary=B"},
    )
    _assert_4xx(response)
    await _assert_not_stored(client, statement["id"])


async def test_the_valid_multipart_control_is_stored(client: httpx.AsyncClient) -> None:
    """The unbroken body of the test above is accepted, so each refusal is the change's."""
    payload = b"attachment bytes"
    statement = make_statement(attachments=[make_attachment(payload)])
    response = await client.post(
        "/xAPI/statements",
        content=_multipart(statement, payload, {}),
        headers={"Content-Type": "multipart/mixed; boundary=B"},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\xfd",
        b'{"actor": {"mbox": "mailto:\xc3\x28@example.com"}}',
        b'[{"verb": "\xed\xa0\x80"}]',  # an encoded surrogate
        b'{"id": "\x80"}',
    ],
)
async def test_invalid_utf8_bodies_are_400(client: httpx.AsyncClient, body: bytes) -> None:
    """HDR-012: every string is UTF-8; anything else is malformed JSON."""
    _assert_4xx(await client.post("/xAPI/statements", content=body, headers=JSON))
    _assert_4xx(await client.post(STATE, params=_state(), content=body, headers=JSON))


@pytest.mark.parametrize("name", ["statementId", "agent", "activity", "since"])
async def test_invalid_utf8_in_query_parameters_is_400(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await client.get(f"/xAPI/statements?{name}=%FF%FE%C3%28")
    _assert_4xx(response)


async def test_nul_characters_are_refused_not_500(client: httpx.AsyncClient) -> None:
    """PostgreSQL cannot store U+0000; a statement or id holding one is a 400."""
    statement = make_statement(result={"response": "a\u0000b"})
    _assert_4xx(await client.post("/xAPI/statements", json=statement))
    await _assert_not_stored(client, statement["id"])
    _assert_4xx(await client.put(STATE, params=_state("a\x00b"), json={"k": 1}))
    _assert_4xx(await client.get(STATE, params=_state("a\x00b")))
    unused = str(uuid.uuid4())
    _assert_4xx(await client.get("/xAPI/statements", params={"registration": unused + "\x00"}))
