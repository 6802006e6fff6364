"""X-Experience-API-Version negotiation (HDR-002..008, VER-001, VER-004, VER-005)."""

from __future__ import annotations

import enum
import re

from lrs.errors import VersionError

VERSION_HEADER = "X-Experience-API-Version"


class XapiVersion(enum.StrEnum):
    """The rule sets this LRS implements, named by the version it answers with."""

    V1_0_3 = "1.0.3"
    V2_0_0 = "2.0.0"

    @property
    def statement_version(self) -> str:
        """The `version` stored on statements accepted under this rule set (VER-004)."""
        return "1.0.0" if self is XapiVersion.V1_0_3 else "2.0.0"

    @property
    def is_legacy(self) -> bool:
        return self is XapiVersion.V1_0_3


SUPPORTED = (XapiVersion.V1_0_3, XapiVersion.V2_0_0)

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


def negotiate(header: str | None) -> XapiVersion:
    """Pick the rule set for a request from its version header.

    `1.0` and every `1.0.x` select 1.0.3 (HDR-003, HDR-004); `2.0` and every `2.0.x`
    select 2.0.0. Anything else, or no header, is a 400 with an explanation
    (HDR-005..008).
    """
    if header is None or header.strip() == "":
        raise VersionError(
            f"missing {VERSION_HEADER} header; this LRS speaks 1.0.3 and 2.0.0",
            path=f"header:{VERSION_HEADER}",
        )
    match = _VERSION_RE.match(header.strip())
    if match is not None:
        major, minor = int(match.group(1)), int(match.group(2))
        if (major, minor) == (1, 0):
            return XapiVersion.V1_0_3
        if (major, minor) == (2, 0):
            return XapiVersion.V2_0_0
    raise VersionError(
        f"unsupported {VERSION_HEADER} {header!r}; this LRS speaks 1.0.x (answered as 1.0.3) "
        "and 2.0.x (answered as 2.0.0)",
        path=f"header:{VERSION_HEADER}",
    )
