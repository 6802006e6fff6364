"""Index terms for statement queries (STR-Q-003..011, STR-Q-025, ST-PROC-019, AGT-001)."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest

from lrs.xapi.relations import VOIDED_VERB, statement_index_terms

REG = "EC531277-B57B-4C15-8D91-D292C5B2B8F7"


def _agent(name: str) -> dict[str, Any]:
    return {"objectType": "Agent", "name": name.title(), "mbox": f"mailto:{name}@example.com"}


def _key(name: str) -> str:
    return f"mbox:mailto:{name}@example.com"


def _group(*members: str, ifi: str | None = None) -> dict[str, Any]:
    group: dict[str, Any] = {"objectType": "Group", "member": [_agent(m) for m in members]}
    if ifi is not None:
        group["mbox"] = f"mailto:{ifi}@example.com"
    return group


def _activity(name: str, definition: dict[str, Any] | None = None) -> dict[str, Any]:
    activity: dict[str, Any] = {"objectType": "Activity", "id": f"https://example.com/{name}"}
    if definition is not None:
        activity["definition"] = definition
    return activity


def _aid(name: str) -> str:
    return f"https://example.com/{name}"


def _statement(**extra: Any) -> dict[str, Any]:
    stmt: dict[str, Any] = {
        "id": "3f1c2d4e-0000-4000-8000-000000000001",
        "actor": _agent("ann"),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": _activity("course"),
        "stored": "2024-05-01T12:00:00.000000Z",
        "timestamp": "2024-05-01T11:00:00.123Z",
        "authority": _agent("auth"),
        "version": "2.0.0",
    }
    stmt.update(extra)
    return stmt


def _substatement(**extra: Any) -> dict[str, Any]:
    sub: dict[str, Any] = {
        "objectType": "SubStatement",
        "actor": _agent("sam"),
        "verb": {"id": "https://example.com/verbs/plans"},
        "object": _activity("sub-object"),
    }
    sub.update(extra)
    return sub


def test_basic_terms() -> None:
    """STR-Q-006/007: verb id and object Activity id, as strings (ST-VAL-161)."""
    terms = statement_index_terms(_statement())
    assert terms.verb_id == "http://adlnet.gov/expapi/verbs/attempted"
    assert terms.object_activity_id == _aid("course")
    assert terms.related_activity_ids == (_aid("course"),)
    assert terms.actor_keys == (_key("ann"),)
    assert terms.related_agent_keys == (_key("ann"), _key("auth"))
    assert terms.registration is None
    assert terms.statement_ref_id is None
    assert terms.is_voiding is False
    assert terms.timestamp == datetime(2024, 5, 1, 11, 0, 0, 123000, tzinfo=UTC)


def test_index_terms_are_frozen() -> None:
    terms = statement_index_terms(_statement())
    with pytest.raises(dataclasses.FrozenInstanceError):
        terms.verb_id = "x"  # type: ignore[misc]


def test_object_without_object_type_is_an_activity() -> None:
    """ST-VAL-060: an object without objectType is an Activity."""
    terms = statement_index_terms(_statement(object={"id": _aid("plain")}))
    assert terms.object_activity_id == _aid("plain")
    assert terms.activities == ((_aid("plain"), None),)


def test_group_actor_members_are_actor_keys() -> None:
    """STR-Q-004: a Group actor matches through its members too."""
    terms = statement_index_terms(_statement(actor=_group("bob", "cat", ifi="team")))
    assert terms.actor_keys == (_key("team"), _key("bob"), _key("cat"))


def test_anonymous_group_actor_contributes_members_only() -> None:
    terms = statement_index_terms(_statement(actor=_group("bob", "cat")))
    assert terms.actor_keys == (_key("bob"), _key("cat"))


def test_agent_object_is_an_actor_key() -> None:
    """STR-Q-003: the agent filter matches actor or object."""
    terms = statement_index_terms(_statement(object=_agent("bob")))
    assert terms.actor_keys == (_key("ann"), _key("bob"))
    assert terms.object_activity_id is None
    assert terms.related_activity_ids == ()


def test_group_object_members_are_actor_keys() -> None:
    """STR-Q-004 for a Group object."""
    terms = statement_index_terms(_statement(object=_group("bob", ifi="crew")))
    assert terms.actor_keys == (_key("ann"), _key("crew"), _key("bob"))


def test_repeated_agents_are_listed_once() -> None:
    terms = statement_index_terms(_statement(object=_group("ann", "bob")))
    assert terms.actor_keys == (_key("ann"), _key("bob"))


def test_related_agents_cover_context_and_authority() -> None:
    """STR-Q-011: authority, instructor, team, contextAgents, contextGroups, members."""
    stmt = _statement(
        authority=_group("app", "user"),
        context={
            "instructor": _agent("ivy"),
            "team": _group("tom", ifi="squad"),
            "contextAgents": [{"objectType": "contextAgent", "agent": _agent("cal")}],
            "contextGroups": [{"objectType": "contextGroup", "group": _group("gus", "gil")}],
        },
    )
    terms = statement_index_terms(stmt)
    assert terms.actor_keys == (_key("ann"),)
    assert set(terms.related_agent_keys) == {
        _key(n) for n in ("ann", "app", "user", "ivy", "squad", "tom", "cal", "gus", "gil")
    }
    assert terms.related_agent_keys[0] == _key("ann")


def test_substatement_agents_are_related_not_actor() -> None:
    """STR-Q-011: the same places inside a SubStatement; the plain filter ignores them."""
    sub = _substatement(
        actor=_group("sam", ifi="subteam"),
        object=_agent("obi"),
        context={
            "instructor": _agent("ivy"),
            "team": _group("tia"),
            "contextAgents": [{"objectType": "contextAgent", "agent": _agent("cal")}],
            "contextGroups": [{"objectType": "contextGroup", "group": _group("gus")}],
        },
    )
    terms = statement_index_terms(_statement(object=sub))
    assert terms.actor_keys == (_key("ann"),)
    assert set(terms.related_agent_keys) == {
        _key(n) for n in ("ann", "auth", "subteam", "sam", "obi", "ivy", "tia", "cal", "gus")
    }


def test_related_activities_cover_context_and_substatement() -> None:
    """STR-Q-010: object, every contextActivities category, and the SubStatement's."""
    sub = _substatement(
        context={"contextActivities": {"other": [_activity("sub-other")]}},
    )
    stmt = _statement(
        object=sub,
        context={
            "contextActivities": {
                "parent": [_activity("parent")],
                "grouping": [_activity("g1"), _activity("g2")],
                "category": [_activity("cat")],
                "other": [_activity("other")],
            },
            "statement": {"objectType": "StatementRef", "id": REG},
        },
    )
    terms = statement_index_terms(stmt)
    assert terms.object_activity_id is None
    assert terms.related_activity_ids == tuple(
        _aid(n) for n in ("parent", "g1", "g2", "cat", "other", "sub-object", "sub-other")
    )
    assert terms.statement_ref_id is None  # STR-Q-027: context.statement is not followed


