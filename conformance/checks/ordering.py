"""Result ordering and consistency (ORD-*)."""

from __future__ import annotations

from ..http import Session
from ..registry import check
from ..xapi import fetch, instant, query, query_ids, statement, store, stored_at, uid

AREA = "ordering"


def _sequence(s: Session, count: int = 3) -> tuple[str, list[str]]:
    reg = uid()
    return reg, [store(s, statement(context={"registration": reg}))[0] for _ in range(count)]


@check("ORD-001", area=AREA)
def newest_first_by_default(s: Session) -> None:
    """Results are ordered by stored, newest first."""
    reg, ids = _sequence(s)
    s.expect(query_ids(s, registration=reg) == ids[::-1], "not newest first")


@check("ORD-002", area=AREA)
def ascending_oldest_first(s: Session) -> None:
    """ascending=true gives oldest first."""
    reg, ids = _sequence(s)
    s.expect(query_ids(s, registration=reg, ascending="true") == ids, "not oldest first")


@check("ORD-004", area=AREA)
def stored_is_monotonic(s: Session) -> None:
    """Statements stored one after another get increasing stored values."""
    _, ids = _sequence(s)
    stamps = [instant(stored_at(s, i)) for i in ids]
    s.expect(stamps == sorted(stamps) and len(set(stamps)) == 3, f"stored values {stamps}")


@check("ORD-006", "ORD-007", area=AREA)
def group_members_any_order_arrays_kept(s: Session) -> None:
    """contextActivities arrays keep their order; group members may come in any order."""
    acts = [{"id": f"http://example.com/ord/{uid()}"} for _ in range(4)]
    sid = store(s, statement(context={"contextActivities": {"other": acts}}))[0]
    got = fetch(s, sid)["context"]["contextActivities"]["other"]
    s.expect([a["id"] for a in got] == [a["id"] for a in acts], "array order changed")


@check("ORD-008", area=AREA)
def consistent_through_is_truthful(s: Session) -> None:
    """Statements stored before Consistent-Through are queryable."""
    reg, ids = _sequence(s, 2)
    response = s.get("statements", {"registration": reg})
    header = response.headers.get("X-Experience-API-Consistent-Through")
    s.expect(header, "no Consistent-Through header")
    through = instant(str(header))
    returned = {st["id"] for st in s.json(response)["statements"]}
    for sid in ids:
        if instant(stored_at(s, sid)) < through:
            s.expect(sid in returned, f"{sid} stored before {header} but not returned")
    s.expect(query(s, registration=reg)["statements"], "nothing returned")
