"""Strict JSON parsing: HDR-012 (UTF-8), ST-VAL-010 (repeated keys), RFC 8259 numbers."""

from __future__ import annotations

import json
import random
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrs.errors import BadRequest
from lrs.xapi.jsonparse import MAX_DEPTH, child_path, loads_standard, loads_strict


def test_parses_objects_arrays_and_keeps_number_types() -> None:
    value = loads_strict(b'{"a": 1, "b": 1.5, "c": [true, null, "x"], "d": 10000000000000000000}')
    assert value == {"a": 1, "b": 1.5, "c": [True, None, "x"], "d": 10000000000000000000}
    assert type(value["a"]) is int
    assert type(value["b"]) is float


def test_accepts_str_input_and_utf8_text() -> None:
    assert loads_strict('{"name": "Zoë 漢字 😀"}') == {"name": "Zoë 漢字 😀"}
    assert loads_strict('{"name": "Zoë"}'.encode()) == {"name": "Zoë"}


def test_ignores_a_leading_byte_order_mark() -> None:
    assert loads_strict("\ufeff[1]".encode()) == [1]


def test_hdr_012_refuses_invalid_utf8() -> None:
    with pytest.raises(BadRequest, match="UTF-8") as info:
        loads_strict(b'{"a": "\xff"}')
    assert info.value.path == "$"


def test_refuses_latin1_encoded_body() -> None:
    with pytest.raises(BadRequest, match="UTF-8"):
        loads_strict('{"a": "é"}'.encode("latin-1"))


@pytest.mark.parametrize(
    "text", ["", "{", '{"a": }', "[1,]", "{'a': 1}", '{"a": 1} x', "tru", '{"a" 1}']
)
def test_refuses_malformed_json(text: str) -> None:
    with pytest.raises(BadRequest, match="malformed JSON") as info:
        loads_strict(text, path="param:agent")
    assert info.value.path == "param:agent"


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}'])
def test_refuses_nan_and_infinity(text: str) -> None:
    with pytest.raises(BadRequest, match="not a JSON number"):
        loads_strict(text)


def test_refuses_numbers_too_large_for_a_float() -> None:
    with pytest.raises(BadRequest, match="too large"):
        loads_strict('{"score": 1e400}')


def test_st_val_010_repeated_key_at_top_level() -> None:
    with pytest.raises(BadRequest, match="property 'verb' is repeated") as info:
        loads_strict('{"verb": {"id": "http://a"}, "verb": {"id": "http://b"}}')
    assert info.value.path == "$.verb"


def test_st_val_010_repeated_key_nested_in_arrays() -> None:
    body = '[{"actor": {}}, {"actor": {"mbox": "mailto:a@b.c", "mbox": "mailto:d@e.f"}}]'
    with pytest.raises(BadRequest, match="property 'mbox' is repeated") as info:
        loads_strict(body)
    assert info.value.path == "$[1].actor.mbox"


def test_st_val_010_repeated_extension_key_uses_bracket_path() -> None:
    body = '{"extensions": {"http://x.org/e": 1, "http://x.org/e": 2}}'
    with pytest.raises(BadRequest) as info:
        loads_strict(body)
    assert info.value.path == "$.extensions['http://x.org/e']"


def test_same_key_in_sibling_objects_is_fine() -> None:
    assert loads_strict('[{"id": 1}, {"id": 2}]') == [{"id": 1}, {"id": 2}]


def test_refuses_lone_surrogate_escape() -> None:
    with pytest.raises(BadRequest, match="surrogate") as info:
        loads_strict('{"a": ["ok", "\\ud800"]}')
    assert info.value.path == "$.a[1]"


def test_accepts_paired_surrogate_escape() -> None:
    assert loads_strict('{"a": "\\ud83d\\ude00"}') == {"a": "😀"}


def test_refuses_absurd_nesting_without_crashing() -> None:
    with pytest.raises(BadRequest):
        loads_strict("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("actor", "$.actor"),
        ("mbox_sha1sum", "$.mbox_sha1sum"),
        ("en-US", "$['en-US']"),
        ("it's", "$['it\\'s']"),
        ("", "$['']"),
    ],
)
def test_child_path(key: str, expected: str) -> None:
    assert child_path("$", key) == expected


@pytest.mark.parametrize("number", ["-9223372036854775809", "18446744073709551616", "1" * 30])
def test_integers_beyond_64_bits_are_refused(number: str) -> None:
    """Storage and responses hold 64-bit integers; a larger one is a 400, not a 500."""
    with pytest.raises(BadRequest, match="64-bit range"):
        loads_strict(f'{{"a": [{number}]}}')


