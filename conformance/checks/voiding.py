"""Voiding: malformed voiding statements, what voided statements look like to readers.

Cites ST-VOID-*, STR-R-002, STR-R-005, STR-Q-029.
"""

from __future__ import annotations

from ..http import Session
from ..registry import check
from ..xapi import VOIDED, agent, agent_param, post, query_ids, statement, store, uid

AREA = "voiding"


def void(target: str, **kw: object) -> dict[str, object]:
    """A voiding statement aimed at ``target``."""
    return statement(
        verb={"id": VOIDED, "display": {"en-US": "voided"}},
        object={"objectType": "StatementRef", "id": target},
        **kw,
    )


@check("ST-VOID-001", area=AREA)
def voiding_an_activity_refused(s: Session) -> None:
    """A voiding statement whose object is not a StatementRef is refused."""
    s.expect_status(post(s, statement(verb={"id": VOIDED})), 400)


@check("ST-VOID-002", area=AREA)
def voiding_without_target_id_refused(s: Session) -> None:
    """A voiding StatementRef without id is refused."""
    body = statement(verb={"id": VOIDED}, object={"objectType": "StatementRef"})
    s.expect_status(post(s, body), 400)


@check("ST-VOID-003", "ST-VOID-007", "STR-R-002", "STR-R-005", "STR-Q-029", area=AREA)
def voided_statement_hidden(s: Session) -> None:
    """A voided statement is hidden from statementId and queries but served by voidedStatementId."""
    reg = uid()
    target = store(s, statement(context={"registration": reg}))[0]
    store(s, void(target))
    s.expect_status(s.get("statements", {"statementId": target}), 404, why="voided statement")
    response = s.get("statements", {"voidedStatementId": target})
    s.expect_status(response, 200, why="voidedStatementId lookup")
    s.expect(s.json(response).get("id") == target, "wrong statement for voidedStatementId")
    s.expect(target not in query_ids(s, registration=reg), "voided statement in query result")


@check("ST-VOID-004", area=AREA)
def voiding_a_voiding_statement_has_no_effect(s: Session) -> None:
    """Voiding a voiding statement leaves it visible."""
    target = store(s, statement())[0]
    voider = store(s, void(target))[0]
    store(s, void(voider))
    s.expect_status(s.get("statements", {"statementId": voider}), 200, why="voiding statement")


@check("ST-VOID-005", area=AREA)
def voiding_unknown_target_accepted(s: Session) -> None:
    """A voiding statement whose target is unknown is still accepted."""
    s.expect_status(post(s, void(uid())), 200)


@check("ST-VOID-006", area=AREA)
def voiding_before_target(s: Session) -> None:
    """A target that arrives after its voiding statement is treated as voided."""
    target = uid()
    store(s, void(target))
    store(s, statement(id=target))
    s.expect_status(s.get("statements", {"statementId": target}), 404, why="target is voided")


@check("ST-VOID-008", area=AREA)
def voiding_statement_is_queryable(s: Session) -> None:
    """The voiding statement itself still matches queries."""
    who = agent()
    target = store(s, statement())[0]
    voider = store(s, void(target, actor=who))[0]
    ids = query_ids(s, agent=agent_param(who), verb=VOIDED)
    s.expect(voider in ids, "voiding statement missing from query")


@check("ST-VOID-009", area=AREA)
def voided_lookup_of_live_statement_is_404(s: Session) -> None:
    """voidedStatementId naming a statement that is not voided gives 404."""
    sid = store(s, statement())[0]
    s.expect_status(s.get("statements", {"voidedStatementId": sid}), 404)
