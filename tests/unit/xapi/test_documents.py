"""Pure document rules: ETags, preconditions, the 409 rule, media types, JSON merge."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrs.errors import BadRequest, Conflict, PayloadTooLarge, PreconditionFailed
from lrs.xapi.documents import (
    DocumentKind,
    Preconditions,
    check_json_body,
    check_preconditions,
    check_size,
    check_unconditional_put,
    etag_for,
    is_json_media_type,
    merge_json,
    parse_entity_tags,
    parse_json_object,
    quote_etag,
    requires_precondition,
    serialize_json,
)
from lrs.xapi.versions import XapiVersion

TAG = etag_for(b'{"a":1}')
OTHER = etag_for(b'{"a":2}')


def test_etag_is_lowercase_hex_sha1_of_the_bytes() -> None:
    """CONC-003."""
    assert etag_for(b"hello") == hashlib.sha1(b"hello").hexdigest()
    assert etag_for(b"hello") == etag_for(b"hello").lower()
    assert len(etag_for(b"")) == 40


@given(st.binary(), st.binary())
def test_etag_changes_with_the_content(a: bytes, b: bytes) -> None:
    """CONC-012."""
    assert (etag_for(a) == etag_for(b)) == (a == b)


def test_quote_etag() -> None:
    """CONC-002: the header value is a quoted entity-tag."""
    assert quote_etag("abc") == '"abc"'


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("*", None),
        (" * ", None),
        ('"abc"', [("abc", False)]),
        ('"a", "b"', [("a", False), ("b", False)]),
        ('W/"a",  "b"', [("a", True), ("b", False)]),
        ("abc", [("abc", False)]),
        ('"a,b"', [("a,b", False)]),
        ("", []),
    ],
)
def test_parse_entity_tags(header: str, expected: list[tuple[str, bool]] | None) -> None:
    assert parse_entity_tags(header) == expected


@pytest.mark.parametrize(
    "conditions",
    [
        Preconditions(),
        Preconditions(if_match=quote_etag(TAG)),
        Preconditions(if_match=TAG),
        Preconditions(if_match="*"),
        Preconditions(if_match=f'"{OTHER}", "{TAG}"'),
        Preconditions(if_none_match=quote_etag(OTHER)),
    ],
)
def test_preconditions_that_hold_on_an_existing_document(conditions: Preconditions) -> None:
    """CONC-005, CONC-007, CONC-012."""
    check_preconditions(conditions, TAG)


@pytest.mark.parametrize(
    ("conditions", "header"),
    [
        (Preconditions(if_match=quote_etag(OTHER)), "If-Match"),
        (Preconditions(if_match=f'W/"{TAG}"'), "If-Match"),  # strong comparison (CONC-012)
        (Preconditions(if_match=""), "If-Match"),
        (Preconditions(if_none_match="*"), "If-None-Match"),  # CONC-006, CONC-008
        (Preconditions(if_none_match=quote_etag(TAG)), "If-None-Match"),
        (Preconditions(if_match=quote_etag(TAG), if_none_match="*"), "If-None-Match"),
    ],
)
def test_preconditions_that_fail_on_an_existing_document(
    conditions: Preconditions, header: str
) -> None:
    """CONC-005..008: 412, and the path names the header that failed."""
    with pytest.raises(PreconditionFailed) as caught:
        check_preconditions(conditions, TAG)
    assert caught.value.path == f"header:{header}"


@pytest.mark.parametrize("if_match", ["*", quote_etag(TAG)])
def test_if_match_against_a_missing_document_fails(if_match: str) -> None:
    """CONC-013."""
    with pytest.raises(PreconditionFailed, match="no document exists"):
        check_preconditions(Preconditions(if_match=if_match), None)


@pytest.mark.parametrize(
    "conditions",
    [Preconditions(), Preconditions(if_none_match="*"), Preconditions(if_none_match=TAG)],
)
def test_preconditions_that_hold_on_a_missing_document(conditions: Preconditions) -> None:
    """CONC-006, CONC-010."""
    check_preconditions(conditions, None)


PROFILES = [DocumentKind.ACTIVITY_PROFILE, DocumentKind.AGENT_PROFILE]
V1 = XapiVersion.V1_0_3
V2 = XapiVersion.V2_0_0


@pytest.mark.parametrize("version", list(XapiVersion))
@pytest.mark.parametrize("kind", PROFILES)
def test_unconditional_put_over_a_profile_document_is_409(
    kind: DocumentKind, version: XapiVersion
) -> None:
    """CONC-009, CONC-011: 409 (never 428) with a message telling how to retry."""
    assert requires_precondition(kind, version)
    with pytest.raises(Conflict, match="If-Match") as caught:
        check_unconditional_put(kind, version, Preconditions(), exists=True)
    assert caught.value.status == 409


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_unconditional_put_of_a_new_document_proceeds_under_2_0(kind: DocumentKind) -> None:
    """CONC-010, REF-007: 2.0 lets a header-less PUT create any document."""
    check_unconditional_put(kind, V2, Preconditions(), exists=False)


@pytest.mark.parametrize("kind", PROFILES)
def test_unconditional_profile_put_of_a_new_document_is_400_under_1_0(
    kind: DocumentKind,
) -> None:
    """REF-007: under 1.0.x a profile PUT needs a precondition header even to create."""
    with pytest.raises(BadRequest, match="If-None-Match") as caught:
        check_unconditional_put(kind, V1, Preconditions(), exists=False)
    assert caught.value.status == 400


def test_state_is_exempt_from_the_409_rule_under_1_0() -> None:
    """DOC-ST-006."""
    assert not requires_precondition(DocumentKind.STATE, V1)
    check_unconditional_put(DocumentKind.STATE, V1, Preconditions(), exists=True)
    check_unconditional_put(DocumentKind.STATE, V1, Preconditions(), exists=False)


def test_state_put_over_an_existing_document_is_409_under_2_0() -> None:
    """REF-008."""
    assert requires_precondition(DocumentKind.STATE, V2)
    with pytest.raises(Conflict):
        check_unconditional_put(DocumentKind.STATE, V2, Preconditions(), exists=True)


@pytest.mark.parametrize("version", list(XapiVersion))
def test_a_conditional_put_over_a_profile_document_is_not_refused(version: XapiVersion) -> None:
    for exists in (True, False):
        check_unconditional_put(
            DocumentKind.AGENT_PROFILE,
            version,
            Preconditions(if_match=quote_etag(TAG)),
            exists=exists,
        )


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),  # CT-006
        ("Application/JSON ;charset=UTF-8", True),
        ("application/jsonx", False),
        ("text/plain", False),
        ("application/ld+json", False),
        (None, False),
    ],
)
def test_is_json_media_type(content_type: str | None, expected: bool) -> None:
    assert is_json_media_type(content_type) is expected


def test_merge_copies_top_level_keys_and_keeps_the_others() -> None:
    """DOC-003: nested values are replaced whole, not merged."""
    stored = {"a": 1, "nested": {"x": 1, "y": 2}, "keep": True}
    posted = {"a": 2, "nested": {"z": 3}, "new": None}
    assert merge_json(stored, posted) == {
        "a": 2,
        "nested": {"z": 3},
        "keep": True,
        "new": None,
    }
    assert stored == {"a": 1, "nested": {"x": 1, "y": 2}, "keep": True}


@given(
    st.dictionaries(st.text(max_size=5), st.integers()),
    st.dictionaries(st.text(max_size=5), st.integers()),
)
def test_merge_properties(stored: dict[str, int], posted: dict[str, int]) -> None:
    """DOC-003: every posted key wins, every other stored key survives."""
    merged = merge_json(stored, posted)
    assert set(merged) == set(stored) | set(posted)
    assert all(merged[k] == v for k, v in posted.items())
    assert all(merged[k] == v for k, v in stored.items() if k not in posted)


def test_parse_json_object_accepts_json_with_parameters() -> None:
    """CT-006."""
    assert parse_json_object(b'{"a": 1}', "application/json; charset=utf-8", what="posted") == {
        "a": 1
    }


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"a": 1}', "text/plain"),  # not declared as JSON
        (b'{"a": 1}', None),
        (b"[1, 2]", "application/json"),  # JSON, but not an object
        (b'"text"', "application/json"),
        (b"{not json", "application/json"),
    ],
)
def test_parse_json_object_refuses_what_cannot_be_merged(
    content: bytes, content_type: str | None
) -> None:
    """DOC-005."""
    with pytest.raises(BadRequest):
        parse_json_object(content, content_type, what="posted")


def test_check_json_body_only_checks_json_types() -> None:
    """CT-004 for JSON bodies; CT-005 any other type is stored as it comes."""
    check_json_body(b"\x00\xff binary", "application/octet-stream")
    check_json_body(b"[1]", "application/json")
    with pytest.raises(BadRequest):
        check_json_body(b"{oops", "application/json")


def test_check_size() -> None:
    """LIM-001, ERR-011."""
    check_size(b"x" * 10, 10)
    with pytest.raises(PayloadTooLarge):
        check_size(b"x" * 11, 10)


def test_serialize_json_round_trips_big_integers_and_unicode() -> None:
    value = {"big": 2**70, "text": "café", "f": 1.5}
    assert json.loads(serialize_json(value)) == value
    assert "café".encode() in serialize_json(value)
