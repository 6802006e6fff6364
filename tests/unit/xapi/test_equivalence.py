"""Statement comparison (ST-PROC-015, ST-VAL-144, STR-W-006, SIG-004).

Every case is checked in both directions: equivalence must be symmetric.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from lrs.xapi.equivalence import json_equal, statements_equivalent

Stmt = dict[str, Any]
Edit = Callable[[Stmt], None]

REG = "ec531277-b57b-4c15-8d91-d292c5b2b8f7"


def _statement() -> Stmt:
    return {
        "id": "3f1c2d4e-0000-4000-8000-000000000001",
        "actor": {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"},
        "verb": {"id": "https://example.com/verbs/did", "display": {"en-US": "did"}},
        "object": {
            "objectType": "Activity",
            "id": "https://example.com/a",
            "definition": {"name": {"en-US": "A"}},
        },
        "result": {"success": True, "score": {"raw": 1}, "duration": "PT1M2.5S"},
        "context": {
            "registration": REG,
            "language": "en-US",
            "contextActivities": {"parent": [{"id": "https://example.com/p"}]},
            "extensions": {"https://example.com/ext": {"flag": True, "n": 1}},
        },
        "timestamp": "2024-05-01T12:00:00.000Z",
        "stored": "2024-05-01T12:00:01.000000Z",
        "authority": {"objectType": "Agent", "mbox": "mailto:lrs@example.com"},
        "version": "1.0.0",
        "attachments": [
            {
                "usageType": "https://example.com/u",
                "display": {"en": "x"},
                "contentType": "text/plain",
                "length": 1,
                "sha2": "00",
            }
        ],
    }


def _substatement() -> Stmt:
    return {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:sam@example.com"},
        "verb": {"id": "https://example.com/verbs/plans", "display": {"en": "plans"}},
        "object": {"id": "https://example.com/sub", "definition": {"name": {"en": "S"}}},
        "timestamp": "2024-05-01T10:00:00Z",
        "context": {"contextActivities": {"other": [{"id": "https://example.com/o"}]}},
    }


def _with_sub(stmt: Stmt) -> None:
    stmt["object"] = _substatement()


def _both_ways(a: Stmt, b: Stmt) -> tuple[bool, bool]:
    return statements_equivalent(a, b), statements_equivalent(b, a)


def _set(path: str, value: Any) -> Edit:
    def edit(stmt: Stmt) -> None:
        *parents, last = path.split(".")
        target: Any = stmt
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return edit


def _delete(path: str) -> Edit:
    def edit(stmt: Stmt) -> None:
        *parents, last = path.split(".")
        target: Any = stmt
        for part in parents:
            target = target[part]
        del target[last]

    return edit


EQUIVALENT: dict[str, Edit] = {
    "id differs": _set("id", "ffffffff-0000-4000-8000-000000000000"),
    "id missing": _delete("id"),
    "authority differs": _set("authority", {"mbox": "mailto:other@example.com"}),
    "authority missing": _delete("authority"),
    "stored differs": _set("stored", "2030-01-01T00:00:00Z"),
    "stored missing": _delete("stored"),
    "version differs": _set("version", "2.0.0"),
    "version missing": _delete("version"),
    "attachments differ": _set("attachments", []),
    "attachments missing": _delete("attachments"),
    "timestamp missing on one side (LRS-assigned)": _delete("timestamp"),
    "timestamp same instant, other offset": _set("timestamp", "2024-05-01T14:00:00+02:00"),
    "timestamp trailing zeros": _set("timestamp", "2024-05-01T12:00:00.000000Z"),
    "timestamp without fraction": _set("timestamp", "2024-05-01T12:00:00Z"),
    "verb display differs": _set("verb.display", {"fr": "a fait"}),
    "verb display missing": _delete("verb.display"),
    "activity definition differs": _set("object.definition", {"name": {"fr": "B"}}),
    "activity definition missing": _delete("object.definition"),
    "activity objectType omitted": _delete("object.objectType"),
    "actor objectType omitted": _delete("actor.objectType"),
    "mailto scheme case": _set("actor.mbox", "MAILTO:ann@example.com"),
    "registration uuid case": _set("context.registration", REG.upper()),
    "context language tag case": _set("context.language", "EN-us"),
    "single context activity vs one-element array": _set(
        "context.contextActivities.parent", {"id": "https://example.com/p"}
    ),
    "context activity definition added": _set(
        "context.contextActivities.parent",
        [{"id": "https://example.com/p", "definition": {"name": {"en": "P"}}}],
    ),
    "duration finer than hundredths": _set("result.duration", "PT1M2.509S"),
    "duration trailing zeros": _set("result.duration", "PT1M2.50S"),
    "duration comma decimal": _set("result.duration", "PT1M2,5S"),
    "integer score as float": _set("result.score.raw", 1.0),
}

DIFFERENT: dict[str, Edit] = {
    "actor name": _set("actor.name", "Annie"),
    "actor name missing": _delete("actor.name"),
    "actor mbox address case": _set("actor.mbox", "mailto:Ann@example.com"),
    "actor ifi": _set("actor", {"mbox_sha1sum": "a" * 40}),
    "actor objectType Group": _set("actor.objectType", "Group"),
    "verb id": _set("verb.id", "https://example.com/verbs/did/"),
    "verb id scheme": _set("verb.id", "http://example.com/verbs/did"),
    "object id": _set("object.id", "https://example.com/A"),
    "object type": _set("object", {"objectType": "Agent", "mbox": "mailto:ann@example.com"}),
    "result success": _set("result.success", False),
    "result success as number": _set("result.success", 1),
    "result missing": _delete("result"),
    "score raw": _set("result.score.raw", 2),
    "duration at hundredths": _set("result.duration", "PT1M2.51S"),
    "duration unit conversion": _set("result.duration", "PT62.5S"),
    "duration minutes": _set("result.duration", "PT2M2.5S"),
    "timestamp other instant": _set("timestamp", "2024-05-01T12:00:00.001Z"),
    "timestamp other offset instant": _set("timestamp", "2024-05-01T12:00:00+02:00"),
    "registration": _set("context.registration", "ec531277-b57b-4c15-8d91-d292c5b2b8f8"),
    "context language": _set("context.language", "en-GB"),
    "context activity id": _set(
        "context.contextActivities.parent", [{"id": "https://example.com/q"}]
    ),
    "context activity category": _set(
        "context.contextActivities", {"grouping": [{"id": "https://example.com/p"}]}
    ),
    "context activity extra entry": _set(
        "context.contextActivities.parent",
        [{"id": "https://example.com/p"}, {"id": "https://example.com/p2"}],
    ),
    "extension value": _set("context.extensions", {"https://example.com/ext": {"flag": 1, "n": 1}}),
    "extension key": _set(
        "context.extensions", {"https://example.com/Ext": {"flag": True, "n": 1}}
    ),
    "context missing": _delete("context"),
    "unknown property added": _set("extra", 1),
}


@pytest.mark.parametrize("edit", EQUIVALENT.values(), ids=EQUIVALENT.keys())
def test_immutability_exceptions_are_ignored(edit: Edit) -> None:
    """ST-PROC-015: differences the immutability exceptions explain do not count."""
    a = _statement()
    b = copy.deepcopy(a)
    edit(b)
    assert _both_ways(a, b) == (True, True)


@pytest.mark.parametrize("edit", DIFFERENT.values(), ids=DIFFERENT.keys())
def test_other_differences_are_mismatches(edit: Edit) -> None:
    """ST-PROC-015: any other difference is a mismatch (STR-W-006 409, SIG-004 400)."""
    a = _statement()
    b = copy.deepcopy(a)
    edit(b)
    assert _both_ways(a, b) == (False, False)


def test_identical_statements_are_equivalent() -> None:
    assert _both_ways(_statement(), _statement()) == (True, True)


def test_prepared_statement_matches_its_submission() -> None:
    """STR-W-006: a resubmission without LRS-set fields equals the stored form."""
    stored = _statement()
    submitted = copy.deepcopy(stored)
    for key in ("id", "stored", "authority", "version", "timestamp"):
        del submitted[key]
    submitted["context"]["contextActivities"]["parent"] = {"id": "https://example.com/p"}
    assert _both_ways(stored, submitted) == (True, True)


def _group(*emails: str, **extra: Any) -> Stmt:
    return {"objectType": "Group", "member": [{"mbox": f"mailto:{e}"} for e in emails], **extra}


def test_group_member_order_is_ignored() -> None:
    """ST-PROC-013/015: member order is an immutability exception."""
    a, b = _statement(), _statement()
    a["actor"] = _group("a@example.com", "b@example.com", "c@example.com")
    b["actor"] = _group("c@example.com", "a@example.com", "b@example.com")
    assert _both_ways(a, b) == (True, True)


def test_group_member_case_insensitive_parts_and_order_together() -> None:
    a, b = _statement(), _statement()
    a["actor"] = _group("a@example.com", "b@example.com")
    b["actor"] = _group("b@example.com", "a@example.com")
    b["actor"]["member"][1]["mbox"] = "MAILTO:a@example.com"
    b["actor"]["member"][0]["objectType"] = "Agent"
    assert _both_ways(a, b) == (True, True)


def test_group_members_differ() -> None:
    a, b = _statement(), _statement()
    a["actor"] = _group("a@example.com", "b@example.com")
    b["actor"] = _group("a@example.com", "c@example.com")
    assert _both_ways(a, b) == (False, False)
    b["actor"] = _group("a@example.com", "b@example.com", "b@example.com")
    assert _both_ways(a, b) == (False, False)


def test_mbox_sha1sum_case_ignored() -> None:
    a, b = _statement(), _statement()
    a["actor"] = {"mbox_sha1sum": "ABCDEF" + "0" * 34}
    b["actor"] = {"mbox_sha1sum": "abcdef" + "0" * 34}
    assert _both_ways(a, b) == (True, True)


def test_statement_ref_id_case_ignored() -> None:
    a, b = _statement(), _statement()
    a["object"] = {"objectType": "StatementRef", "id": REG}
    b["object"] = {"objectType": "StatementRef", "id": REG.upper()}
    a["context"]["statement"] = {"objectType": "StatementRef", "id": REG.upper()}
    b["context"]["statement"] = {"objectType": "StatementRef", "id": REG}
    assert _both_ways(a, b) == (True, True)
    b["object"]["id"] = "ec531277-b57b-4c15-8d91-d292c5b2b8f0"
    assert _both_ways(a, b) == (False, False)


def test_context_agents_and_groups_compared_with_agent_rules() -> None:
    """ST-VAL-109/110 entries: agent rules apply inside, other differences count."""
    a, b = _statement(), _statement()
    a["context"]["contextAgents"] = [
        {"objectType": "contextAgent", "agent": {"mbox": "mailto:x@example.com"}}
    ]
    b["context"]["contextAgents"] = [
        {"objectType": "contextAgent", "agent": {"mbox": "Mailto:x@example.com"}}
    ]
    a["context"]["contextGroups"] = [
        {"objectType": "contextGroup", "group": _group("a@example.com", "b@example.com")}
    ]
    b["context"]["contextGroups"] = [
        {"objectType": "contextGroup", "group": _group("b@example.com", "a@example.com")}
    ]
    assert _both_ways(a, b) == (True, True)
    b["context"]["contextAgents"][0]["relevantTypes"] = ["https://example.com/t"]
    assert _both_ways(a, b) == (False, False)


def test_instructor_and_team_compared_with_agent_rules() -> None:
    a, b = _statement(), _statement()
    a["context"]["instructor"] = {"mbox": "mailto:i@example.com"}
    b["context"]["instructor"] = {"objectType": "Agent", "mbox": "MAILTO:i@example.com"}
    a["context"]["team"] = _group("a@example.com", "b@example.com")
    b["context"]["team"] = _group("b@example.com", "a@example.com")
    assert _both_ways(a, b) == (True, True)
    b["context"]["instructor"]["name"] = "Ivy"
    assert _both_ways(a, b) == (False, False)


SUB_EQUIVALENT: dict[str, Edit] = {
    "verb display": _set("object.verb.display", {"de": "plant"}),
    "definition": _delete("object.object.definition"),
    "timestamp offset": _set("object.timestamp", "2024-05-01T11:00:00+01:00"),
    "single context activity": _set(
        "object.context.contextActivities.other", {"id": "https://example.com/o"}
    ),
    "mailto case": _set("object.actor.mbox", "MAILTO:sam@example.com"),
    "attachments": _set("object.attachments", []),
}

SUB_DIFFERENT: dict[str, Edit] = {
    "timestamp instant": _set("object.timestamp", "2024-05-01T10:00:01Z"),
    "timestamp missing": _delete("object.timestamp"),
    "verb id": _set("object.verb.id", "https://example.com/verbs/other"),
    "object id": _set("object.object.id", "https://example.com/other"),
    "actor": _set("object.actor.mbox", "mailto:sue@example.com"),
    "context activity": _set(
        "object.context.contextActivities.other", [{"id": "https://example.com/x"}]
    ),
}


@pytest.mark.parametrize("edit", SUB_EQUIVALENT.values(), ids=SUB_EQUIVALENT.keys())
def test_substatement_exceptions_are_ignored(edit: Edit) -> None:
    a = _statement()
    _with_sub(a)
    b = copy.deepcopy(a)
    edit(b)
    assert _both_ways(a, b) == (True, True)


@pytest.mark.parametrize("edit", SUB_DIFFERENT.values(), ids=SUB_DIFFERENT.keys())
def test_substatement_differences_are_mismatches(edit: Edit) -> None:
    """A SubStatement timestamp is never LRS-assigned, so a missing one is a difference."""
    a = _statement()
    _with_sub(a)
    b = copy.deepcopy(a)
    edit(b)
    assert _both_ways(a, b) == (False, False)


@pytest.mark.parametrize(
    ("d1", "d2", "same"),
    [
        ("PT1.001S", "PT1.00S", True),
        ("PT1.009S", "PT1S", True),
        ("PT1.01S", "PT1S", False),
        ("P1D", "P1DT0S", True),
        ("P1D", "PT24H", False),
        ("P2W", "P14D", False),
        ("P1Y2M", "P1Y2M", True),
        ("P1M", "PT1M", False),
        ("PT0.5H", "PT30M", False),
        ("not a duration", "not a duration", True),
        ("not a duration", "PT1S", False),
    ],
)
def test_durations_compared_to_hundredths(d1: str, d2: str, same: bool) -> None:
    """ST-VAL-144: precision finer than 0.01 s is ignored; ST-PROC-014: no unit conversion."""
    a, b = _statement(), _statement()
    a["result"]["duration"] = d1
    b["result"]["duration"] = d2
    assert _both_ways(a, b) == (same, same)


def test_malformed_input_does_not_raise() -> None:
    """SIG-004: a signed payload may be anything; comparing it must not crash."""
    good = _statement()
    odd: Stmt = {
        "actor": "nobody",
        "verb": [],
        "object": {"objectType": "SubStatement", "timestamp": 5},
        "context": {"contextActivities": "x", "contextAgents": [1], "instructor": 3},
        "result": {"duration": 7},
        "timestamp": "not a time",
    }
    assert _both_ways(good, odd) == (False, False)
    assert statements_equivalent(odd, copy.deepcopy(odd)) is True
    assert statements_equivalent(good, []) is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("x", "y", "equal"),
    [
        (True, 1, False),
        (False, 0, False),
        (1, 1.0, True),
        (None, None, True),
        (None, False, False),
        ("1", 1, False),
        ({"a": [1, {"b": True}]}, {"a": [1, {"b": True}]}, True),
        ({"a": [1, {"b": True}]}, {"a": [1, {"b": 1}]}, False),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        ([1, 2], [2, 1], False),
        ([1], [1, 1], False),
    ],
)
def test_json_equal_is_type_strict(x: Any, y: Any, equal: bool) -> None:
    assert json_equal(x, y) is equal
    assert json_equal(y, x) is equal
