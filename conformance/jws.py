"""Compact JWS signing for signed-statement checks, built by hand on ``cryptography``."""

from __future__ import annotations

import base64
import datetime
import json
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@cache
def key_and_cert(name: str = "signer") -> tuple[rsa.RSAPrivateKey, bytes]:
    """An RSA key and a DER self-signed certificate for it (cached per name)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"xapi conformance {name}")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.DER)


def sign(
    payload: bytes,
    alg: str = "RS256",
    *,
    key_name: str = "signer",
    cert_name: str | None = None,
    extra_header: dict[str, Any] | None = None,
) -> bytes:
    """A compact JWS over ``payload``; ``cert_name`` puts another key's certificate in x5c."""
    key, _ = key_and_cert(key_name)
    _, cert = key_and_cert(cert_name or key_name)
    header = {"alg": alg, "x5c": [base64.b64encode(cert).decode("ascii")], **(extra_header or {})}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(payload)}".encode()
    if alg in HASHES:
        signature = key.sign(signing_input, padding.PKCS1v15(), HASHES[alg]())
    elif alg == "HS256":
        mac = hmac.HMAC(b"shared-secret", hashes.SHA256())
        mac.update(signing_input)
        signature = mac.finalize()
    else:
        signature = b""
    return signing_input + b"." + b64url(signature).encode()
