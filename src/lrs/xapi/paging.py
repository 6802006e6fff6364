"""The one `more` token codec and keyset position of every paged resource (STR-M-004/005/008).

A paged resource (``/xAPI/statements``, ``/xAPI/extensions/statements``, and any new one)
continues a query with a token that carries the query's own parameters and the keyset
position, ``(stored, seq)``, of the last statement served: the link stays valid indefinitely
and page N costs what page 1 costs. Use it like this::

    token = more_token(items)              # the token of ?more=..., or None (400 if combined)
    if token is not None:
        params, after = codec.decode(PATH, token)   # 400 unless this LRS issued it for PATH
        ...re-validate params as if freshly sent, page after `after`...
    link = more_link(PATH, codec.encode(PATH, params, Position(last.stored, last.seq)))

Tokens are ``<payload>.<mac>`` (base64url): the payload is JSON, the MAC an HMAC-SHA256 over
the resource path and the payload with the server's paging key, so a token made up or altered
by a client, or issued by another resource, is a 400 with one wording. Tokens issued before
tokens were signed (bare base64 JSON) are still read when the key was created after their
position (``legacy_until``): such a token can only name what its parameters already allow.
Pure: no I/O; the key comes from the caller.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson

from lrs.errors import BadRequest

MORE_PARAM = "more"
MAX_TOKEN_CHARS = 16 * 1024
MAX_SEQ = 2**63 - 1

Params = tuple[tuple[str, str], ...]


@dataclass(frozen=True, order=True)
class Position:
    """Where a page ended: the last statement's `stored` (UTC) and `seq`."""

    stored: datetime
    seq: int


def foreign_token() -> BadRequest:
    """The one refusal of a token this LRS did not issue (or that was altered)."""
    return BadRequest("the 'more' token is not one this LRS issued", path="param:more")


def more_token(items: Sequence[tuple[str, str]]) -> str | None:
    """The `more` token when the request continues a query, else None; `more` stands alone."""
    names = [name for name, _ in items]
    if MORE_PARAM not in names:
        return None
    if len(names) != 1:
        raise BadRequest("'more' cannot be combined with other parameters", path="param:more")
    return items[0][1]


def more_link(path: str, token: str) -> str:
    """The relative IRL of the next page (STR-M-003)."""
    return f"{path}?{urlencode({MORE_PARAM: token})}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenCodec:
    """Signs and reads `more` tokens with one key (see the module docstring)."""

    def __init__(self, key: bytes, *, legacy_until: datetime | None = None) -> None:
        self._key = key
        self._legacy_until = legacy_until

    def _mac(self, resource: str, payload: bytes) -> bytes:
        return hmac.new(self._key, resource.encode() + b"\0" + payload, hashlib.sha256).digest()

    def encode(self, resource: str, params: Sequence[tuple[str, str]], after: Position) -> str:
        state = {"p": [list(pair) for pair in params], "c": [after.stored.isoformat(), after.seq]}
        payload = orjson.dumps(state)
        return f"{_b64(payload)}.{_b64(self._mac(resource, payload))}"

    def decode(self, resource: str, token: str) -> tuple[Params, Position]:
        """The parameters and position a token carries; 400 (`foreign_token`) otherwise."""
        if len(token) > MAX_TOKEN_CHARS:
            raise foreign_token()
        payload_text, dot, mac_text = token.partition(".")
        try:
            payload = _unb64(payload_text)
            mac = _unb64(mac_text) if dot else b""
        except (binascii.Error, ValueError):
            raise foreign_token() from None
        if dot:
            if not hmac.compare_digest(mac, self._mac(resource, payload)):
                raise foreign_token()
            return _read_state(payload)
        params, position = _read_state(payload)
        if self._legacy_until is None or position.stored > self._legacy_until:
            raise foreign_token()
        return params, position


def _read_state(payload: bytes) -> tuple[Params, Position]:
    try:
        state = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise foreign_token() from None
    if not isinstance(state, dict):
        raise foreign_token()
    # The signed form and the unsigned form /statements issued: {"p": pairs, "c": cursor};
    # the unsigned form /extensions/statements issued: {"q": {name: value}, "after": cursor}.
    raw_params: Any = state.get("p", state.get("q"))
    if isinstance(raw_params, dict):
        raw_params = list(raw_params.items())
    return _params(raw_params), _position(state.get("c", state.get("after")))


def _params(raw: Any) -> Params:
    if not isinstance(raw, list):
        raise foreign_token()
    pairs: list[tuple[str, str]] = []
    for pair in raw:
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            raise foreign_token()
        name, value = pair
        if not (isinstance(name, str) and isinstance(value, str)) or name == MORE_PARAM:
            raise foreign_token()
        pairs.append((name, value))
    return tuple(pairs)


def _position(raw: Any) -> Position:
    """A cursor as a UTC instant PostgreSQL can compare, and a seq a bigint holds."""
    if not (isinstance(raw, list) and len(raw) == 2):
        raise foreign_token()
    stored_text, seq = raw
    if not isinstance(stored_text, str) or type(seq) is not int or not 0 <= seq <= MAX_SEQ:
        raise foreign_token()
    try:
        stored = datetime.fromisoformat(stored_text)
        if stored.tzinfo is None:
            raise ValueError(stored_text)
        stored = stored.astimezone(UTC)
    except (ValueError, OverflowError):
        raise foreign_token() from None
    return Position(stored, seq)