def test_single_object_context_activities_are_read_too() -> None:
    """Unprepared single-object contextActivities values are still indexed (ST-PROC-012)."""
    stmt = _statement(context={"contextActivities": {"parent": _activity("parent")}})
    assert statement_index_terms(stmt).related_activity_ids == (_aid("course"), _aid("parent"))


def test_registration_lowercased() -> None:
    """STR-Q-008, ST-VAL-020: UUID case does not matter."""
    terms = statement_index_terms(_statement(context={"registration": REG}))
    assert terms.registration == REG.lower()


def test_statement_ref_and_voiding() -> None:
    """STR-Q-025 and ST-VOID-003: the StatementRef target and the voiding flag."""
    stmt = _statement(
        verb={"id": VOIDED_VERB, "display": {"en-US": "voided"}},
        object={"objectType": "StatementRef", "id": REG},
    )
    terms = statement_index_terms(stmt)
    assert terms.is_voiding is True
    assert terms.statement_ref_id == REG.lower()
    assert terms.object_activity_id is None
    assert terms.activities == ()


def test_statement_ref_without_voiding_verb() -> None:
    stmt = _statement(object={"objectType": "StatementRef", "id": REG})
    terms = statement_index_terms(stmt)
    assert terms.is_voiding is False
    assert terms.statement_ref_id == REG.lower()


def test_voiding_verb_compared_exactly() -> None:
    """ST-VAL-161: no normalisation of the voided verb IRI."""
    stmt = _statement(
        verb={"id": "https://adlnet.gov/expapi/verbs/voided"},
        object={"objectType": "StatementRef", "id": REG},
    )
    assert statement_index_terms(stmt).is_voiding is False


def test_activities_carry_definitions() -> None:
    """ST-PROC-019: every Activity with its definition, for the canonical table."""
    course_def = {"name": {"en": "Course"}}
    parent_def = {"type": "https://example.com/types/module"}
    sub = _substatement(object=_activity("sub-object", {"name": {"fr": "Sous"}}))
    stmt = _statement(
        object=sub,
        context={"contextActivities": {"parent": [_activity("parent", parent_def)]}},
    )
    terms = statement_index_terms(stmt)
    assert terms.activities == (
        (_aid("parent"), parent_def),
        (_aid("sub-object"), {"name": {"fr": "Sous"}}),
    )
    terms = statement_index_terms(_statement(object=_activity("course", course_def)))
    assert terms.activities == ((_aid("course"), course_def),)


