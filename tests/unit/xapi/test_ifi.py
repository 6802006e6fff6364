"""Inverse functional identifiers: canonical keys and IFI extraction (ST-VAL-031, STR-Q-003)."""

from __future__ import annotations

from typing import Any

import pytest

from lrs.xapi.ifi import ifi_from_key, ifi_key, ifi_of, normalize_mbox

SHA1 = "ABCDEF0123456789abcdef0123456789ABCDEF01"


@pytest.mark.parametrize(
    ("agent", "key"),
    [
        ({"mbox": "mailto:ann@example.com"}, "mbox:mailto:ann@example.com"),
        ({"mbox_sha1sum": SHA1}, "mbox_sha1sum:" + SHA1.lower()),
        ({"openid": "https://openid.example/ann"}, "openid:https://openid.example/ann"),
        (
            {"account": {"homePage": "https://lms.example", "name": "ann 01"}},
            "account:https://lms.example ann 01",
        ),
        (
            {"objectType": "Group", "mbox": "mailto:team@example.com", "member": []},
            "mbox:mailto:team@example.com",
        ),
    ],
)
def test_ifi_key_forms(agent: dict[str, Any], key: str) -> None:
    """STR-Q-003: one canonical string per IFI property and value."""
    assert ifi_key(agent) == key


def test_ifi_key_anonymous_group_is_none() -> None:
    """ST-VAL-038: an Anonymous Group has no IFI of its own."""
    group = {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}
    assert ifi_key(group) is None


def test_ifi_key_ignores_name_and_object_type() -> None:
    """STR-Q-003: only the IFI property and value count, not name or objectType."""
    a = {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"}
    b = {"mbox": "mailto:ann@example.com", "name": "Someone else"}
    assert ifi_key(a) == ifi_key(b)


def test_mailto_scheme_case_is_ignored_but_address_case_kept() -> None:
    """ST-VAL-161: scheme case is syntax-normalised; the rest is a plain string."""
    assert ifi_key({"mbox": "MailTo:Ann@example.com"}) == "mbox:mailto:Ann@example.com"
    assert ifi_key({"mbox": "mailto:Ann@example.com"}) != ifi_key(
        {"mbox": "mailto:ann@example.com"}
    )


def test_sha1_hex_case_is_ignored() -> None:
    assert ifi_key({"mbox_sha1sum": SHA1}) == ifi_key({"mbox_sha1sum": SHA1.lower()})


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"openid": "https://id.example/ann"}, {"openid": "https://id.example/ann/"}),
        ({"openid": "http://id.example/ann"}, {"openid": "https://id.example/ann"}),
        (
            {"account": {"homePage": "https://lms.example", "name": "ann"}},
            {"account": {"homePage": "https://lms.example/", "name": "ann"}},
        ),
        (
            {"account": {"homePage": "https://lms.example", "name": "ann"}},
            {"account": {"homePage": "https://lms.example", "name": "Ann"}},
        ),
    ],
)
def test_iris_and_account_names_compared_as_strings(a: dict[str, Any], b: dict[str, Any]) -> None:
    """ST-VAL-161: no scheme- or protocol-based normalisation; ST-VAL-012: case-sensitive."""
    assert ifi_key(a) != ifi_key(b)


def test_different_ifi_properties_never_collide() -> None:
    value = "https://id.example/x"
    assert ifi_key({"openid": value}) != ifi_key({"mbox": value})


def test_normalize_mbox_leaves_other_strings_alone() -> None:
    assert normalize_mbox("MAILTO:x@example.com") == "mailto:x@example.com"
    assert normalize_mbox("mail:x") == "mail:x"


@pytest.mark.parametrize(
    ("agent", "ifi"),
    [
        ({"name": "Ann", "mbox": "mailto:ann@example.com"}, {"mbox": "mailto:ann@example.com"}),
        ({"objectType": "Agent", "mbox_sha1sum": SHA1}, {"mbox_sha1sum": SHA1}),
        ({"openid": "https://id.example/a"}, {"openid": "https://id.example/a"}),
        (
            {"account": {"homePage": "https://lms.example", "name": "a"}, "name": "A"},
            {"account": {"homePage": "https://lms.example", "name": "a"}},
        ),
        ({"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}, {}),
    ],
)
def test_ifi_of_returns_only_the_ifi_as_received(
    agent: dict[str, Any], ifi: dict[str, Any]
) -> None:
    """STR-Q-018, AGT-004: the IFI property unchanged, nothing else."""
    assert ifi_of(agent) == ifi


@pytest.mark.parametrize(
    "agent",
    [
        {"mbox": "mailto:ann@example.com"},
        {"mbox_sha1sum": SHA1.lower()},
        {"openid": "https://id.example/a"},
        {"account": {"homePage": "https://lms.example", "name": "first last"}},
        {"account": {"homePage": "https://lms.example", "name": ""}},
    ],
)
def test_ifi_from_key_inverts_ifi_key(agent: dict[str, Any]) -> None:
    key = ifi_key(agent)
    assert key is not None
    assert ifi_from_key(key) == agent


@pytest.mark.parametrize("key", ["", "nothing", "name:Ann", "account:https://lms.example"])
def test_ifi_from_key_refuses_foreign_strings(key: str) -> None:
    with pytest.raises(ValueError, match="not an IFI key"):
        ifi_from_key(key)
