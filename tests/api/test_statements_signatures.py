"""Signed statements end to end: real RS256/384/512 JWS with x5c (SIG-001..009)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from functools import cache
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tests.api.test_statements_attachments import multipart, part
from tests.factories import make_agent, make_attachment, make_statement

URL = "/xAPI/statements"
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}


@cache
def key_and_cert() -> tuple[rsa.RSAPrivateKey, str]:
    """An RSA key and its self-signed certificate (base64 DER, as x5c wants)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lrs test signer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jws(
    payload: dict[str, Any],
    *,
    alg: str = "RS256",
    x5c: bool = True,
    key: rsa.RSAPrivateKey | None = None,
) -> bytes:
    """A compact JWS of `payload`, signed with the test key (or `key`)."""
    signer, cert = key_and_cert()
    header: dict[str, Any] = {"alg": alg}
    if x5c:
        header["x5c"] = [cert]
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    digest = HASHES.get(alg, hashes.SHA256)()
    signature = (key or signer).sign(signing_input.encode(), padding.PKCS1v15(), digest)
    return f"{signing_input}.{b64url(signature)}".encode()


def signed(
    statement: dict[str, Any], token: bytes, **attachment: Any
) -> tuple[dict[str, Any], bytes]:
    """`statement` with a signature Attachment for `token`, and the part carrying it."""
    meta = make_attachment(
        token, usageType=SIGNATURE, contentType="application/octet-stream", **attachment
    )
    with_sig = {**statement, "attachments": [*statement.get("attachments", []), meta]}
    return with_sig, part(token, content_type="application/octet-stream")


async def send(client: httpx.AsyncClient, statement: dict[str, Any], sig_part: bytes) -> int:
    body, headers = multipart(statement, sig_part)
    return (await client.post(URL, content=body, headers=headers)).status_code


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
async def test_valid_signature_is_stored(client: httpx.AsyncClient, alg: str) -> None:
    """SIG-001, SIG-005/006: a matching, verifiable signature passes; the signature part is
    served back with the statement."""
    statement = make_statement()
    with_sig, sig_part = signed(statement, jws(statement, alg=alg))
    assert await send(client, with_sig, sig_part) == 200
    got = await client.get(URL, params={"statementId": statement["id"], "attachments": "true"})
    assert got.status_code == 200
    assert jws(statement, alg=alg).split(b".")[0] in got.content


async def test_signature_without_x5c_and_equivalent_payload(client: httpx.AsyncClient) -> None:
    """SIG-004, ST-PROC-015: the payload may differ in ways the comparison ignores (no id,
    authority, display); without x5c a well-formed signature is accepted."""
    statement = make_statement(actor=make_agent(name="Alice"))
    payload = {k: v for k, v in statement.items() if k != "id"}
    payload["verb"] = {"id": statement["verb"]["id"]}
    with_sig, sig_part = signed(statement, jws(payload, x5c=False))
    assert await send(client, with_sig, sig_part) == 200


def _breaches() -> list[tuple[str, Any]]:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return [
        ("payload differs (SIG-004)", lambda s: jws({**s, "verb": {"id": "http://e.com/x"}})),
        ("wrong key for x5c (SIG-006)", lambda s: jws(s, key=other_key)),
        ("alg HS256 (SIG-005)", lambda s: _with_header(s, {"alg": "HS256"})),
        ("alg none (SIG-005)", lambda s: _with_header(s, {"alg": "none"})),
        ("not a JWS (SIG-002)", lambda s: b"this is not a jws"),
        ("JSON serialization (SIG-009)", lambda s: _json_serialization(s)),
        ("payload not JSON (SIG-003)", lambda s: _with_payload(b"not json")),
        ("payload not a statement (SIG-003)", lambda s: _with_payload(b"[1, 2]")),
        ("tampered signature (SIG-006)", lambda s: jws(s)[:-6] + b"AAAAAA"),
    ]


def _with_header(statement: dict[str, Any], header: dict[str, Any]) -> bytes:
    return (
        f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(statement).encode())}.".encode()
    )


def _with_payload(payload: bytes) -> bytes:
    key, _ = key_and_cert()
    signing_input = f"{b64url(json.dumps({'alg': 'RS256'}).encode())}.{b64url(payload)}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}".encode()


def _json_serialization(statement: dict[str, Any]) -> bytes:
    header, payload, signature = jws(statement).decode().split(".")
    return json.dumps({"protected": header, "payload": payload, "signature": signature}).encode()


@pytest.mark.parametrize(("why", "make"), _breaches(), ids=[b[0] for b in _breaches()])
async def test_signature_breaches_are_400(client: httpx.AsyncClient, why: str, make: Any) -> None:
    """SIG-002..009: each breach is a 400 that says why, and nothing is stored."""
    statement = make_statement()
    with_sig, sig_part = signed(statement, make(statement))
    body, headers = multipart(with_sig, sig_part)
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 400, why
    assert response.json()["error"]["message"]  # SIG-008
    missing = await client.get(URL, params={"statementId": statement["id"]})
    assert missing.status_code == 404


async def test_signature_content_type_must_be_octet_stream(client: httpx.AsyncClient) -> None:
    """SIG-002."""
    statement = make_statement()
    token = jws(statement)
    meta = make_attachment(token, usageType=SIGNATURE, contentType="text/plain")
    body, headers = multipart({**statement, "attachments": [meta]}, part(token))
    assert (await client.post(URL, content=body, headers=headers)).status_code == 400


async def test_signature_must_arrive_as_part(client: httpx.AsyncClient) -> None:
    """SIG-001: a signature cannot be checked without its data."""
    statement = make_statement()
    token = jws(statement)
    meta = make_attachment(
        token,
        usageType=SIGNATURE,
        contentType="application/octet-stream",
        fileUrl="https://files.example.com/sig",
    )
    response = await client.post(URL, json={**statement, "attachments": [meta]})
    assert response.status_code == 400


async def test_signed_statement_in_batch(client: httpx.AsyncClient) -> None:
    """SIG-001 for batches: one bad signature refuses the batch (ERR-009)."""
    good, bad = make_statement(), make_statement()
    good_sig, good_part = signed(good, jws(good))
    bad_sig, bad_part = signed(bad, jws({**bad, "verb": {"id": "http://e.com/other"}}))
    body, headers = multipart([good_sig, bad_sig], good_part, bad_part)
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["path"].startswith("$[1]")
    assert (await client.get(URL, params={"statementId": good["id"]})).status_code == 404
