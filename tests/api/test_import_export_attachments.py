"""`lrs export` / `lrs import` with attachment payloads (lrs.xapi.bulk_format): the exact
round trip, plain NDJSON on request, and bad attachment lines reported by number."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from lrs.auth.principal import authority_for
from lrs.cli import app as cli_app
from lrs.services.bulk import ImportLine, ImportReport, batches, export_lines, import_statements
from lrs.services.statements import Attachment
from lrs.xapi.bulk_format import ATTACHMENT_KEY, encode_attachment_line
from lrs.xapi.versions import XapiVersion
from tests.api.test_statements_attachments import multipart, part, read_multipart
from tests.conftest import DATA_TABLES
from tests.factories import make_attachment, make_statement

AUTHORITY = authority_for("importer", "importer")
BINARY = bytes(range(256)) * 3 + b"\r\n--not-a-boundary\n"
TEXT = b"hello attachments"


def _engine(app: FastAPI) -> AsyncEngine:
    engine: AsyncEngine = app.state.lrs.engine
    return engine


async def _export(engine: AsyncEngine, *, attachments: bool = True) -> bytes:
    chunks = export_lines(engine, since=None, until=None, attachments=attachments, chunk=2)
    return b"".join([line async for _, lines in chunks for line in lines])


async def _import(engine: AsyncEngine, data: bytes, **kwargs: Any) -> ImportReport:
    return await import_statements(engine, io.BytesIO(data), authority=AUTHORITY, **kwargs)


async def _truncate(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.exec_driver_sql(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")


async def _post_with_payloads(client: httpx.AsyncClient) -> list[str]:
    """Three statements: one with a binary payload, two sharing a text payload (ATT-011),
    and a fileUrl-only one without payload."""
    binary = make_attachment(BINARY, contentType="application/octet-stream")
    text = make_attachment(TEXT)
    file_url = make_attachment(b"elsewhere", fileUrl="https://example.com/a.txt")
    statements = [
        make_statement(attachments=[binary, text]),
        make_statement(attachments=[text]),
        make_statement(attachments=[file_url]),
        make_statement(),
    ]
    body, headers = multipart(
        statements,
        part(BINARY, content_type="application/octet-stream"),
        part(TEXT, content_type="text/plain"),
    )
    response = await client.post("/xAPI/statements", content=body, headers=headers)
    assert response.status_code == 200, response.text
    ids: list[str] = response.json()
    return ids


async def test_export_then_import_carries_payloads_exactly(
    app: FastAPI, client: httpx.AsyncClient, clean_db: None
) -> None:
    """ATT-007/009/011 on restore: payload lines precede their statement, the import pairs
    them by sha2, and a second export is byte for byte the first; the payloads come back
    from GET ?attachments=true (ATT-014)."""
    engine = _engine(app)
    ids = await _post_with_payloads(client)
    before = await _export(engine)
    lines = [orjson.loads(line) for line in before.splitlines()]
    kinds = ["a" if ATTACHMENT_KEY in line else "s" for line in lines]
    # Each payload stands before every statement that uses it; fileUrl-only has none.
    assert kinds == ["a", "a", "s", "a", "s", "s", "s"]
    assert {base64.b64decode(line[ATTACHMENT_KEY]["data"]) for line in lines[:2]} == {BINARY, TEXT}

    await _truncate(engine)
    # One transaction at a time: ties in `stored` keep their order (seq) for the byte compare.
    report = await _import(engine, before, batch_size=2, jobs=1)

    assert report.ok, report.invalid
    assert (report.read, report.stored) == (4, 4)
    assert await _export(engine) == before
    answer = await client.get(
        "/xAPI/statements", params={"statementId": ids[0], "attachments": "true"}
    )
    payloads = {data for _, data in read_multipart(answer)[1:]}
    assert payloads == {BINARY, TEXT}


async def test_plain_export_has_no_payload_lines_and_refuses_on_import(
    app: FastAPI, client: httpx.AsyncClient, clean_db: None
) -> None:
    """--no-attachments writes plain NDJSON; an Attachment without fileUrl then has no data
    and its statement is refused by line number (CT-003), the others stored."""
    engine = _engine(app)
    await _post_with_payloads(client)
    plain = await _export(engine, attachments=False)
    assert ATTACHMENT_KEY.encode() not in plain
    assert len(plain.splitlines()) == 4

    await _truncate(engine)
    report = await _import(engine, plain)

    assert [number for number, _ in report.invalid] == [1, 2]
    assert "CT-003" in report.invalid[0][1]
    assert report.stored == 2


async def test_bad_attachment_lines_are_reported_by_number(app: FastAPI, clean_db: None) -> None:
    """ATT-008: a payload that does not hash to its sha2 is refused (and so is the statement
    that needed it, ATT-009); a payload that serves no attachment of the next statement makes
    that statement refused; payload lines at the end serve nothing."""
    engine = _engine(app)
    good = make_statement(attachments=[make_attachment(TEXT)])
    forged = orjson.loads(
        encode_attachment_line(hashlib.sha256(TEXT).hexdigest(), "text/plain", TEXT)
    )
    forged[ATTACHMENT_KEY]["data"] = base64.b64encode(b"other bytes").decode()
    stray = encode_attachment_line(hashlib.sha256(b"x").hexdigest(), "text/plain", b"x")
    data = (
        encode_attachment_line(hashlib.sha256(TEXT).hexdigest(), "text/plain", TEXT)
        + orjson.dumps(good)
        + b"\n"
        + orjson.dumps(forged)
        + b"\n"
        + orjson.dumps(make_statement(attachments=[make_attachment(TEXT)]))
        + b"\n"
        + stray
        + orjson.dumps(make_statement())
        + b"\n"
        + b'{"lrs:attachment": {"sha2": 5}}\n'
        + stray
    )
    report = await _import(engine, data)

    numbers = [number for number, _ in report.invalid]
    assert numbers == [3, 4, 6, 7, 8]
    assert "ATT-008" in report.invalid[0][1]
    assert "matches no attachment" in report.invalid[2][1]
    assert "serve no statement" in report.invalid[4][1]
    assert report.stored == 1


def test_batches_are_cut_by_payload_bytes() -> None:
    """Constant memory: a batch holds at most `max_bytes` of payloads (plus one statement)."""
    big = Attachment("a" * 64, "text/plain", b"x" * 600)
    lines = [ImportLine(n, {}, XapiVersion.V2_0_0, (big,)) for n in range(10)]
    sizes = [len(batch) for batch in batches(iter(lines), 500, max_bytes=1000)]
    assert sizes == [2, 2, 2, 2, 2]
    plain = [ImportLine(n, {}, XapiVersion.V2_0_0) for n in range(10)]
    assert [len(b) for b in batches(iter(plain), 4, max_bytes=1000)] == [4, 4, 2]


@pytest.fixture
async def posted_payloads(client: httpx.AsyncClient, clean_db: None) -> list[str]:
    return await _post_with_payloads(client)


def test_cli_round_trip_and_plain_option(
    posted_payloads: list[str],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`lrs export` writes payload lines by default and none with --no-attachments; `lrs
    import` of the default file finds everything stored already (exit 0)."""
    monkeypatch.setenv("LRS_DATABASE_URL", database_url)
    runner = CliRunner()
    full, plain = tmp_path / "full.ndjson", tmp_path / "plain.ndjson"
    assert runner.invoke(cli_app, ["export", "--output", str(full)]).exit_code == 0
    result = runner.invoke(cli_app, ["export", "--no-attachments", "--output", str(plain)])
    assert result.exit_code == 0, result.output
    assert "exported 4 statements" in result.output
    assert full.read_bytes().count(ATTACHMENT_KEY.encode()) == 3
    assert ATTACHMENT_KEY.encode() not in plain.read_bytes()

    again = runner.invoke(cli_app, ["import", str(full)])
    assert again.exit_code == 0, again.output
    assert "already stored 4" in again.output


def test_import_of_a_missing_file_is_one_line(tmp_path: Path, database_url: str) -> None:
    """Issue 12 §3: no traceback, a non-zero exit, the file named."""
    runner = CliRunner()
    missing = tmp_path / "nope.ndjson"
    result = runner.invoke(
        cli_app, ["import", str(missing)], env={"LRS_DATABASE_URL": database_url}
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"error: cannot read {str(missing)!r}: No such file or directory"]
