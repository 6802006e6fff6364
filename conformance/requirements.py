"""The requirement checklist shipped with the suite, parsed into IDs, levels and version scope.

The checklist is a copy of the project's REQUIREMENTS.md kept in ``data/`` so integrators
running the suite against their own LRS have the same text the checks cite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

V1 = "1.0.3"
V2 = "2.0.0"
VERSIONS = (V1, V2)

DATA_FILE = Path(__file__).parent / "data" / "REQUIREMENTS.md"

_LINE = re.compile(
    r"^- \[[ x]\] \*\*(?P<id>[A-Z]+(?:-[A-Z]+)*-\d+)\*\* "
    r"(?P<level>MUST NOT|MUST|SHOULD\* NOT|SHOULD NOT|SHOULD\*|SHOULD|MAY)"
    r"(?P<rest>.*)$"
)
_ONLY_V1 = re.compile(r"\[2\.0\] (removed|dropped|line dropped|not applicable|replaced by ST-)")
_ONLY_V2 = re.compile(r"\[2\.0\] new")
_SHALL_V2 = re.compile(r"\[2\.0\] (SHALL|the one-language rule is SHALL)")
_SHOULD_V2 = re.compile(r"\[2\.0\] the LRS SHOULD NOT")
_SECTION = re.compile(r"^### [\d.]+ (?P<title>.+)$")

RANK = {"MAY": 0, "SHOULD": 1, "MUST": 2}


@dataclass(frozen=True)
class Requirement:
    """One checklist line: its ID, the level as written, and the text."""

    id: str
    raw_level: str
    text: str
    section: str

    @property
    def conditional(self) -> str | None:
        """The condition under which the line applies, e.g. "only if OAuth 1.0 is offered"."""
        match = re.match(r"\s*\(derived\)?\s*\((only if [^)]*)\)|\s*\((only if [^)]*)\)", self.text)
        if match is None:
            return None
        return match.group(1) or match.group(2)

    def applies_to(self, version: str) -> bool:
        """Whether the line is in force for that xAPI version (ALT/OAuth are 1.0.3 only)."""
        if _ONLY_V1.search(self.text):
            return version == V1
        if _ONLY_V2.search(self.text):
            return version == V2
        return True

    def level(self, version: str) -> str:
        """MUST, SHOULD or MAY for that version; SHOULD* counts as SHOULD unless 2.0 says SHALL."""
        base = self.raw_level.split()[0].rstrip("*")
        if version == V2 and base == "SHOULD" and _SHALL_V2.search(self.text):
            return "MUST"
        if version == V2 and base == "MUST" and _SHOULD_V2.search(self.text):
            return "SHOULD"
        return base


def parse(text: str) -> dict[str, Requirement]:
    """Parse checklist text into requirements keyed by ID, in document order."""
    found: dict[str, Requirement] = {}
    section = ""
    for line in text.splitlines():
        heading = _SECTION.match(line)
        if heading:
            section = heading.group("title")
            continue
        match = _LINE.match(line)
        if match:
            rid = match.group("id")
            found[rid] = Requirement(rid, match.group("level"), match.group("rest"), section)
    return found


@cache
def load() -> dict[str, Requirement]:
    """The shipped checklist."""
    return parse(DATA_FILE.read_text(encoding="utf-8"))
