"""Signed statements: JWS signature attachments are verified before storing (SIG-*)."""

from __future__ import annotations

import json
from collections.abc import Callable

from ..http import Session
from ..jws import b64url, sign
from ..multipart import SIGNATURE, build, data_part, json_part, sha
from ..registry import add, check
from ..xapi import Json, statement, verb

AREA = "signatures"


def signed_request(
    s: Session,
    original: Json,
    jws: bytes,
    content_type: str = "application/octet-stream",
) -> tuple[int, str]:
    """POST ``original`` with ``jws`` attached as its signature; returns status and body."""
    att = {
        "usageType": SIGNATURE,
        "display": {"en-US": "Signature"},
        "contentType": content_type,
        "length": len(jws),
        "sha2": sha(jws),
    }
    sent = {**original, "attachments": [att]}
    body, ctype = build([json_part(sent), data_part(jws, content_type)])
    response = s.request("POST", "statements", content=body, headers={"Content-Type": ctype})
    return response.status_code, response.text


def payload(st: Json) -> bytes:
    """The JWS payload: the statement as it was before the signature was attached."""
    return json.dumps(st).encode()


@check("SIG-001", "SIG-006", area=AREA)
def valid_signature_accepted(s: Session) -> None:
    """A statement with a valid RS256 signature and matching x5c is stored."""
    st = statement()
    status, _ = signed_request(s, st, sign(payload(st)))
    s.expect(status == 200, f"valid signed statement answered {status}")


@check("SIG-005", area=AREA)
def rs384_and_rs512_accepted(s: Session) -> None:
    """RS384 and RS512 are allowed algorithms."""
    for alg in ("RS384", "RS512"):
        st = statement()
        status, _ = signed_request(s, st, sign(payload(st), alg))
        s.expect(status == 200, f"{alg} signature answered {status}")


Mutation = Callable[[Json], tuple[Json, bytes, str]]


def _bad_content_type(st: Json) -> tuple[Json, bytes, str]:
    return st, sign(payload(st)), "text/plain"


def _not_jws(st: Json) -> tuple[Json, bytes, str]:
    return st, b"this is not a JWS", "application/octet-stream"


def _payload_not_json(st: Json) -> tuple[Json, bytes, str]:
    return st, sign(b"not json at all"), "application/octet-stream"


def _payload_differs(st: Json) -> tuple[Json, bytes, str]:
    other = {**st, "verb": verb("different")}
    return st, sign(payload(other)), "application/octet-stream"


def _alg(alg: str) -> Mutation:
    def build_it(st: Json) -> tuple[Json, bytes, str]:
        return st, sign(payload(st), alg), "application/octet-stream"

    return build_it


def _wrong_certificate(st: Json) -> tuple[Json, bytes, str]:
    return st, sign(payload(st), cert_name="someone-else"), "application/octet-stream"


def _tampered(st: Json) -> tuple[Json, bytes, str]:
    jws = sign(payload(st))
    head, body, sig = jws.split(b".")
    flipped = b64url(bytes(255 - b for b in sig[:8])).encode()[:8] + sig[8:]
    return st, b".".join([head, body, flipped]), "application/octet-stream"


def _json_serialization(st: Json) -> tuple[Json, bytes, str]:
    head, body, sig = sign(payload(st)).decode().split(".")
    doc = {"payload": body, "signatures": [{"protected": head, "signature": sig}]}
    return st, json.dumps(doc).encode(), "application/octet-stream"


BAD: list[tuple[str, tuple[str, ...], Mutation]] = [
    ("signature-content-type-not-octet-stream", ("SIG-002",), _bad_content_type),
    ("signature-not-a-jws", ("SIG-002", "SIG-007"), _not_jws),
    ("payload-not-json", ("SIG-003",), _payload_not_json),
    ("payload-differs-from-statement", ("SIG-004",), _payload_differs),
    ("alg-hs256", ("SIG-005",), _alg("HS256")),
    ("alg-none", ("SIG-005",), _alg("none")),
    ("x5c-of-another-key", ("SIG-006",), _wrong_certificate),
    ("tampered-signature", ("SIG-007", "SIG-006"), _tampered),
]


def _refused(mutate: Mutation) -> Callable[[Session], None]:
    def run(s: Session) -> None:
        st, jws, ctype = mutate(statement())
        status, text = signed_request(s, st, jws, ctype)
        s.expect(status == 400, f"bad signature answered {status}, expected 400")
        s.expect(text.strip(), "400 without an explanation (SIG-008)")

    return run


for _name, _ids, _mutate in BAD:
    add(f"{AREA}/refuse-{_name}", _ids, AREA, _refused(_mutate))


@check("SIG-008", area=AREA)
def refusal_explains(s: Session) -> None:
    """A refused signed statement gets an explanation in the body."""
    st, jws, ctype = _payload_differs(statement())
    status, text = signed_request(s, st, jws, ctype)
    s.expect(status == 400 and len(text.strip()) > 2, f"status {status}, body {text[:80]!r}")


@check("SIG-009", area=AREA)
def json_serialization_either_way(s: Session) -> None:
    """JWS JSON serialization may be refused (400) or accepted; nothing else."""
    st, jws, ctype = _json_serialization(statement())
    status, _ = signed_request(s, st, jws, ctype)
    s.expect(status in (200, 400), f"JSON-serialized JWS answered {status}")
