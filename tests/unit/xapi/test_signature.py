"""Tests for lrs.xapi.signature: JWS signature attachments (SIG-001..009)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from lrs.errors import BadRequest
from lrs.xapi.multipart import AttachmentPart
from lrs.xapi.signature import SIGNATURE_USAGE_TYPE, verify_signed_statements
from lrs.xapi.versions import XapiVersion

V1 = XapiVersion.V1_0_3
V2 = XapiVersion.V2_0_0
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}
_IGNORED = {"id", "stored", "authority", "attachments", "timestamp", "version"}


def equivalent(signed: dict[str, Any], received: dict[str, Any]) -> bool:
    """Stand-in for the ST-PROC-015 comparison: equal apart from LRS-touched properties."""

    def strip(statement: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in statement.items() if k not in _IGNORED}

    return strip(signed) == strip(received)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def certificate_for(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    """A self-signed certificate for the key, as an x5c entry (base64 DER)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "signer.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def x5c(key: rsa.RSAPrivateKey) -> list[str]:
    return [certificate_for(key)]


def sign(
    payload: bytes | dict[str, Any],
    key: rsa.RSAPrivateKey,
    *,
    alg: str | None = "RS256",
    signing_alg: str | None = None,
    **header: Any,
) -> bytes:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signing_input = f"{b64url(json.dumps({'alg': alg, **header}).encode())}.{b64url(raw)}"
    digest = _HASHES[signing_alg or alg or "RS256"]()
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), digest)
    return f"{signing_input}.{b64url(signature)}".encode()


