"""The query-term vocabulary: what a writer stores is what every reader asks for."""

from __future__ import annotations

from datetime import UTC, datetime

from lrs.xapi.prepare import prepare_statement
from lrs.xapi.relations import statement_index_terms
from lrs.xapi.terms import authority_of, filter_terms, spellings, statement_terms
from lrs.xapi.versions import XapiVersion

ACTOR = {"mbox": "mailto:ana@example.com"}
INSTRUCTOR = {"mbox": "mailto:coach@example.com"}
VERB = "http://adlnet.gov/expapi/verbs/completed"
ACTIVITY = "http://example.com/modules/greeting"
PARENT = "http://example.com/courses/floor"
REGISTRATION = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def _stored_terms() -> tuple[str, ...]:
    statement = {
        "actor": ACTOR,
        "verb": {"id": VERB},
        "object": {"id": ACTIVITY},
        "context": {
            "registration": REGISTRATION,
            "instructor": INSTRUCTOR,
            "contextActivities": {"parent": [{"id": PARENT}], "other": [{"id": ACTIVITY}]},
        },
    }
    prepared = prepare_statement(
        statement,
        version=XapiVersion.V1_0_3,
        authority={"mbox": "mailto:lrs@example.com"},
        stored=datetime(2026, 11, 26, tzinfo=UTC),
    )
    return statement_terms(statement_index_terms(prepared))


def test_a_statement_stores_one_term_of_each_kind_it_has() -> None:
    terms = _stored_terms()
    assert len(terms) == len(set(terms))
    assert f"verb:{VERB}" in terms
    assert f"activity:{ACTIVITY}" in terms
    assert f"ractivity:{PARENT}" in terms
    assert f"reg:{REGISTRATION}" in terms
    assert "agent:mbox:mailto:ana@example.com" in terms
    assert "ragent:mbox:mailto:coach@example.com" in terms


def test_a_related_form_is_not_stored_beside_its_primary_form() -> None:
    terms = _stored_terms()
    # the actor is named once, as agent:; the object once, as activity: (also a context one)
    assert "ragent:mbox:mailto:ana@example.com" not in terms
    assert f"ractivity:{ACTIVITY}" not in terms
    # the instructor is only a related agent; the authority is the statements' own column
    assert "ragent:mbox:mailto:lrs@example.com" not in terms
    assert sorted(terms) == sorted(
        [
            "agent:mbox:mailto:ana@example.com",
            "ragent:mbox:mailto:coach@example.com",
            f"verb:{VERB}",
            f"activity:{ACTIVITY}",
            f"ractivity:{PARENT}",
            f"reg:{REGISTRATION}",
        ]
    )


def test_a_related_filter_reads_both_spellings_any_other_one() -> None:
    assert spellings("ragent:mbox:mailto:a@example.com") == (
        "ragent:mbox:mailto:a@example.com",
        "agent:mbox:mailto:a@example.com",
    )
    assert spellings(f"ractivity:{PARENT}") == (f"ractivity:{PARENT}", f"activity:{PARENT}")
    for term in ("agent:mbox:mailto:a@example.com", f"activity:{ACTIVITY}", f"verb:{VERB}"):
        assert spellings(term) == (term,)
    # a related agent also matches the statements it is the authority of
    assert authority_of("ragent:mbox:mailto:a@example.com") == "mbox:mailto:a@example.com"
    for term in ("agent:mbox:mailto:a@example.com", f"ractivity:{PARENT}", f"verb:{VERB}"):
        assert authority_of(term) is None


def test_every_filter_asks_for_a_term_the_statement_stored() -> None:
    stored = set(_stored_terms())
    agent_key = next(t for t in stored if t.startswith("agent:")).removeprefix("agent:")
    for related in (False, True):
        asked = filter_terms(
            agent_key=agent_key,
            related_agents=related,
            verb=VERB,
            activity=PARENT if related else ACTIVITY,
            related_activities=related,
            registration=REGISTRATION,
        )
        # each asked term is stored under one of its spellings
        assert all(set(spellings(term)) & stored for term in asked.terms)
        assert asked.terms[0] == f"reg:{REGISTRATION}"  # the most selective drives the walk
        assert asked.verb == VERB  # checked on the walk's rows (their verb key)


def test_a_verb_filter_alone_is_the_term_that_drives_the_walk() -> None:
    only_verb = filter_terms(
        agent_key=None,
        related_agents=False,
        verb=VERB,
        activity=None,
        related_activities=False,
        registration=None,
    )
    assert only_verb.terms == (f"verb:{VERB}",)
    assert only_verb.verb is None
    assert only_verb.terms[0] in set(_stored_terms())
