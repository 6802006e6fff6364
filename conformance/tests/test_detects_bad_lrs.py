"""The suite, run through its public entry point, catches a deliberately wrong LRS.

Cites the IDs the bad LRS breaks: HDR-001 (no version header), HDR-006 (no version check),
AUTH-003 (no credentials check), ST-VAL-* (accepts every statement), STR-Q-* (ignores filters),
CONC-001 (no ETag).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.tests.bad_lrs import BadServer, start

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bad_lrs() -> Iterator[str]:
    server: BadServer
    server, url = start()
    yield url
    server.shutdown()
    server.server_close()


def run_suite(url: str, tmp_path: Path, *args: str) -> tuple[int, str, dict[str, Any]]:
    report = tmp_path / "report.json"
    junit = tmp_path / "junit.xml"
    command = [
        sys.executable,
        "-m",
        "conformance",
        "--endpoint",
        url,
        "--user",
        "u",
        "--password",
        "p",
        "--report",
        str(report),
        "--junit",
        str(junit),
        *args,
    ]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=25, check=False
    )
    assert junit.read_text(encoding="utf-8").startswith("<?xml")
    return done.returncode, done.stdout, json.loads(report.read_text(encoding="utf-8"))


def failed(report: dict[str, Any]) -> dict[str, list[str]]:
    return {r["name"]: r["ids"] for r in report["results"] if r["status"] == "failed"}


def test_bad_lrs_fails_with_cited_ids(bad_lrs: str, tmp_path: Path) -> None:
    code, out, report = run_suite(
        bad_lrs,
        tmp_path,
        "--only",
        "headers,auth,statements-validation,statements-query",
        "--only",
        "concurrency",
    )
    assert code == 1
    ids = set(report["failed_ids"])
    for expected in (
        "HDR-001",
        "HDR-006",
        "AUTH-003",
        "ST-VAL-001",
        "ST-VAL-031",
        "ST-VAL-140",
        "STR-Q-006",
        "STR-Q-008",
        "CONC-001",
        "CONC-005",
    ):
        assert expected in ids, expected
    names = failed(report)
    assert names["statements-validation/post-missing-actor"] == ["ST-VAL-001"]
    assert "statements-validation/put-mbox-without-mailto" in names
    assert "statements-validation/valid-minimal" not in names
    summary = report["summary"]
    lines = out.strip().splitlines()
    assert lines[-2] == f"{summary['passed']} passed, {summary['failed']} failed"
    assert lines[-1] == f"{summary['skipped']} skipped, {summary['warnings']} warnings"
    assert "== statements-query" in out
    assert "< 200" in out


def test_should_failures_are_warnings(bad_lrs: str, tmp_path: Path) -> None:
    _, _, report = run_suite(bad_lrs, tmp_path, "--only", "cors,about")
    by_name = {r["name"]: r for r in report["results"]}
    cors = by_name["cors/preflight_without_credentials"]
    assert (cors["level"], cors["status"]) == ("SHOULD", "warning")
    assert by_name["about/about_lists_versions"]["status"] == "passed"


def test_version_scoping(bad_lrs: str, tmp_path: Path) -> None:
    _, _, v1 = run_suite(bad_lrs, tmp_path, "--only", "alternate-syntax")
    assert v1["results"]
    assert all(r["area"] == "alternate-syntax" for r in v1["results"])
    _, _, v2 = run_suite(bad_lrs, tmp_path, "--only", "alternate-syntax", "--xapi-version", "2.0.0")
    assert v2["results"] == []
    assert "ALT-001" in v2["coverage"]["not_applicable"]


def test_coverage_listing() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "--coverage"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=25,
        check=True,
    )
    assert "only if OAuth 1.0 is offered" in done.stdout
    percent = float(done.stdout.strip().splitlines()[-1].split("=")[-1].rstrip("%"))
    assert percent >= 95.0