@pytest.mark.parametrize("number", ["-9223372036854775808", "18446744073709551615"])
def test_64_bit_extremes_are_kept(number: str) -> None:
    assert loads_strict(f"[{number}]") == [int(number)]


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_nesting_beyond_the_limit_is_refused(opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    assert loads_strict(opening * MAX_DEPTH + "1" + closing * MAX_DEPTH) is not None
    deeper = MAX_DEPTH + 1
    with pytest.raises(BadRequest, match="nested deeper"):
        loads_strict(opening * deeper + "1" + closing * deeper)
    with pytest.raises(BadRequest, match="nested deeper"):
        loads_strict(opening * 100_000 + "1" + closing * 100_000)


def test_many_brackets_without_deep_nesting_are_fine() -> None:
    """The depth limit is about nesting: long batches and bracket-filled strings pass."""
    batch = "[" + ",".join('{"a": [1, {"b": 2}]}' for _ in range(500)) + "]"
    assert len(loads_strict(batch)) == 500
    text = "[" * (MAX_DEPTH + 10)
    assert loads_strict(f'{{"a": "{text}"}}') == {"a": text}


def test_a_lone_surrogate_in_a_large_batch_is_reported_at_its_path() -> None:
    """A body with more brackets than the depth bound still gets the surrogate error, at the
    string's path, not a depth error (the serializer used for the depth check refuses both)."""
    statements = ",".join('{"a":[1]}' for _ in range(200))
    text = "[" + statements + ',{"b":"\\ud800"}]'
    with pytest.raises(BadRequest) as caught:
        loads_strict(text)
    assert "surrogate" in str(caught.value)
    assert caught.value.path == "$[200].b"


# The fast path (orjson) and the standard parser must agree on every text: same value and
# types, or the same error at the same path.
def _outcome(parse: Any, data: bytes) -> tuple[Any, ...]:
    try:
        value = parse(data)
    except BadRequest as error:
        return ("refused", error.message, error.path)
    return ("parsed", orjson.dumps(value, option=orjson.OPT_SORT_KEYS), _types(value))


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_types(item) for item in value]
    return type(value).__name__


_TRICKY = [
    b'{"a": 1, "a": 1}',
    b'{"a": 1, "b": {"c": 2, "c": 3}}',
    b'[{"a": ":"}, {"a": "x", "a": "y"}]',
    b'{"a": 1, "a": 2, "b": "\\u003a"}',  # an escaped colon would hide the repeat from a count
    b'{"a": "\\u003A", "b": 1}',
    b'{"k:": 1, "k:": 2}',
    b'{"\\u0061": 1, "a": 2}',  # the same key, once escaped
    b'{"a":{"b":1},"a":{"b":1}}',
    b'["\\ud800"]',
    b'["\\ud83d\\ude00"]',
    b"[18446744073709551615]",
    b"[18446744073709551616]",
    b"[-9223372036854775808]",
    b"[-9223372036854775809]",
    b'["1234567890123456789012"]',
    b"[1e400]",
    b"[-1e400]",
    b"[1e-400]",
    b"[1.0, 1E2, -0, -0.0, 0.1, 5e-324, 1.7976931348623157e308]",
    b"[NaN]",
    b"[Infinity]",
    b"[01]",
    b"[.5]",
    b"[1.]",
    b"[+1]",
    b'["a\\x"]',
    b'["tab\there"]',
    b'["line\nbreak"]',
    b'["\\/"]',
    b"[1,]",
    b"\x0c[1]",
    b" \t\r\n[1] \n",
    b"\xef\xbb\xbf[1]",
    b"\xef\xbb\xbf\xef\xbb\xbf[1]",
    b'{"a": "\xff"}',
    b'{"a": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8
    b'"just a string"',
    b"123",
    b"null",
    b"",
    b"[" * MAX_DEPTH + b"]" * MAX_DEPTH,
    b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
    b'{"a":' * MAX_DEPTH + b"1" + b"}" * MAX_DEPTH,
    b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1),
    b"[" * 2000 + b"]" * 2000,
]


@pytest.mark.parametrize("data", _TRICKY)
def test_fast_path_agrees_with_the_standard_parser(data: bytes) -> None:
    assert _outcome(loads_strict, data) == _outcome(loads_standard, data)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@given(value=_JSON, seed=st.integers(0, 2**32 - 1))
@settings(max_examples=400, deadline=None)
def test_fast_path_agrees_on_generated_texts(value: Any, seed: int) -> None:
    """Serialized values, and the same texts with a repeated key or a cut made in them."""
    text = json.dumps(value, ensure_ascii=seed % 2 == 0).encode()
    rng = random.Random(seed)
    variants = [text, text[: rng.randrange(len(text) + 1)]]
    if text.startswith(b"{") and len(text) > 2:
        variants.append(b'{"k": 1, "k": 2, ' + text[1:])
    for data in variants:
        assert _outcome(loads_strict, data) == _outcome(loads_standard, data)
