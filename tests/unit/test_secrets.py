"""Generated credential secrets."""

from __future__ import annotations

import argparse

from lrs.auth.secrets import hash_secret, new_secret, verify_secret


def test_a_new_secret_never_reads_as_a_command_line_option() -> None:
    """One URL-safe secret in 64 began with "-": `--password SECRET` then failed in any
    argparse program (the conformance suite's included). 5,000 draws met one with near
    certainty before; none may now."""
    drawn = [new_secret() for _ in range(5000)]
    assert not [secret for secret in drawn if secret.startswith("-")]
    assert {len(secret) for secret in drawn} == {32}
    assert len(set(drawn)) == len(drawn)
    parser = argparse.ArgumentParser()
    parser.add_argument("--password")
    for secret in drawn[:200]:
        assert parser.parse_args(["--password", secret]).password == secret


def test_a_secret_verifies_against_its_hash_only() -> None:
    secret = new_secret()
    hashed = hash_secret(secret)
    assert verify_secret(hashed, secret)
    assert not verify_secret(hashed, new_secret())
