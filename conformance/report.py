"""Human, JSON and JUnit renderings of a run."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO
from xml.etree import ElementTree as ET

from .coverage import Coverage
from .http import Exchange
from .registry import AREAS, Check
from .runner import FAILED, PASSED, SKIPPED, WARNING, Result


def counts(results: Iterable[Result]) -> Counter[str]:
    """Number of results per status."""
    return Counter(r.status for r in results)


def _exchange_lines(ex: Exchange) -> list[str]:
    lines = [f"      > {ex.method} {ex.url}"]
    lines += [f"      >   {k}: {v}" for k, v in ex.request_headers.items()]
    if ex.request_body:
        lines.append(f"      >   body: {ex.request_body}")
    if ex.status is None:
        lines.append(f"      < no response: {ex.error}")
        return lines
    lines.append(f"      < {ex.status}")
    lines += [f"      <   {k}: {v}" for k, v in ex.response_headers.items()]
    if ex.response_body:
        lines.append(f"      <   body: {ex.response_body}")
    return lines


def write_text(
    out: TextIO, results: list[Result], not_applicable: list[Check], verbose: bool = False
) -> None:
    """Failures grouped by area with their exchanges, then warnings, then the totals."""
    _write_failures(out, [r for r in results if r.status == FAILED])
    warned = [r for r in results if r.status == WARNING]
    if warned:
        out.write("\nWARNINGS (SHOULD/MAY, not failures)\n")
        for r in warned:
            out.write(f"  WARN {r.check.name} [{', '.join(r.check.ids)}]: {r.message}\n")
    skipped = [r for r in results if r.status == SKIPPED]
    if skipped and verbose:
        out.write("\nSKIPPED\n")
        for r in skipped:
            out.write(f"  SKIP {r.check.name}: {r.message}\n")
    if not_applicable:
        out.write(f"\n{len(not_applicable)} checks not applicable to this xAPI version\n")
    c = counts(results)
    out.write(f"\n{c[PASSED]} passed, {c[FAILED]} failed\n")
    out.write(f"{c[SKIPPED]} skipped, {c[WARNING]} warnings\n")


def _write_failures(out: TextIO, failed: list[Result]) -> None:
    """Each area's failed checks, with what they test, why they failed and the last three
    exchanges."""
    if failed:
        out.write("\nFAILURES (MUST)\n")
    for area in AREAS:
        group = [r for r in failed if r.check.area == area]
        if not group:
            continue
        out.write(f"\n== {area} ({len(group)} failed)\n")
        for r in group:
            out.write(f"  FAIL {r.check.name} [{', '.join(r.check.ids)}]\n")
            if r.check.doc:
                out.write(f"    what: {r.check.doc}\n")
            out.write(f"    why:  {r.message}\n")
            shown = r.exchanges[-3:]
            if len(r.exchanges) > len(shown):
                out.write(f"    (last {len(shown)} of {len(r.exchanges)} exchanges)\n")
            for ex in shown:
                out.write("\n".join(_exchange_lines(ex)) + "\n")


def write_coverage(out: TextIO, cov: Coverage) -> None:
    """IDs without a check (with the reason), the not-applicable ones, and MUST coverage."""
    out.write(f"Requirement coverage for xAPI {cov.version}\n")
    out.write(f"\nIDs with no check ({len(cov.missing)}):\n")
    for req in cov.missing:
        out.write(f"  {req.id:<14} {req.level(cov.version):<6} {cov.reason(req)}\n")
    out.write(f"\nNot applicable to {cov.version} ({len(cov.not_applicable)}):\n")
    out.write("  " + " ".join(r.id for r in cov.not_applicable) + "\n")
    out.write(f"\nMUST coverage: {cov.must_covered}/{cov.must_total} = {cov.must_percent:.1f}%\n")


def coverage_dict(cov: Coverage) -> dict[str, Any]:
    """JSON-ready coverage summary."""
    return {
        "version": cov.version,
        "must_covered": cov.must_covered,
        "must_total": cov.must_total,
        "must_percent": round(cov.must_percent, 1),
        "missing": [
            {"id": r.id, "level": r.level(cov.version), "reason": cov.reason(r)}
            for r in cov.missing
        ],
        "not_applicable": [r.id for r in cov.not_applicable],
    }


def write_json(
    path: Path,
    results: list[Result],
    not_applicable: list[Check],
    meta: dict[str, Any],
    cov: Coverage,
) -> None:
    """The machine-readable report."""
    c = counts(results)
    data = {
        **meta,
        "summary": {
            "passed": c[PASSED],
            "failed": c[FAILED],
            "warnings": c[WARNING],
            "skipped": c[SKIPPED],
            "not_applicable": len(not_applicable),
        },
        "failed_ids": sorted({i for r in results if r.status == FAILED for i in r.check.ids}),
        "results": [r.to_dict() for r in results],
        "not_applicable": [{"name": c.name, "ids": list(c.ids)} for c in not_applicable],
        "coverage": coverage_dict(cov),
    }
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def write_junit(path: Path, results: list[Result]) -> None:
    """JUnit XML: one testcase per check, a testsuite per area; warnings are system-out."""
    root = ET.Element("testsuites", name="xapi-conformance")
    for area in AREAS:
        group = [r for r in results if r.check.area == area]
        if not group:
            continue
        c = counts(group)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=area,
            tests=str(len(group)),
            failures=str(c[FAILED]),
            skipped=str(c[SKIPPED]),
        )
        for r in group:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=area,
                name=f"{r.check.name} [{' '.join(r.check.ids)}]",
                time=f"{r.seconds:.3f}",
            )
            detail = "\n".join(line for ex in r.exchanges[-3:] for line in _exchange_lines(ex))
            if r.status == FAILED:
                ET.SubElement(case, "failure", message=r.message).text = detail
            elif r.status == SKIPPED:
                ET.SubElement(case, "skipped", message=r.message)
            elif r.status == WARNING:
                ET.SubElement(case, "system-out").text = f"WARNING ({r.level}): {r.message}"
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
