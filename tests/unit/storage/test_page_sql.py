"""The page query's SQL is compiled once per shape: every shape compiles, each of its
parameters has a value, a probe keeps its LIMIT 1 (the plan that walks in stored order,
see `_probe`), a related form reads both its spellings (`lrs.xapi.terms.spellings`), and
the read's one command gets every value where the query reads it (`_read_page_sql`)."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest

from lrs.storage.statement_queries import (
    _DIALECT,
    _PLACES,
    PageQuery,
    _page_select,
    _page_sql,
    _read_page_sql,
    _shape,
    _values,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _pages() -> list[PageQuery]:
    return [
        PageQuery(
            terms=tuple(
                f"ragent:key{n}" if is_related else f"agent:key{n}"
                for n, is_related in enumerate(related)
            ),
            verb=verb,
            since=NOW if since else None,
            until=NOW if until else None,
            authority_key="account:k" if own else None,
            ascending=ascending,
            limit=10,
            after=(NOW, 7) if after else None,
        )
        for terms in range(4)
        for related in itertools.product((False, True), repeat=terms)
        for verb in ((None,) if terms == 0 else (None, "http://example.com/verb"))
        for own, since, until, after, ascending in itertools.product((False, True), repeat=5)
    ]


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(_shape(p)))
def test_every_shape_sends_a_value_for_each_parameter(page: PageQuery) -> None:
    sql, names = _page_sql(_shape(page))
    values = _values(page)
    assert all(values.get(name) is not None for name in names), (names, values)
    related = [term for term in page.terms if term.startswith("ragent:")]
    assert sum(name.endswith("_also") for name in names) == len(related)
    assert sum(name.endswith("_authority") for name in names) == len(related)
    probes = max(len(page.terms) - 1, 0) + (1 if page.verb else 0)
    repeated = (1 if page.authority_key and page.terms else 0) + (1 if page.verb else 0)
    if not (page.terms and page.terms[0].startswith("ragent:")):
        assert sql.count("$") == len(names) + repeated
        assert sql.count("LIMIT 1)") == probes
        assert "UNION ALL" not in sql
        assert "DISTINCT" not in sql
        return
    # a driving related agent: the two spellings' walks, identical but for the driving
    # term, and the walk of its statements as authority; merged, a page kept
    first, second, third = sql.split(" UNION ALL ")
    term_0, also = (f"${names.index(n) + 1}::" for n in ("term_0", "term_0_also"))
    assert first.split("FROM ((", 1)[1].replace(term_0, also) == second[1:]
    assert third.startswith("(SELECT statements.stored AS stored, statements.seq AS seq")
    authority = f"${names.index('term_0_authority') + 1}::"
    assert f"WHERE statements.authority_key = {authority}" in third
    assert first.count("LIMIT 1)") == second.count("LIMIT 1)") == probes
    assert third.count("LIMIT 1)") == probes - (1 if page.verb else 0)  # its own verb
    assert "SELECT DISTINCT ON (merged.stored, merged.seq)" in sql


def test_shapes_are_compiled_once() -> None:
    pages = _pages()
    assert len({_shape(p) for p in pages}) == 928
    first = _page_sql(_shape(pages[-1]))
    assert _page_sql(_shape(pages[-1])) is first


def test_a_related_activity_walks_its_two_spellings_and_no_authority() -> None:
    for terms in (("ractivity:http://e.com/a",), ("agent:k", "ractivity:http://e.com/a")):
        page = PageQuery(
            terms=terms,
            verb="http://example.com/verb",
            since=None,
            until=None,
            authority_key=None,
            ascending=False,
            limit=10,
            after=None,
        )
        sql, names = _page_sql(_shape(page))
        values = _values(page)
        assert all(values.get(name) is not None for name in names)
        assert not [name for name in names if name.endswith("_authority")]
        assert "statements.authority_key" not in sql
        index = len(terms) - 1
        assert values[f"term_{index}_also"] == "activity:http://e.com/a"
        assert sql.count(" UNION ALL ") == (1 if index == 0 else 0)


_ARRAY_OF_TYPE = {"Text": "$1", "DateTime": "$2", "Integer": "$3", "BigInteger": "$3"}


@pytest.mark.parametrize("page", _pages()[::7], ids=lambda p: str(_shape(p)))
def test_the_read_page_function_gets_each_value_in_its_typed_array(page: PageQuery) -> None:
    """`lrs_read_page` (migration 0018) runs the page query with its values in three typed
    arrays: no parameter of the query's own is left, and each value's place is in the array
    of its type (a text read as a moment would fail, or worse, be cast)."""
    shape = _shape(page)
    sql, names = _page_sql(shape)
    placed = _read_page_sql(shape)
    assert not re.search(r"\$\d+::", placed), placed
    binds = _page_select(shape).compile(dialect=_DIALECT).binds
    for number, name in enumerate(names, start=1):
        array = _ARRAY_OF_TYPE[type(binds[name].type).__name__]
        assert _PLACES[name].startswith(array + "["), (name, _PLACES[name])
        assert f"${number}::" in sql
        assert f"{_PLACES[name]}::" in placed
    # the page is the same query: only its parameters' spelling changed
    assert re.sub(r"\$\d+(\[\d+\])?::", "?::", placed) == re.sub(r"\$\d+::", "?::", sql)
