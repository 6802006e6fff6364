"""Strict JSON parsing for request bodies and JSON-valued parameters.

Beyond RFC 8259 it refuses what would break later layers: repeated keys (ST-VAL-010), invalid
UTF-8 (HDR-012), lone UTF-16 surrogates (they cannot be written back as UTF-8),
``NaN``/``Infinity``, numbers too large for a float or a 64-bit integer, and nesting deeper
than ``MAX_DEPTH``.

Two paths give the same answers. The fast one (orjson, five times quicker on a batch) takes
every text it can decide exactly: orjson keeps the last of repeated keys, so a repeat is seen
by counting colons (below). Anything it cannot decide (an escaped colon, a surrogate escape,
a run of 19 digits, any orjson error) goes to the standard library parser, which sees
repeated keys through ``object_pairs_hook`` and words every error.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NoReturn

import orjson

from lrs.errors import BadRequest

__all__ = ["child_path", "loads_strict"]

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_BOM = "\ufeff"
_BOM_BYTES = _BOM.encode("utf-8")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def child_path(path: str, key: str) -> str:
    """JSON path of property ``key`` under ``path``: ``$.actor`` or ``$.extensions['http://x']``."""
    if _NAME.fullmatch(key) is not None:
        return f"{path}.{key}"
    quoted = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"{path}['{quoted}']"


class _DuplicateKeyError(Exception):
    """Raised from inside the parser; the slow path then finds where it happened."""


class _Pairs(list[tuple[str, Any]]):
    """An object kept as its key/value pairs, used only to locate a repeated key."""


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _DuplicateKeyError
    return obj


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# What the storage and response layers can hold: 64-bit integers, and a nesting depth well
# inside what orjson serializes (254 levels). A statement is a dozen deep; the responses wrap
# it further (a StatementResult, a SubStatement's parent, an export row), so a value accepted
# at 250 levels failed later in the encoder (500). 128 leaves extensions ample room.
MAX_DEPTH = 128
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1


class _LimitError(ValueError):
    """A value JSON allows but this LRS cannot store; its message says which."""


def _bounded_int(text: str) -> int:
    value = int(text)
    if not _INT_MIN <= value <= _INT_MAX:
        raise _LimitError(f"integer {text[:40]} is outside the 64-bit range this LRS stores")
    return value


def _check_depth(value: Any, text: str, path: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH. Only a text with more than MAX_DEPTH brackets can
    be that deep, so the walk (iterative, linear) runs only for those."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequest(f"JSON nested deeper than {MAX_DEPTH} levels", path=path)
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is too large")
    return value


# Texts the fast path leaves to the standard parser: an escaped colon (it would hide a repeated
# key from the count), a surrogate escape (lone ones are refused with their path), and a run of
# 19 digits (orjson turns integers past 64 bits into floats; the slow path refuses them). The
# digit runs are found by mapping every digit to "0": a regex takes 25 times longer.
_UNDECIDED_ESCAPE = re.compile(rb"\\u(?:003[aA]|[dD][89a-fA-F])")
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGIT_RUN = b"0" * 19
# orjson serializes at most 254 levels; wrapped in this many lists, a value deeper than
# MAX_DEPTH is more than it can serialize.
_DEPTH_PADDING = 254 - 128


def _loads_fast(data: bytes) -> Any:
    """The parsed value, or ``_UNDECIDED_VALUE`` when the slow path must decide.

    A repeated key is seen by counting colons: outside strings a colon follows a key, and
    orjson never escapes one, so re-serializing the parsed value gives exactly as many colons
    as the text unless a repeated key (and its value) was dropped."""
    if _UNDECIDED_ESCAPE.search(data) is not None:
        return _UNDECIDED_VALUE
    if _LONG_DIGIT_RUN in data.translate(_DIGITS_AS_ZERO):
        return _UNDECIDED_VALUE
    try:
        value = orjson.loads(data)
        padded: Any = value
        # Only a text with more than MAX_DEPTH brackets can nest deeper than MAX_DEPTH.
        if data.count(b"[") + data.count(b"{") > MAX_DEPTH:
            for _ in range(_DEPTH_PADDING):
                padded = [padded]
        canonical = orjson.dumps(padded)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return _UNDECIDED_VALUE
    if canonical.count(b":") != data.count(b":"):
        return _UNDECIDED_VALUE
    return value


_UNDECIDED_VALUE = object()


def loads_strict(data: bytes | str, *, path: str = "$") -> Any:
    """Parse JSON text, refusing anything a statement or document must not hold.

    Integers stay ``int`` and fractions become ``float``. Every failure is a ``BadRequest``
    whose ``path`` is ``path`` (the body or parameter), or the JSON path of a repeated key.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    fast = _loads_fast(raw[3:] if raw.startswith(_BOM_BYTES) else raw)
    if fast is not _UNDECIDED_VALUE:
        return fast
    return loads_standard(data, path=path)


def loads_standard(data: bytes | str, *, path: str = "$") -> Any:
    """``loads_strict`` on the standard library parser alone: what decides, and words, every
    text the fast path leaves undecided."""
    text = _decode(data, path)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_object,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except _DuplicateKeyError:
        _raise_duplicate(text, path)
    except _LimitError as exc:
        raise BadRequest(str(exc), path=path) from None
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", path=path
        ) from None
    except ValueError as exc:
        raise BadRequest(f"malformed JSON: {exc}", path=path) from None
    except RecursionError:
        raise BadRequest(f"JSON nested deeper than {MAX_DEPTH} levels", path=path) from None
    # Surrogates first: the depth check's serializer refuses them too, and their own error
    # names the string's path.
    if _SURROGATE_ESCAPE.search(text) is not None:
        _check_surrogates(value, path)
    # Nesting deeper than MAX_DEPTH needs more than MAX_DEPTH characters at the very least.
    if isinstance(value, dict | list) and len(text) > MAX_DEPTH:
        _check_depth(value, text, path)
    return value


def _decode(data: bytes | str, path: str) -> str:
    if isinstance(data, str):
        text = data
    else:
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest(
                f"body is not valid UTF-8 (byte {exc.start}); JSON must be UTF-8 encoded",
                path=path,
            ) from None
    # RFC 8259 lets a parser ignore a leading byte order mark.
    return text[1:] if text.startswith(_BOM) else text


def _raise_duplicate(text: str, path: str) -> NoReturn:
    tree = json.loads(text, object_pairs_hook=_Pairs)
    located = _find_duplicate(tree, path)
    if located is None:  # pragma: no cover - the fast path already saw a repeat
        raise BadRequest("a property is repeated in one object", path=path)
    key, key_path = located
    raise BadRequest(f"property {key!r} is repeated", path=key_path)


def _find_duplicate(node: Any, path: str) -> tuple[str, str] | None:
    if isinstance(node, _Pairs):
        seen: set[str] = set()
        for key, value in node:
            if key in seen:
                return key, child_path(path, key)
            seen.add(key)
            found = _find_duplicate(value, child_path(path, key))
            if found is not None:
                return found
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found = _find_duplicate(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def _check_surrogates(node: Any, path: str) -> None:
    """Refuse a lone surrogate escape such as ``"\\ud800"``: it is not encodable as UTF-8."""
    if isinstance(node, str):
        _check_text(node, path)
    elif isinstance(node, dict):
        for key, value in node.items():
            _check_text(key, path)
            _check_surrogates(value, child_path(path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _check_surrogates(item, f"{path}[{index}]")


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(
            "string holds an unpaired UTF-16 surrogate escape, which is not valid Unicode",
            path=path,
        ) from None
