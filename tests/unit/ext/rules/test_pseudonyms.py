"""The keyed pseudonym: RFC 2104 HMAC-SHA256, the same from the key or the stored pads."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from lrs.ext.rules.pseudonyms import key_bytes, new_key, pads, pseudonym, pseudonym_from_pads


def test_rfc_4231_case_2() -> None:
    """HMAC-SHA256 test vector (RFC 4231, test case 2)."""
    assert (
        hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest()
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    assert pseudonym_from_pads(*pads(b"Jefe"), "what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


@given(key=st.binary(min_size=1, max_size=200), actor=st.text(max_size=80))
def test_pads_reproduce_hmac(key: bytes, actor: str) -> None:
    """Keys longer than a block are hashed first, as RFC 2104 says."""
    assert pseudonym_from_pads(*pads(key), actor) == pseudonym(key, actor)


def test_stable_distinct_and_keyed() -> None:
    key = key_bytes("retail-secret")
    alice = pseudonym(key, "mbox:mailto:alice@example.com")
    assert alice == pseudonym(key, "mbox:mailto:alice@example.com")
    assert alice != pseudonym(key, "mbox:mailto:bob@example.com")
    assert alice != pseudonym(key_bytes("other"), "mbox:mailto:alice@example.com")
    assert "alice" not in alice
    assert len(alice) == 64
    assert len(new_key()) == 32
    assert new_key() != new_key()
