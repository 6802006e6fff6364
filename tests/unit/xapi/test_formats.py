"""Statement formats exact / ids / canonical and StatementResult (STR-Q-015..023, STR-M)."""

from __future__ import annotations

import copy
from typing import Any

from lrs.xapi.formats import format_statement_result, render_statement

Stmt = dict[str, Any]

ACCOUNT = {"homePage": "https://lms.example", "name": "ann"}
COURSE = "https://example.com/course"


def _agent(name: str, **extra: Any) -> Stmt:
    return {
        "objectType": "Agent",
        "name": name.title(),
        "mbox": f"mailto:{name}@example.com",
        **extra,
    }


def _definition(**extra: Any) -> Stmt:
    return {
        "name": {"en-US": "Course", "fr": "Cours"},
        "description": {"en-US": "A course", "fr": "Un cours"},
        "type": "https://example.com/types/course",
        **extra,
    }


def _statement(**extra: Any) -> Stmt:
    stmt: Stmt = {
        "id": "3f1c2d4e-0000-4000-8000-000000000001",
        "actor": {"name": "Ann", "account": ACCOUNT},
        "verb": {
            "id": "https://example.com/verbs/did",
            "display": {"en-US": "did", "fr": "a fait"},
        },
        "object": {"objectType": "Activity", "id": COURSE, "definition": _definition()},
        "result": {"completion": True},
        "timestamp": "2024-05-01T12:00:00Z",
        "stored": "2024-05-01T12:00:01.000000Z",
        "authority": {
            "objectType": "Group",
            "member": [
                _agent("app"),
                {"account": {"homePage": "https://lrs.example", "name": "u"}},
            ],
        },
        "version": "2.0.0",
    }
    stmt.update(extra)
    return stmt


def _full_context() -> Stmt:
    return {
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "instructor": _agent("ivy"),
        "team": {
            "objectType": "Group",
            "name": "Team",
            "mbox": "mailto:team@example.com",
            "member": [_agent("tom")],
        },
        "contextActivities": {
            "parent": [{"id": "https://example.com/p", "definition": _definition()}],
            "grouping": [{"id": "https://example.com/g"}],
        },
        "contextAgents": [
            {
                "objectType": "contextAgent",
                "agent": _agent("cal"),
                "relevantTypes": ["https://example.com/t"],
            }
        ],
        "contextGroups": [
            {
                "objectType": "contextGroup",
                "group": {"objectType": "Group", "member": [_agent("gus")]},
            }
        ],
        "language": "en-US",
        "extensions": {"https://example.com/x": 1},
    }


def test_exact_returns_the_stored_statement_unchanged() -> None:
    """STR-Q-016/017: as received, verb display included."""
    stmt = _statement(context=_full_context())
    assert render_statement(stmt, "exact") == stmt


def test_ids_reduces_actor_verb_object_authority() -> None:
    """STR-Q-018/019."""
    out = render_statement(_statement(), "ids")
    assert out["actor"] == {"objectType": "Agent", "account": ACCOUNT}
    assert out["verb"] == {"id": "https://example.com/verbs/did"}
    assert out["object"] == {"id": COURSE}
    assert out["authority"] == {
        "objectType": "Group",
        "member": [
            {"objectType": "Agent", "mbox": "mailto:app@example.com"},
            {"objectType": "Agent", "account": {"homePage": "https://lrs.example", "name": "u"}},
        ],
    }


def test_ids_keeps_non_agent_parts() -> None:
    stmt = _statement()
    out = render_statement(stmt, "ids")
    for key in ("id", "result", "timestamp", "stored", "version"):
        assert out[key] == stmt[key]


def test_ids_identified_group_drops_members() -> None:
    """STR-Q-018: an identified Group is its IFI; anonymous ones keep member IFIs."""
    group = {
        "objectType": "Group",
        "name": "Crew",
        "openid": "https://id.example/crew",
        "member": [_agent("bob")],
    }
    out = render_statement(_statement(object=group), "ids")
    assert out["object"] == {"objectType": "Group", "openid": "https://id.example/crew"}


def test_ids_agent_object() -> None:
    out = render_statement(_statement(object=_agent("bob")), "ids")
    assert out["object"] == {"objectType": "Agent", "mbox": "mailto:bob@example.com"}


