"""The query-term vocabulary of ``statement_terms``: the one spelling of each term, for the
writers that store them and every reader that asks for them (the statement query, BI filters,
re-tagging on a roster change, erasure).

A term is a prefix and a value: ``agent:<ifi key>`` for the statement's actor (and a
Group's members), ``ragent:<ifi key>`` for any other agent the statement names (the
``related_agents`` form), ``verb:<iri>``, ``activity:<iri>`` for the object,
``ractivity:<iri>`` for any other activity named (``related_activities``), ``reg:<uuid>``.
Each stored term row also carries its statement's verb as a key (migration 0014), so a query
that filters on a verb besides another term checks the verb on the row it walks.

A related form is not stored beside its primary form: the actor is named once, as
``agent:``, and the object Activity once, as ``activity:`` (two rows of a realistic
statement's ten, and a fifth of the database's cost of its terms). A ``related_agents`` or
``related_activities`` filter therefore reads both spellings (`spellings`). Nor is the
authority stored as a term: every statement names one, which the statements table holds
(``authority_key``, indexed in stored order), so a ``related_agents`` filter also reads the
statements of that authority (`authority_of`); a StatementRef carries its target's authority
as a ``ragent:`` term (STR-Q-025). Statements stored before these rules, and StatementRefs
that carry their target's terms, may hold a statement under two spellings; readers count
such a statement once.
"""

from __future__ import annotations

from dataclasses import dataclass

from lrs.xapi.relations import IndexTerms

AGENT = "agent:"
RELATED_AGENT = "ragent:"
VERB = "verb:"
ACTIVITY = "activity:"
RELATED_ACTIVITY = "ractivity:"
REGISTRATION = "reg:"


def statement_terms(terms: IndexTerms) -> tuple[str, ...]:
    """The terms stored for a statement, each once, a related form only where its primary
    form is not stored, the authority not at all (the module docstring)."""
    out: dict[str, None] = {}
    for key in terms.actor_keys:
        out[AGENT + key] = None
    for key in terms.related_agent_keys:
        if AGENT + key not in out and key != terms.authority_key:
            out[RELATED_AGENT + key] = None
    out[VERB + terms.verb_id] = None
    if terms.object_activity_id is not None:
        out[ACTIVITY + terms.object_activity_id] = None
    for activity_id in terms.related_activity_ids:
        if activity_id != terms.object_activity_id:
            out[RELATED_ACTIVITY + activity_id] = None
    if terms.registration is not None:
        out[REGISTRATION + terms.registration] = None
    return tuple(out)


_PRIMARY_OF_RELATED = {RELATED_AGENT: AGENT, RELATED_ACTIVITY: ACTIVITY}


def spellings(term: str) -> tuple[str, ...]:
    """The stored terms that mean a statement matches `term`: a related form is matched by
    its own rows and by its primary form's (the module docstring); any other term by itself."""
    for related, primary in _PRIMARY_OF_RELATED.items():
        if term.startswith(related):
            return (term, primary + term.removeprefix(related))
    return (term,)


def authority_of(term: str) -> str | None:
    """The authority key whose statements also match `term`: a ``related_agents`` term's
    agent (the module docstring), else None."""
    return term.removeprefix(RELATED_AGENT) if term.startswith(RELATED_AGENT) else None


@dataclass(frozen=True)
class QueryTerms:
    """What a statement query must match: `terms`, most selective first (the first drives
    the index walk, the others are probed), and `verb`, a verb checked on the rows the walk
    visits (their verb key) when another term drives; a verb filter alone is a term."""

    terms: tuple[str, ...]
    verb: str | None = None


def filter_terms(
    *,
    agent_key: str | None,
    related_agents: bool,
    verb: str | None,
    activity: str | None,
    related_activities: bool,
    registration: str | None,
) -> QueryTerms:
    """The terms of a statement query's filters (`QueryTerms`)."""
    terms: list[str] = []
    if registration is not None:
        terms.append(REGISTRATION + registration)
    if agent_key is not None:
        terms.append((RELATED_AGENT if related_agents else AGENT) + agent_key)
    if activity is not None:
        terms.append((RELATED_ACTIVITY if related_activities else ACTIVITY) + activity)
    if verb is not None and terms:
        return QueryTerms(tuple(terms), verb)
    if verb is not None:
        terms.append(VERB + verb)
    return QueryTerms(tuple(terms))
