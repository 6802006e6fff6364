"""About Resource (ABT-*, HDR-009, VER-005)."""

from __future__ import annotations

import re

from ..http import Session
from ..registry import CheckFailed, check

AREA = "about"


@check("ABT-001", "ABT-002", area=AREA)
def about_lists_versions(s: Session) -> None:
    """GET /about answers a version array naming the run's version family."""
    response = s.get("about")
    s.expect_status(response, 200)
    body = s.json(response)
    versions = body.get("version") if isinstance(body, dict) else None
    if not isinstance(versions, list) or not versions:
        raise CheckFailed(f"version is {versions!r}")
    s.expect(all(isinstance(v, str) for v in versions), "version entries must be strings")
    family = "2.0." if s.is_v2 else "1.0."
    s.expect(any(v.startswith(family) for v in versions), f"{versions} lacks {family}x")
    for v in versions:
        s.expect(re.fullmatch(r"\d+\.\d+(\.\d+)?", v), f"{v!r} is not a version number")


@check("ABT-004", "ABT-003", area=AREA)
def about_has_no_other_properties(s: Session) -> None:
    """About holds only version and extensions (an object)."""
    body = s.json(s.get("about"))
    extra = set(body) - {"version", "extensions"}
    s.expect(not extra, f"unexpected properties {sorted(extra)}")
    s.expect(isinstance(body.get("extensions", {}), dict), "extensions is not an object")


@check("ABT-005", "HDR-009", area=AREA)
def about_ignores_version_header(s: Session) -> None:
    """About answers without, and despite bad, version headers."""
    for version in (None, "0.9", "9.9.9", "nonsense"):
        response = s.get("about", version=version)
        s.expect_status(response, 200, why=f"version header {version!r}")


@check("ABT-006", area=AREA)
def about_without_credentials(s: Session) -> None:
    """About can be read anonymously."""
    s.expect_status(s.get("about", auth=None), 200)


@check("VER-005", "HDR-002", area=AREA)
def about_header_names_primary_version(s: Session) -> None:
    """Without a request version, the header names the version About lists first."""
    response = s.get("about", version=None)
    header = response.headers.get("X-Experience-API-Version", "")
    versions = s.json(response).get("version", [])
    s.expect(header, "no version header on /about")
    s.expect(versions and header[:3] == str(versions[0])[:3], f"{header} vs About {versions}")