def test_ids_statement_ref_unchanged() -> None:
    ref = {"objectType": "StatementRef", "id": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"}
    assert render_statement(_statement(object=ref), "ids")["object"] == ref


def test_ids_applies_throughout_context() -> None:
    """STR-Q-018: instructor, team, contextActivities, contextAgents, contextGroups."""
    ctx = render_statement(_statement(context=_full_context()), "ids")["context"]
    assert ctx["instructor"] == {"objectType": "Agent", "mbox": "mailto:ivy@example.com"}
    assert ctx["team"] == {"objectType": "Group", "mbox": "mailto:team@example.com"}
    assert ctx["contextActivities"] == {
        "parent": [{"id": "https://example.com/p"}],
        "grouping": [{"id": "https://example.com/g"}],
    }
    assert ctx["contextAgents"] == [
        {
            "objectType": "contextAgent",
            "agent": {"objectType": "Agent", "mbox": "mailto:cal@example.com"},
            "relevantTypes": ["https://example.com/t"],
        }
    ]
    assert ctx["contextGroups"] == [
        {
            "objectType": "contextGroup",
            "group": {
                "objectType": "Group",
                "member": [{"objectType": "Agent", "mbox": "mailto:gus@example.com"}],
            },
        }
    ]
    assert ctx["registration"] == "ec531277-b57b-4c15-8d91-d292c5b2b8f7"
    assert ctx["language"] == "en-US"
    assert ctx["extensions"] == {"https://example.com/x": 1}


def test_ids_applies_inside_substatement() -> None:
    sub = {
        "objectType": "SubStatement",
        "actor": _agent("sam"),
        "verb": {"id": "https://example.com/verbs/plans", "display": {"en": "plans"}},
        "object": {"id": "https://example.com/sub", "definition": _definition()},
        "context": {
            "instructor": _agent("ivy"),
            "contextActivities": {"other": [{"id": "https://example.com/o"}]},
        },
        "timestamp": "2024-05-01T10:00:00Z",
    }
    out = render_statement(_statement(object=sub), "ids")["object"]
    assert out == {
        "objectType": "SubStatement",
        "actor": {"objectType": "Agent", "mbox": "mailto:sam@example.com"},
        "verb": {"id": "https://example.com/verbs/plans"},
        "object": {"id": "https://example.com/sub"},
        "context": {
            "instructor": {"objectType": "Agent", "mbox": "mailto:ivy@example.com"},
            "contextActivities": {"other": [{"id": "https://example.com/o"}]},
        },
        "timestamp": "2024-05-01T10:00:00Z",
    }


def test_formats_do_not_mutate_the_stored_statement() -> None:
    stmt = _statement(context=_full_context())
    before = copy.deepcopy(stmt)
    render_statement(stmt, "ids")
    render_statement(
        stmt, "canonical", canonical={COURSE: {"name": {"de": "Kurs"}}}, languages=["fr"]
    )
    assert stmt == before


def test_canonical_replaces_definition_and_picks_one_language() -> None:
    """STR-Q-020/021: the LRS's definition, one language per map."""
    canonical = {COURSE: _definition(name={"en-US": "Course", "de": "Kurs", "fr": "Le cours"})}
    out = render_statement(_statement(), "canonical", canonical=canonical, languages=["fr"])
    assert out["object"]["definition"] == {
        "name": {"fr": "Le cours"},
        "description": {"fr": "Un cours"},
        "type": "https://example.com/types/course",
    }


def test_canonical_without_known_definition_filters_the_stored_one() -> None:
    out = render_statement(_statement(), "canonical", languages=["en"])
    assert out["object"]["definition"]["name"] == {"en-US": "Course"}


def test_canonical_language_chosen_per_map() -> None:
    """STR-Q-022: each map on its own; one map may lack the preferred language."""
    canonical = {COURSE: {"name": {"fr": "Cours", "de": "Kurs"}, "description": {"de": "Ein Kurs"}}}
    out = render_statement(_statement(), "canonical", canonical=canonical, languages=["fr", "de"])
    assert out["object"]["definition"] == {
        "name": {"fr": "Cours"},
        "description": {"de": "Ein Kurs"},
    }


def test_canonical_filters_interaction_component_descriptions() -> None:
    """STR-Q-021: interaction component descriptions are language maps too."""
    definition = {
        "interactionType": "choice",
        "correctResponsesPattern": ["a"],
        "choices": [
            {"id": "a", "description": {"en-US": "Yes", "fr": "Oui"}},
            {"id": "b"},
        ],
        "scale": [{"id": "1", "description": {"fr": "Un", "en-GB": "One"}}],
    }
    stmt = _statement(object={"id": COURSE, "definition": definition})
    out = render_statement(stmt, "canonical", languages=["en"])["object"]["definition"]
    assert out["choices"] == [{"id": "a", "description": {"en-US": "Yes"}}, {"id": "b"}]
    assert out["scale"] == [{"id": "1", "description": {"en-GB": "One"}}]
    assert out["correctResponsesPattern"] == ["a"]


def test_canonical_verb_display_one_language() -> None:
    """STR-Q-023: verb display in canonical format has one language."""
    out = render_statement(_statement(), "canonical", languages=["fr"])
    assert out["verb"] == {"id": "https://example.com/verbs/did", "display": {"fr": "a fait"}}


def test_canonical_verb_display_substituted_when_known() -> None:
    displays = {"https://example.com/verbs/did": {"de": "tat", "en-US": "did"}}
    out = render_statement(_statement(), "canonical", verb_displays=displays, languages=["de"])
    assert out["verb"]["display"] == {"de": "tat"}


def test_canonical_verb_without_display_stays_without() -> None:
    stmt = _statement(verb={"id": "https://example.com/verbs/did"})
    assert render_statement(stmt, "canonical")["verb"] == {"id": "https://example.com/verbs/did"}


def test_canonical_keeps_agents_exact() -> None:
    """STR-Q-020: Agents and Groups as in exact."""
    stmt = _statement(context=_full_context())
    out = render_statement(stmt, "canonical", languages=["fr"])
    assert out["actor"] == stmt["actor"]
    assert out["authority"] == stmt["authority"]
    assert out["context"]["team"] == stmt["context"]["team"]
    assert out["context"]["contextAgents"] == stmt["context"]["contextAgents"]


def test_canonical_applies_to_context_and_substatement_activities() -> None:
    parent_canonical = {"name": {"en": "Parent", "fr": "Parent FR"}}
    sub = {
        "objectType": "SubStatement",
        "actor": _agent("sam"),
        "verb": {
            "id": "https://example.com/verbs/plans",
            "display": {"en": "plans", "fr": "prevoit"},
        },
        "object": {"id": COURSE},
        "context": {"contextActivities": {"parent": [{"id": "https://example.com/p"}]}},
    }
    stmt = _statement(object=sub, context=_full_context())
    canonical = {
        "https://example.com/p": parent_canonical,
        COURSE: {"name": {"fr": "C", "en": "C"}},
    }
    out = render_statement(stmt, "canonical", canonical=canonical, languages=["fr"])
    assert out["context"]["contextActivities"]["parent"][0]["definition"] == {
        "name": {"fr": "Parent FR"}
    }
    assert out["context"]["contextActivities"]["grouping"] == [{"id": "https://example.com/g"}]
    assert out["object"]["object"] == {"id": COURSE, "definition": {"name": {"fr": "C"}}}
    assert out["object"]["context"]["contextActivities"]["parent"][0]["definition"] == {
        "name": {"fr": "Parent FR"}
    }
    assert out["object"]["verb"]["display"] == {"fr": "prevoit"}


def test_canonical_single_object_context_activity() -> None:
    stmt = _statement(context={"contextActivities": {"parent": {"id": COURSE}}})
    out = render_statement(stmt, "canonical", canonical={COURSE: {"name": {"en": "C"}}})
    assert out["context"]["contextActivities"]["parent"] == {
        "id": COURSE,
        "definition": {"name": {"en": "C"}},
    }


def test_statement_result_shape() -> None:
    """STR-M-001/002/009: statements and more, nothing else."""
    stmts = [_statement()]
    assert format_statement_result(iter(stmts), "") == {"statements": stmts, "more": ""}
    page = format_statement_result([], "/xapi/statements?more=abc")
    assert page == {"statements": [], "more": "/xapi/statements?more=abc"}
