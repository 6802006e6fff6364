"""Signed statements: JWS signature attachments checked before storing (SIG-001..009).

What is checked, for each Attachment of a statement whose usageType is the signature IRI:

- its `contentType` is `application/octet-stream` (SIG-002);
- its data arrived as a multipart part. A signature with only a `fileUrl` is refused: the
  LRS could not check it, and the texts do not say what to do (REQUIREMENTS.md section 4);
- the data is a JWS in compact serialization; JSON serialization is refused under both
  versions (SIG-009 under 1.0.3, malformed under 2.0);
- the protected header's `alg` is RS256, RS384 or RS512 (SIG-005) and it names no `crit`
  extension, since none is understood (RFC 7515 section 4.1.11);
- the payload is a JSON statement (SIG-003) equivalent to the received one (SIG-004);
- with an `x5c` header, the signature verifies against the first certificate's public key
  (SIG-006). This is a consistency check, not proof of identity: the chain is not validated.
  Without `x5c` there is no key to check against, so a well-formed signature is accepted.

Every refusal is a BadRequest saying why (SIG-007, SIG-008) with the attachment's path.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lrs.errors import BadRequest
from lrs.xapi.multipart import AttachmentPart, media_type
from lrs.xapi.versions import XapiVersion

__all__ = ["SIGNATURE_USAGE_TYPE", "verify_signed_statements"]

SIGNATURE_USAGE_TYPE = "http://adlnet.gov/expapi/attachments/signature"

Equivalent = Callable[[dict[str, Any], dict[str, Any]], bool]

_HASH_BY_ALG: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class _CompactJws:
    header: dict[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes


def verify_signed_statements(
    statements: Sequence[dict[str, Any]],
    parts: Mapping[str, AttachmentPart],
    version: XapiVersion,
    *,
    equivalent: Equivalent,
    batch: bool = True,
) -> None:
    """Check every signature attachment of the statements; raise BadRequest on the first breach.

    Only a statement's own `attachments` can sign it; a SubStatement is part of the statement
    its parent signs. `equivalent(signed, received)` is the ST-PROC-015 comparison.
    `batch=False` writes error paths from `$` for a single-statement body.
    """
    for i, statement in enumerate(statements):
        root = f"$[{i}]" if batch else "$"
        attachments = statement.get("attachments")
        if not isinstance(attachments, list):
            continue
        for j, attachment in enumerate(attachments):
            if isinstance(attachment, Mapping) and (
                attachment.get("usageType") == SIGNATURE_USAGE_TYPE
            ):
                path = f"{root}.attachments[{j}]"
                _verify_one(statement, attachment, parts, version, equivalent, path)


def _verify_one(
    statement: dict[str, Any],
    attachment: Mapping[str, Any],
    parts: Mapping[str, AttachmentPart],
    version: XapiVersion,
    equivalent: Equivalent,
    path: str,
) -> None:
    content_type = attachment.get("contentType")
    if not isinstance(content_type, str) or media_type(content_type) != "application/octet-stream":
        raise BadRequest(
            f"signature attachment contentType must be application/octet-stream, got "
            f"{content_type!r} (SIG-002)",
            path=path,
        )
    jws = _parse_compact(_signature_data(attachment, parts, path), version, path)
    _check_header(jws.header, path)
    signed = _signed_statement(jws.payload, path)
    if "x5c" in jws.header:
        _verify_with_x5c(jws, path)
    if not equivalent(signed, statement):
        raise BadRequest(
            "the statement in the signature differs from the statement received (SIG-004)",
            path=path,
        )


def _signature_data(
    attachment: Mapping[str, Any], parts: Mapping[str, AttachmentPart], path: str
) -> bytes:
    sha2 = attachment.get("sha2")
    part = parts.get(sha2.lower()) if isinstance(sha2, str) else None
    if part is not None:
        return part.data
    if "fileUrl" in attachment:
        raise BadRequest(
            "signature attachments must carry the JWS as a multipart part; a fileUrl-only "
            "signature cannot be verified (SIG-001)",
            path=path,
        )
    raise BadRequest("signature attachment has no multipart part with its JWS (SIG-001)", path=path)


def _parse_compact(data: bytes, version: XapiVersion, path: str) -> _CompactJws:
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise BadRequest("signature data is not a JWS (SIG-002)", path=path) from None
    if text.startswith("{"):
        why = "is malformed under xAPI 2.0" if not version.is_legacy else "is not accepted"
        raise BadRequest(
            f"JWS JSON serialization {why}; send compact serialization (SIG-009)",
            path=path,
        )
    segments = text.split(".")
    if len(segments) != 3 or not all(segments):
        raise BadRequest(
            "signature data is not a JWS in compact serialization (three non-empty "
            "base64url segments joined by dots) (SIG-002)",
            path=path,
        )
    header_b64, payload_b64, signature_b64 = segments
    header = _json_object(_b64url(header_b64, path), "JWS protected header", path)
    return _CompactJws(
        header=header,
        payload=_b64url(payload_b64, path),
        signing_input=f"{header_b64}.{payload_b64}".encode("ascii"),
        signature=_b64url(signature_b64, path),
    )


def _b64url(segment: str, path: str) -> bytes:
    if not _B64URL_RE.fullmatch(segment) or len(segment) % 4 == 1:
        raise BadRequest("JWS segment is not base64url (SIG-002)", path=path)
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _json_object(raw: bytes, what: str, path: str) -> dict[str, Any]:
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except ValueError:
        raise BadRequest(f"{what} is not JSON", path=path) from None
    if not isinstance(value, dict):
        raise BadRequest(f"{what} is not a JSON object", path=path)
    return value


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _check_header(header: Mapping[str, Any], path: str) -> None:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in _HASH_BY_ALG:
        raise BadRequest(
            f"JWS alg {alg!r} is not allowed; use RS256, RS384 or RS512 (SIG-005)", path=path
        )
    if "crit" in header:
        raise BadRequest("JWS crit header names extensions this LRS does not support", path=path)


def _signed_statement(payload: bytes, path: str) -> dict[str, Any]:
    return _json_object(payload, "JWS payload (the signed statement, SIG-003)", path)


def _verify_with_x5c(jws: _CompactJws, path: str) -> None:
    chain = jws.header["x5c"]
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise BadRequest("JWS x5c must be a non-empty array of certificates (SIG-006)", path=path)
    try:
        # RFC 7515 section 4.1.6: x5c entries are standard base64 of DER, not base64url.
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
    except (binascii.Error, ValueError):
        raise BadRequest("JWS x5c[0] is not a base64 DER X.509 certificate", path=path) from None
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise BadRequest("JWS x5c[0] certificate does not hold an RSA key (SIG-005)", path=path)
    algorithm = _HASH_BY_ALG[jws.header["alg"]]()
    try:
        public_key.verify(jws.signature, jws.signing_input, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise BadRequest(
            "JWS signature does not verify against its x5c certificate (SIG-006)", path=path
        ) from None
