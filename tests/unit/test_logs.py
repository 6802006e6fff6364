"""The access line: written straight by the JSON handler (`lrs.logs.log_access`), it is the
line `logging` and JsonFormatter would write, and it still honours the level and any other
logging set-up."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import orjson
import pytest

from lrs.logs import access_log, configure_logging, log_access, request_id_var


@pytest.fixture
def stderr(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """JSON logs (as `lrs serve` sets them up) into a buffer; the test run's own set-up
    is put back afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buffer)
    configure_logging("INFO")
    try:
        yield buffer
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def _lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in buffer.getvalue().splitlines()]


def test_the_direct_line_is_the_formatters_line(stderr: io.StringIO) -> None:
    token = request_id_var.set("req-1")
    try:
        log_access("POST", "/xAPI/statements", 200, 1.25)
        access_log.info(
            "%s %s %s",
            "POST",
            "/xAPI/statements",
            200,
            extra={"status": 200, "duration_ms": 1.25},
        )
    finally:
        request_id_var.reset(token)
    direct, through_logging = _lines(stderr)
    assert list(direct) == list(through_logging)  # the same keys, in the same order
    assert direct.pop("time") != ""
    through_logging.pop("time")
    assert direct == through_logging
    assert direct == {
        "level": "INFO",
        "logger": "lrs.access",
        "message": "POST /xAPI/statements 200",
        "request_id": "req-1",
        "status": 200,
        "duration_ms": 1.25,
    }


def test_no_line_below_the_level(stderr: io.StringIO) -> None:
    logging.getLogger().setLevel(logging.WARNING)
    log_access("GET", "/xAPI/about", 200, 0.5)
    assert stderr.getvalue() == ""


def test_other_handlers_get_the_line_through_logging(
    stderr: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="lrs.access"):
        log_access("GET", "/xAPI/about", 404, 0.5)
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("lrs.access", "GET /xAPI/about 404")
    ]
    assert caplog.records[0].__dict__["status"] == 404
    assert _lines(stderr)[0]["message"] == "GET /xAPI/about 404"  # and the JSON line too


def test_a_logger_cut_off_from_the_root_writes_nothing(
    stderr: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access_log, "propagate", False)
    log_access("GET", "/xAPI/about", 200, 0.5)
    assert stderr.getvalue() == ""


def test_a_closed_stderr_is_not_an_error(stderr: io.StringIO) -> None:
    stderr.close()
    log_access("GET", "/xAPI/about", 200, 0.5)  # nothing raised into the request