def original() -> dict[str, Any]:
    return {
        "actor": {"mbox": "mailto:signer@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "http://example.com/activity"},
    }


def signed_request(
    jws: bytes, statement: dict[str, Any] | None = None, **overrides: Any
) -> tuple[dict[str, Any], dict[str, AttachmentPart]]:
    """A received statement carrying `jws` as its signature attachment, and the parts."""
    sha2 = hashlib.sha256(jws).hexdigest()
    received = dict(statement if statement is not None else original())
    received["id"] = "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"
    received["attachments"] = [
        {
            "usageType": SIGNATURE_USAGE_TYPE,
            "display": {"en-US": "Signature"},
            "contentType": "application/octet-stream",
            "length": len(jws),
            "sha2": sha2,
            **overrides,
        }
    ]
    part = AttachmentPart("application/octet-stream", jws, sha2, {}, 1)
    return received, {sha2: part}


def refused(
    statement: dict[str, Any],
    parts: dict[str, AttachmentPart],
    version: XapiVersion = V2,
) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        verify_signed_statements([statement], parts, version, equivalent=equivalent)
    assert caught.value.path == "$[0].attachments[0]"
    return caught.value


# --- accepted ---


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
@pytest.mark.parametrize("version", [V1, V2])
def test_sig006_valid_signature_with_x5c(
    key: rsa.RSAPrivateKey, x5c: list[str], alg: str, version: XapiVersion
) -> None:
    statement, parts = signed_request(sign(original(), key, alg=alg, x5c=x5c))
    verify_signed_statements([statement], parts, version, equivalent=equivalent)


def test_sig006_without_x5c_a_well_formed_signature_is_accepted(key: rsa.RSAPrivateKey) -> None:
    statement, parts = signed_request(sign(original(), key))
    verify_signed_statements([statement], parts, V2, equivalent=equivalent)


def test_sig004_signed_statement_may_differ_in_lrs_assigned_properties(
    key: rsa.RSAPrivateKey, x5c: list[str]
) -> None:
    payload = {**original(), "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee", "version": "1.0.0"}
    statement, parts = signed_request(sign(payload, key, x5c=x5c))
    verify_signed_statements([statement], parts, V1, equivalent=equivalent)


def test_sig001_statements_without_signatures_are_untouched() -> None:
    plain = {**original(), "attachments": [{"usageType": "http://example.com/u", "sha2": "ab"}]}
    verify_signed_statements([original(), plain], {}, V2, equivalent=equivalent)


def test_sig001_sha2_matched_case_insensitively(key: rsa.RSAPrivateKey) -> None:
    statement, parts = signed_request(sign(original(), key))
    statement["attachments"][0]["sha2"] = statement["attachments"][0]["sha2"].upper()
    verify_signed_statements([statement], parts, V2, equivalent=equivalent)


def test_sig001_batch_paths_point_at_the_signature(key: rsa.RSAPrivateKey) -> None:
    statement, parts = signed_request(sign({**original(), "verb": {"id": "urn:x"}}, key))
    statement["attachments"].insert(0, {"usageType": "http://example.com/u", "sha2": "ab"})
    with pytest.raises(BadRequest) as caught:
        verify_signed_statements([original(), statement], parts, V2, equivalent=equivalent)
    assert caught.value.path == "$[1].attachments[1]"


def test_sig001_single_statement_paths(key: rsa.RSAPrivateKey) -> None:
    statement, parts = signed_request(sign({**original(), "verb": {"id": "urn:x"}}, key))
    with pytest.raises(BadRequest) as caught:
        verify_signed_statements([statement], parts, V2, equivalent=equivalent, batch=False)
    assert caught.value.path == "$.attachments[0]"


# --- refused ---


@pytest.mark.parametrize("content_type", ["application/jose", "text/plain", None])
def test_sig002_wrong_content_type(key: rsa.RSAPrivateKey, content_type: str | None) -> None:
    statement, parts = signed_request(sign(original(), key), contentType=content_type)
    assert "SIG-002" in refused(statement, parts).message


def test_sig002_content_type_parameters_and_case_are_tolerated(key: rsa.RSAPrivateKey) -> None:
    jws = sign(original(), key)
    statement, parts = signed_request(jws, contentType="Application/Octet-Stream; x=1")
    verify_signed_statements([statement], parts, V2, equivalent=equivalent)


def test_sig001_signature_part_missing(key: rsa.RSAPrivateKey) -> None:
    statement, _ = signed_request(sign(original(), key))
    assert "no multipart part" in refused(statement, {}).message


def test_sig001_file_url_only_signature_is_refused(key: rsa.RSAPrivateKey) -> None:
    statement, _ = signed_request(sign(original(), key), fileUrl="http://example.com/sig")
    assert "fileUrl" in refused(statement, {}).message


@pytest.mark.parametrize("alg", ["HS256", "none", "ES256", "PS256", None])
def test_sig005_other_algorithms_are_refused(key: rsa.RSAPrivateKey, alg: str | None) -> None:
    jws = sign(original(), key, signing_alg="RS256", alg=alg)
    error = refused(*signed_request(jws))
    assert "SIG-005" in error.message


def test_sig005_unsigned_alg_none_token_is_refused() -> None:
    header = b64url(json.dumps({"alg": "none"}).encode())
    jws = f"{header}.{b64url(json.dumps(original()).encode())}.".encode()
    assert "compact" in refused(*signed_request(jws)).message


def test_sig006_bad_signature(
    key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey, x5c: list[str]
) -> None:
    error = refused(*signed_request(sign(original(), other_key, x5c=x5c)))
    assert "SIG-006" in error.message


def test_sig006_tampered_payload(key: rsa.RSAPrivateKey, x5c: list[str]) -> None:
    header, _, signature = sign(original(), key, x5c=x5c).split(b".")
    tampered = {**original(), "verb": {"id": "http://example.com/failed"}}
    jws = b".".join([header, b64url(json.dumps(tampered).encode()).encode(), signature])
    assert "SIG-006" in refused(*signed_request(jws, tampered)).message


def test_sig006_alg_mismatch_fails_verification(key: rsa.RSAPrivateKey, x5c: list[str]) -> None:
    jws = sign(original(), key, alg="RS512", signing_alg="RS256", x5c=x5c)
    assert "SIG-006" in refused(*signed_request(jws)).message


@pytest.mark.parametrize("bad", [[], "not a list", [42], ["not base64!"], ["aGVsbG8="]])
def test_sig006_malformed_x5c(key: rsa.RSAPrivateKey, bad: object) -> None:
    assert "x5c" in refused(*signed_request(sign(original(), key, x5c=bad))).message


def test_sig006_x5c_with_non_rsa_key(key: rsa.RSAPrivateKey) -> None:
    ec_cert = certificate_for(ec.generate_private_key(ec.SECP256R1()))
    assert "RSA" in refused(*signed_request(sign(original(), key, x5c=[ec_cert]))).message


def test_sig004_payload_differs_from_statement(key: rsa.RSAPrivateKey, x5c: list[str]) -> None:
    payload = {**original(), "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}
    assert "SIG-004" in refused(*signed_request(sign(payload, key, x5c=x5c))).message


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b'"text"', b'{"a": NaN}'])
def test_sig003_payload_not_a_json_statement(key: rsa.RSAPrivateKey, payload: bytes) -> None:
    assert "SIG-003" in refused(*signed_request(sign(payload, key))).message


@pytest.mark.parametrize(("version", "why"), [(V1, "not accepted"), (V2, "malformed")])
def test_sig009_json_serialization_is_refused(
    key: rsa.RSAPrivateKey, version: XapiVersion, why: str
) -> None:
    protected, payload, signature = sign(original(), key).decode().split(".")
    jws = json.dumps({"payload": payload, "protected": protected, "signature": signature})
    error = refused(*signed_request(jws.encode()), version)
    assert "SIG-009" in error.message
    assert why in error.message


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe binary",
        b"only.two",
        b"a.b.c.d",
        b"eyJhbGciOiJSUzI1NiJ9..c2ln",
        b"e$$.e30.c2ln",
        b"e.e30.c2ln",
    ],
)
def test_sig002_not_a_compact_jws(data: bytes) -> None:
    assert "JWS" in refused(*signed_request(data)).message


@pytest.mark.parametrize("header", [b"not json", b"[]"])
def test_sig002_header_not_a_json_object(header: bytes) -> None:
    jws = f"{b64url(header)}.{b64url(b'{}')}.{b64url(b'sig')}".encode()
    assert "header" in refused(*signed_request(jws)).message


def test_sig007_unknown_crit_extension(key: rsa.RSAPrivateKey) -> None:
    assert "crit" in refused(*signed_request(sign(original(), key, crit=["exp"]))).message
