"""Statement Resource reads: single GET, StatementResult, headers, paging via ``more``.

Cites STR-R-*, STR-M-*, LIM-005, ORD-005.
"""

from __future__ import annotations

from ..http import Session
from ..registry import check
from ..xapi import fetch, instant, query, statement, store, stored_at, uid

AREA = "statements-read"


def _registered_batch(s: Session, count: int) -> tuple[str, list[str]]:
    reg = uid()
    ids = [store(s, statement(context={"registration": reg}))[0] for _ in range(count)]
    return reg, ids


@check("STR-R-001", area=AREA)
def get_by_statement_id(s: Session) -> None:
    """statementId returns that single statement, not a StatementResult."""
    sid = store(s, statement())[0]
    got = fetch(s, sid)
    s.expect("statements" not in got and got.get("id") == sid, "not the single statement")


@check("STR-R-003", area=AREA)
def both_ids_refused(s: Session) -> None:
    """statementId and voidedStatementId together are refused."""
    sid = store(s, statement())[0]
    response = s.get("statements", {"statementId": sid, "voidedStatementId": sid})
    s.expect_status(response, 400)


@check("STR-R-004", area=AREA)
def statement_id_with_filter_refused(s: Session) -> None:
    """statementId may only be combined with attachments and format."""
    sid = store(s, statement())[0]
    s.expect_status(s.get("statements", {"statementId": sid, "limit": "1"}), 400)
    s.expect_status(s.get("statements", {"statementId": sid, "verb": "http://e.com/v"}), 400)
    ok = s.get("statements", {"statementId": sid, "format": "ids", "attachments": "false"})
    s.expect_status(ok, 200, why="format and attachments are allowed")


@check("STR-R-005", "ERR-013", area=AREA)
def unknown_statement_is_404(s: Session) -> None:
    """A statementId nobody stored gives 404."""
    s.expect_status(s.get("statements", {"statementId": uid()}), 404)


@check("STR-R-006", "STR-M-001", area=AREA)
def query_returns_statement_result(s: Session) -> None:
    """Without an id, GET answers a StatementResult with statements and more."""
    store(s, statement())
    result = query(s, limit="1")
    s.expect("more" in result, "StatementResult has no 'more' property")


@check("STR-M-009", area=AREA)
def statement_result_has_no_extra_properties(s: Session) -> None:
    """StatementResult holds only statements and more."""
    extra = set(query(s, limit="1")) - {"statements", "more"}
    s.expect(not extra, f"extra properties {sorted(extra)}")


@check("STR-R-007", area=AREA)
def empty_query_is_200(s: Session) -> None:
    """A query that matches nothing answers 200 with an empty statements array."""
    result = query(s, registration=uid())
    s.expect(result["statements"] == [], f"expected no statements, got {result['statements']}")


@check("STR-R-008", area=AREA)
def reads_send_consistent_through(s: Session) -> None:
    """Every GET on statements carries a parseable Consistent-Through header."""
    sid = store(s, statement())[0]
    for params in ({"statementId": sid}, {"limit": "1"}, {"statementId": uid()}):
        response = s.get("statements", params)
        value = response.headers.get("X-Experience-API-Consistent-Through")
        s.expect(value, f"no Consistent-Through on GET {params}")
        try:
            instant(str(value))
        except ValueError:
            s.expect(False, f"Consistent-Through {value!r} is not a timestamp")


@check("STR-R-009", area=AREA)
def consistent_through_is_recent(s: Session) -> None:
    """Consistent-Through is not behind a statement that was just stored."""
    sid = store(s, statement())[0]
    stored = instant(stored_at(s, sid))
    response = s.get("statements", {"limit": "1"})
    value = response.headers.get("X-Experience-API-Consistent-Through", "")
    s.expect(value and instant(value) >= stored, f"Consistent-Through {value} before {stored}")


@check("STR-R-010", area=AREA)
def single_get_sends_last_modified(s: Session) -> None:
    """A single-statement GET sends Last-Modified."""
    sid = store(s, statement())[0]
    response = s.get("statements", {"statementId": sid})
    s.expect(response.headers.get("Last-Modified"), "no Last-Modified header")


@check("STR-R-011", area=AREA)
def plain_reads_are_json(s: Session) -> None:
    """Without attachments=true the answer is application/json."""
    sid = store(s, statement())[0]
    for params in ({"statementId": sid}, {"limit": "1"}, {"limit": "1", "attachments": "false"}):
        response = s.get("statements", params)
        s.expect_status(response, 200)
        ctype = response.headers.get("Content-Type", "")
        s.expect(ctype.startswith("application/json"), f"Content-Type {ctype!r} for {params}")


@check("STR-M-002", "STR-M-003", "LIM-005", "STR-Q-014", area=AREA)
def paging_gives_relative_more(s: Session) -> None:
    """limit caps the page and more is a server-relative IRL; the last page has no more."""
    reg, _ = _registered_batch(s, 3)
    result = query(s, registration=reg, limit="2")
    s.expect(len(result["statements"]) == 2, f"limit=2 gave {len(result['statements'])}")
    more = result.get("more", "")
    s.expect(isinstance(more, str) and more, "no more link although a statement remains")
    s.expect(more.startswith("/") and "://" not in more, f"more {more!r} is not relative")
    last = query(s, registration=reg, limit="3")
    s.expect(not last.get("more"), "more given although nothing remains")


@check("STR-M-008", "ORD-005", "STR-Q-018", area=AREA)
def following_more_pages_through(s: Session) -> None:
    """Following more yields each statement once, keeps format, and sends the usual headers."""
    reg, ids = _registered_batch(s, 3)
    seen: list[str] = []
    result = query(s, registration=reg, limit="1", format="ids")
    for _ in range(5):
        seen += [st["id"] for st in result["statements"]]
        for st in result["statements"]:
            s.expect("display" not in st.get("verb", {}), "format=ids lost while paging")
        more = result.get("more")
        if not more:
            break
        response = s.get(str(more))
        s.expect_status(response, 200, why="following more")
        s.expect(
            response.headers.get("X-Experience-API-Consistent-Through"),
            "no Consistent-Through on a more page",
        )
        result = s.json(response)
    s.expect(sorted(seen) == sorted(ids), f"paging returned {seen}, stored {ids}")


@check("STR-M-006", area=AREA)
def more_links_are_short(s: Session) -> None:
    """more IRLs stay reasonably short (under 2 kB)."""
    reg, _ = _registered_batch(s, 2)
    more = query(s, registration=reg, limit="1").get("more", "")
    s.expect(more, "no more link")
    s.expect(len(str(more)) < 2048, f"more link is {len(str(more))} characters")
