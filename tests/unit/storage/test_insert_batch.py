"""The rows `insert_batch` sends carry exactly the columns its SQL declares, by name; the
steps riding on it number their documents after its own parameters."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from lrs.storage.statements import _INSERT_BATCH, InsertStep, NewStatement, _row_object, _with_steps


def _record_columns(sql: str, alias: str) -> list[str]:
    declared = re.search(rf"AS {alias}\((.*?)\)\s*(?:ORDER|JOIN)", sql, re.DOTALL)
    assert declared is not None
    return [column.split()[0] for column in declared.group(1).split(",")]


def test_row_objects_carry_the_declared_columns() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    statement = NewStatement(
        id="6f1f0f6e-7b8a-4c5d-9e0f-1a2b3c4d5e6f",
        stored=now,
        timestamp=now,
        verb_id="http://adlnet.gov/expapi/verbs/completed",
        actor_key="mbox:mailto:a@example.com",
        object_activity_id="http://example.com/a",
        registration=None,
        statement_ref_id=None,
        is_voiding=False,
        authority_key="account:https://lrs.invalid/credentials k",
        version="2.0.0",
        payload={},
        terms=(),
    )
    assert list(_row_object(0, statement, False)) == _record_columns(_INSERT_BATCH, "r")
    assert _record_columns(_INSERT_BATCH, "t") == ["id", "term"]


def test_steps_number_their_documents_after_the_insert_parameters() -> None:
    """The documents follow the insert's five parameters, in the steps' order; a step
    without a document takes no parameter."""
    sql, documents = _with_steps(
        [
            InsertStep("INSERT INTO a SELECT $document", "{}"),
            InsertStep("INSERT INTO b SELECT 1"),
            InsertStep("INSERT INTO c SELECT $document", "[]"),
        ],
        first_parameter=6,
    )
    assert documents == ["{}", "[]"]
    assert "step_0 AS (INSERT INTO a SELECT $6::text)" in sql
    assert "step_1 AS (INSERT INTO b SELECT 1)" in sql
    assert "step_2 AS (INSERT INTO c SELECT $7::text)" in sql
    assert "$5::text[]" in _INSERT_BATCH  # the payloads, the insert's last parameter
    assert "$6" not in _INSERT_BATCH
