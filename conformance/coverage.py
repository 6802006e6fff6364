"""Which requirement IDs the registered checks cover, per xAPI version."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .registry import Check
from .requirements import Requirement, load

# Lines no black-box check can decide, with the reason shown by --coverage.
UNTESTED: dict[str, str] = {
    "AUTH-012": "only if OAuth 1.0 is offered (needs a full OAuth 1.0 dance)",
    "AUTH-013": "only if OAuth 1.0 is offered (needs a full OAuth 1.0 dance)",
    "ST-PROC-010": "only if OAuth 1.0 is offered (needs a full OAuth 1.0 dance)",
    "AUTH-011": "only if OAuth 1.0 is offered (needs a full OAuth 1.0 dance)",
    "ATT-016": "concerns LRS-to-LRS forwarding, not observable through the xAPI",
    "STR-M-004": "needs a 24-hour wait",
    "ST-PROC-021": "needs the LRS to reach an activity host on the network",
    "ST-PROC-003": "the LRS clock cannot be observed reliably from outside",
    "ST-VOID-010": "permission with no observable duty",
    "LIM-003": "permission (rate limits) with no observable duty",
    "ST-VAL-014": "permission (best-effort IRI checks) with no observable duty",
    "ST-VAL-017": "permission (refusing large or malicious statements) with no observable duty",
    "AUTH-007": "permission (narrowing results) with no observable duty",
    "STR-M-005": "permission on server-side storage, not observable",
    "STR-M-007": "permission on re-running queries, not observable",
    "ST-PROC-007": "permission on trusted credentials, not observable",
    "STR-W-010": "permission to acknowledge before indexing; covered indirectly by ORD-008",
    "STR-Q-005": "permission (matching mbox_sha1sum) with no observable duty",
    "VER-003": "permission on 0.9/0.95 conversion; those versions are not tested",
}


@dataclass(frozen=True)
class Coverage:
    """Coverage of one xAPI version's requirements by the registered checks."""

    version: str
    covered: dict[str, list[str]]
    missing: list[Requirement]
    not_applicable: list[Requirement]
    must_total: int
    must_covered: int

    @property
    def must_percent(self) -> float:
        """Share of applicable MUST IDs with at least one check."""
        return 100.0 * self.must_covered / self.must_total if self.must_total else 100.0

    def reason(self, req: Requirement) -> str:
        """Why a requirement has no check."""
        return UNTESTED.get(req.id) or req.conditional or "no check written yet"


def compute(checks: Iterable[Check], version: str) -> Coverage:
    """Coverage for ``version``: an ID counts once a check applicable to that version cites it."""
    reqs = load()
    covered: dict[str, list[str]] = {}
    for c in checks:
        if c.applies_to(version):
            for rid in c.ids:
                covered.setdefault(rid, []).append(c.name)
    applicable = [r for r in reqs.values() if r.applies_to(version)]
    musts = [r for r in applicable if r.level(version) == "MUST"]
    return Coverage(
        version=version,
        covered=covered,
        missing=[r for r in applicable if r.id not in covered],
        not_applicable=[r for r in reqs.values() if not r.applies_to(version)],
        must_total=len(musts),
        must_covered=sum(1 for r in musts if r.id in covered),
    )
