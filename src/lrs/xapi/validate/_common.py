"""Checks shared by every validator: JSON types, allowed keys, enums, maps, formats.

Each check raises ``BadRequest`` with the JSON path of the offending value. ``null`` fails
every type check, which is how ST-VAL-002 holds everywhere outside extension values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, NoReturn

from lrs.errors import BadRequest
from lrs.xapi import primitives
from lrs.xapi.jsonparse import child_path

JsonObject = dict[str, Any]
# A check of one value: raises ``BadRequest`` at the path given, else returns.
Check = Callable[[Any, str], object]

_TYPE_NAMES: dict[type, str] = {
    type(None): "null",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
}


def fail(message: str, path: str) -> NoReturn:
    raise BadRequest(message, path=path)


def describe(value: object) -> str:
    """Name a JSON value's type for error messages."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def wrong_type(value: object, expected: str, path: str) -> NoReturn:
    if value is None:
        fail(f"must be {expected}; null is not allowed here", path)
    fail(f"must be {expected}, not {describe(value)}", path)


class Keys:
    """The property names an object may and must have (ST-VAL-005, ST-VAL-007, ST-VAL-008)."""

    __slots__ = ("_folded", "allowed", "required")

    def __init__(self, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
        self.allowed = frozenset(allowed)
        self.required = frozenset(required)
        self._folded = {key.lower(): key for key in self.allowed}

    def check(self, obj: JsonObject, path: str) -> None:
        keys = obj.keys()
        if not keys <= self.allowed:
            for key in keys:
                if key not in self.allowed:
                    self._refuse(key, path)
        if not self.required <= keys:
            missing = sorted(self.required - keys)[0]
            fail(f"missing required property {missing!r}", path)

    def _refuse(self, key: str, path: str) -> NoReturn:
        known = self._folded.get(key.lower())
        if known is not None:
            fail(
                f"property {key!r} must be written {known!r}: property names are case-sensitive",
                child_path(path, key),
            )
        fail(f"unknown property {key!r}", child_path(path, key))


def check_properties(obj: JsonObject, checks: Mapping[str, Check], path: str) -> None:
    """Check each property of ``checks`` that ``obj`` has, in the order of ``checks``, so the
    first failure reported is the same whatever order the client wrote the keys in."""
    for key, check in checks.items():
        if key in obj:
            check(obj[key], f"{path}.{key}")


def check_object(value: object, path: str, what: str = "an object") -> JsonObject:
    if isinstance(value, dict):
        return value
    wrong_type(value, what, path)


def check_array(value: object, path: str) -> list[Any]:
    if isinstance(value, list):
        return value
    wrong_type(value, "an array", path)


def check_string(value: object, path: str) -> str:
    if isinstance(value, str):
        return value
    wrong_type(value, "a string", path)


def check_bool(value: object, path: str) -> bool:
    """``true`` or ``false`` only; ``"true"``, ``1`` and ``0`` are not booleans (ST-VAL-003)."""
    if isinstance(value, bool):
        return value
    wrong_type(value, "a boolean (true or false)", path)


def check_number(value: object, path: str) -> float:
    """An int or float, never a bool (ST-VAL-003) and never NaN or infinite."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value != value or value in (float("inf"), float("-inf")):
            fail("must be a finite number", path)
        return value
    wrong_type(value, "a number", path)


def check_enum(value: object, allowed: tuple[str, ...], path: str) -> str:
    """An exact, case-sensitive member of ``allowed`` (ST-VAL-006)."""
    if isinstance(value, str) and value in allowed:
        return value
    text = check_string(value, path)
    for option in allowed:
        if option.lower() == text.lower():
            fail(f"{text!r} must be written exactly {option!r}: values are case-sensitive", path)
    fail(f"{text!r} is not one of {', '.join(repr(option) for option in allowed)}", path)


# Identifiers (IRIs, IFIs) are indexed in btrees, whose entries PostgreSQL caps at 2704
# bytes: a 1 MB activity id passed validation and failed the insert (500). Where several
# identifiers share one index entry (an account, a document key), the API maps the rare entry
# still too large to 400 (api.errors). Far longer than any identifier in practice.
MAX_IDENTIFIER_BYTES = 2048


def check_identifier_size(text: str, path: str) -> str:
    """Refuse an identifier longer than MAX_IDENTIFIER_BYTES in UTF-8 (checked cheaply first)."""
    if len(text) > MAX_IDENTIFIER_BYTES // 4 and len(text.encode()) > MAX_IDENTIFIER_BYTES:
        fail(f"longer than {MAX_IDENTIFIER_BYTES} bytes: too long for an identifier", path)
    return text


def check_iri(value: object, path: str) -> str:
    text = check_identifier_size(check_string(value, path), path)
    if not primitives.is_iri(text):
        fail(f"{text!r} is not an absolute IRI (it needs a scheme such as 'http:')", path)
    return text


def check_irl(value: object, path: str) -> str:
    text = check_identifier_size(check_string(value, path), path)
    if not primitives.is_irl(text):
        fail(f"{text!r} is not an absolute IRL such as 'http://example.com/'", path)
    return text


def check_uuid(value: object, path: str) -> str:
    text = check_string(value, path)
    if not primitives.is_uuid(text):
        fail(f"{text!r} must be a UUID in 8-4-4-4-12 form", path)
    return text


def check_timestamp(value: object, path: str) -> datetime:
    """A statement's timestamp: ISO 8601, and not RFC 3339's "unknown local offset" ``-00``,
    ``-0000`` or ``-00:00``, which names no instant (REF-003)."""
    text = check_string(value, path)
    if primitives.has_negative_zero_offset(text):
        fail(f"timestamp {text!r} has the offset -00:00, which is not an instant", path)
    try:
        return primitives.parse_timestamp(text)
    except ValueError as exc:
        fail(f"timestamp {text!r} {exc}", path)


def check_language_map(value: object, path: str) -> None:
    """Keys are RFC 5646 tags, values are strings (ST-VAL-150, ST-VAL-151)."""
    mapping = check_object(value, path, "a language map (an object)")
    for tag, text in mapping.items():
        if not primitives.is_language_tag(tag):
            fail(f"{tag!r} is not an RFC 5646 language tag", child_path(path, tag))
        if not isinstance(text, str):
            wrong_type(text, "a string", child_path(path, tag))


def check_extensions(value: object, path: str) -> None:
    """Keys are IRIs; values may be any JSON, null included (ST-VAL-170, ST-VAL-171)."""
    mapping = check_object(value, path, "an extensions map (an object)")
    for key in mapping:
        if not primitives.is_iri(key):
            fail(f"extension key {key!r} is not an absolute IRI", child_path(path, key))


def check_iri_list(value: object, path: str) -> None:
    """A non-empty array of IRIs (ST-VAL-111)."""
    items = check_array(value, path)
    if not items:
        fail("must be a non-empty array of IRIs", path)
    for index, item in enumerate(items):
        check_iri(item, f"{path}[{index}]")
