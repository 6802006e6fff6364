"""Accept-Language parsing and language choice for canonical format (STR-Q-021/022)."""

from __future__ import annotations

import pytest

from lrs.xapi.languages import parse_accept_language, pick_language

MAP = {"en-US": "color", "en-GB": "colour", "fr": "couleur", "de-DE": "Farbe"}


@pytest.mark.parametrize(
    ("header", "ranges"),
    [
        (None, ()),
        ("", ()),
        ("fr", ("fr",)),
        ("da, en-gb;q=0.8, en;q=0.7", ("da", "en-gb", "en")),
        ("en;q=0.5, fr", ("fr", "en")),
        ("en;q=0.5,de;q=0.5,fr;q=0.9", ("fr", "en", "de")),
        ("en; q=0.5 , fr ;Q=0.6", ("fr", "en")),
        ("*;q=0.1, fr", ("fr", "*")),
        ("en;q=0, fr", ("fr",)),
        ("en;q=abc, fr", ("fr",)),
        ("en;q=2, fr", ("fr",)),
        (" , fr,,", ("fr",)),
        ("en;level=1;q=0.4, de", ("de", "en")),
    ],
)
def test_parse_accept_language(header: str | None, ranges: tuple[str, ...]) -> None:
    """RFC 2616 §14.4 (STR-Q-022): by q value, ties in header order, q=0 dropped."""
    assert parse_accept_language(header) == ranges


def test_parse_accept_language_reads_a_bounded_number_of_ranges() -> None:
    header = ", ".join(f"x-l{i}" for i in range(1000))
    assert len(parse_accept_language(header)) == 32


@pytest.mark.parametrize(
    ("preferences", "picked"),
    [
        (("fr",), {"fr": "couleur"}),
        (("en-GB",), {"en-GB": "colour"}),
        (("EN-gb",), {"en-GB": "colour"}),
        (("de", "fr"), {"de-DE": "Farbe"}),
        (("es", "fr"), {"fr": "couleur"}),
        (("en",), {"en-US": "color"}),
        (("fr-CA",), {"fr": "couleur"}),
        (("en-AU",), {"en-US": "color"}),
        (("es", "en-AU", "de"), {"de-DE": "Farbe"}),
        (("*",), {"en-US": "color"}),
        (("ja",), {"en-US": "color"}),
        ((), {"en-US": "color"}),
    ],
)
def test_pick_language(preferences: tuple[str, ...], picked: dict[str, str]) -> None:
    """STR-Q-021/022: exact tag, then range prefix, then primary subtag, then first entry."""
    assert pick_language(MAP, preferences) == picked


def test_exact_match_beats_prefix_match_for_the_same_range() -> None:
    language_map = {"en-US": "a", "en": "b"}
    assert pick_language(language_map, ["en"]) == {"en": "b"}


def test_range_prefix_must_end_at_a_subtag_boundary() -> None:
    """RFC 2616 §14.4: `en` matches `en-US` but not `eng`."""
    assert pick_language({"eng": "x", "en-US": "y"}, ["en"]) == {"en-US": "y"}


def test_a_higher_preference_prefix_beats_a_lower_exact_match() -> None:
    assert pick_language({"en-US": "a", "fr": "b"}, ["en", "fr"]) == {"en-US": "a"}


def test_pick_language_always_one_entry_or_none() -> None:
    assert pick_language({}, ["en"]) == {}
    assert pick_language({"und": "x"}, []) == {"und": "x"}


def test_pick_language_does_not_modify_the_map() -> None:
    language_map = dict(MAP)
    pick_language(language_map, ["fr"])
    assert language_map == MAP
