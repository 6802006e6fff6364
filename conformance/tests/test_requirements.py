"""The shipped checklist parses into the IDs, levels and version scopes the registry relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import coverage, requirements
from conformance.registry import load_all

SHARED = Path(__file__).resolve().parents[3] / "shared" / "xapi" / "REQUIREMENTS.md"


def test_levels_and_versions() -> None:
    reqs = requirements.load()
    assert len(reqs) > 300
    assert reqs["HDR-001"].level("1.0.3") == "MUST"
    assert reqs["ST-VAL-008"].level("1.0.3") == "SHOULD"
    assert reqs["ST-VAL-008"].level("2.0.0") == "MUST"  # "[2.0] SHALL"
    assert reqs["ALT-001"].applies_to("1.0.3")
    assert not reqs["ALT-001"].applies_to("2.0.0")
    assert not reqs["ST-VAL-109"].applies_to("1.0.3")
    assert reqs["AUTH-010"].conditional == "only if OAuth 1.0 is offered"


@pytest.mark.parametrize("version", requirements.VERSIONS)
def test_must_coverage_at_least_95_percent(version: str) -> None:
    cov = coverage.compute(load_all().values(), version)
    assert cov.must_percent >= 95.0
    assert all(cov.reason(r) != "no check written yet" for r in cov.missing)


def test_every_check_cites_known_ids() -> None:
    reqs = requirements.load()
    for check in load_all().values():
        assert check.ids
        assert all(i in reqs for i in check.ids), check.name


@pytest.mark.skipif(not SHARED.exists(), reason="shared requirement list not beside the repo")
def test_shipped_copy_matches_shared_list() -> None:
    assert requirements.DATA_FILE.read_text(encoding="utf-8") == SHARED.read_text(encoding="utf-8")
