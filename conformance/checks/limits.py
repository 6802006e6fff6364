"""Size and rate limits (LIM-*)."""

from __future__ import annotations

from ..http import Session
from ..registry import check
from ..xapi import fetch, post, statement

AREA = "limits"


@check("LIM-002", "ST-VAL-016", area=AREA)
def reasonably_large_statement_accepted(s: Session) -> None:
    """A statement with a 200 kB extension is accepted (or refused with 413 only)."""
    sent = statement(result={"extensions": {"http://example.com/ext/big": "y" * 200_000}})
    response = post(s, sent)
    s.expect_status(response, 200, 413)
    if response.status_code == 200:
        got = fetch(s, s.json(response)[0])
        s.expect(got["result"] == sent["result"], "large extension not stored intact")


@check("LIM-006", "ST-VAL-017", area=AREA)
def large_batch_accepted_or_413(s: Session) -> None:
    """A batch of 150 statements is stored, or refused with 413 if too large."""
    response = post(s, [statement() for _ in range(150)])
    s.expect_status(response, 200, 413)
    if response.status_code == 200:
        s.expect(len(s.json(response)) == 150, "not 150 ids")
