"""The query-term vocabulary: what a writer stores is what every reader asks for."""

from __future__ import annotations

from datetime import UTC, datetime

from lrs.xapi.prepare import prepare_statement
from lrs.xapi.relations import statement_index_terms
from lrs.xapi.terms import filter_terms, statement_terms
from lrs.xapi.versions import XapiVersion

ACTOR = {"mbox": "mailto:ana@example.com"}
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
            "contextActivities": {"parent": [{"id": PARENT}]},
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
    assert any(t.startswith("agent:") for t in terms)
    assert any(t.startswith("ragent:") for t in terms)


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
        assert set(asked.terms) <= stored
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