def test_activities_keep_differing_definitions_of_one_id_drop_repeats() -> None:
    stmt = _statement(
        object=_activity("course", {"name": {"en": "A"}}),
        context={
            "contextActivities": {
                "parent": [_activity("course", {"name": {"en": "A"}})],
                "other": [_activity("course", {"name": {"en": "B"}}), _activity("course")],
            }
        },
    )
    assert statement_index_terms(stmt).activities == (
        (_aid("course"), {"name": {"en": "A"}}),
        (_aid("course"), {"name": {"en": "B"}}),
        (_aid("course"), None),
    )


def test_agents_lists_identified_agents_everywhere_not_groups() -> None:
    """AGT-001: Agents (members included) with an IFI; Groups are not persons."""
    stmt = _statement(
        actor=_group("bob", "ann", ifi="crew"),
        context={"instructor": _agent("ivy")},
        object=_substatement(actor=_agent("sam")),
    )
    agents = statement_index_terms(stmt).agents
    assert [a["mbox"] for a in agents] == [
        "mailto:bob@example.com",
        "mailto:ann@example.com",
        "mailto:auth@example.com",
        "mailto:ivy@example.com",
        "mailto:sam@example.com",
    ]


def test_agents_dedup_by_ifi_and_name() -> None:
    """The same person under two names is kept twice (the Person lists both names)."""
    other_name = {"mbox": "mailto:ann@example.com", "name": "Annie"}
    stmt = _statement(object=_agent("ann"), context={"instructor": other_name})
    agents = statement_index_terms(stmt).agents
    assert [(a["mbox"], a.get("name")) for a in agents] == [
        ("mailto:ann@example.com", "Ann"),
        ("mailto:auth@example.com", "Auth"),
        ("mailto:ann@example.com", "Annie"),
    ]


def test_timestamp_read_as_utc_instant() -> None:
    terms = statement_index_terms(_statement(timestamp="2024-05-01T14:00:00.5+02:00"))
    assert terms.timestamp == datetime(2024, 5, 1, 12, 0, 0, 500000, tzinfo=UTC)


def test_timestamp_falls_back_to_stored() -> None:
    stmt = _statement()
    del stmt["timestamp"]
    assert statement_index_terms(stmt).timestamp == datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_input_not_mutated() -> None:
    stmt = _statement(actor=_group("bob"))
    before = repr(stmt)
    statement_index_terms(stmt)
    assert repr(stmt) == before


def _read_only(value: Any) -> Any:
    """The same JSON with every object behind a read-only Mapping that is not a dict."""
    if isinstance(value, dict):
        return MappingProxyType({key: _read_only(item) for key, item in value.items()})
    if isinstance(value, list):
        return [_read_only(item) for item in value]
    return value


def test_any_mapping_gives_the_same_terms_as_dicts() -> None:
    """Plain dicts take a quicker path; other Mappings must index exactly the same."""
    stmt = _statement(
        actor=_group("bob", "ann", ifi="crew"),
        context={
            "registration": REG,
            "instructor": _agent("ivy"),
            "team": _group("tom"),
            "contextAgents": [{"objectType": "contextAgent", "agent": _agent("cal")}],
            "contextActivities": {"parent": _activity("parent"), "other": [_activity("x")]},
        },
        object=_substatement(
            actor={"account": {"homePage": "https://example.com", "name": "sam"}},
            context={"contextActivities": {"grouping": [_activity("group")]}},
        ),
    )
    expected = statement_index_terms(stmt)
    assert len(expected.related_agent_keys) == 8
    assert statement_index_terms(_read_only(stmt)) == expected


def test_index_terms_are_linear_in_context_activities() -> None:
    """50,000 grouping entries (a quadratic membership test took minutes) in a few seconds."""
    grouping = [{"id": f"http://example.com/g/{i}"} for i in range(50_000)]
    statement = {
        "actor": {"mbox": "mailto:a@example.com"},
        "verb": {"id": "http://example.com/v"},
        "object": {"id": "http://example.com/o"},
        "stored": "2024-01-01T00:00:00Z",
        "context": {"contextActivities": {"grouping": grouping + grouping[:10]}},
    }
    started = time.perf_counter()
    terms = statement_index_terms(statement)
    assert time.perf_counter() - started < 10
    assert len(terms.activities) == 50_001
