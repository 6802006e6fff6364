"""The Person object (AGT-003..006)."""

from __future__ import annotations

from typing import Any

from lrs.xapi.persons import person_from_agents

ACCOUNT = {"homePage": "https://lms.example", "name": "ann"}
SHA1 = "ABCDEF" + "0" * 34


def test_unknown_agent_gives_its_own_data() -> None:
    """AGT-005: a Person even for an agent never seen."""
    requested = {"objectType": "Agent", "mbox": "mailto:ann@example.com"}
    assert person_from_agents(requested, []) == {
        "objectType": "Person",
        "mbox": ["mailto:ann@example.com"],
    }


def test_requested_name_included() -> None:
    requested = {"name": "Ann", "account": ACCOUNT}
    assert person_from_agents(requested, []) == {
        "objectType": "Person",
        "name": ["Ann"],
        "account": [ACCOUNT],
    }


def test_known_identities_merged_in_order_without_repeats() -> None:
    """AGT-003/004/006: arrays per property, first seen first, each value once."""
    requested = {"objectType": "Agent", "mbox": "mailto:ann@example.com"}
    known: list[dict[str, Any]] = [
        {"name": "Ann", "mbox": "mailto:ann@example.com"},
        {"name": "Annie", "mbox": "MAILTO:ann@example.com"},
        {"name": "Ann", "mbox_sha1sum": SHA1},
        {"mbox_sha1sum": SHA1.lower()},
        {"name": "A.", "openid": "https://id.example/ann"},
        {"objectType": "Agent", "account": ACCOUNT},
        {"account": dict(ACCOUNT)},
        {"account": {"homePage": "https://other.example", "name": "ann"}},
    ]
    assert person_from_agents(requested, known) == {
        "objectType": "Person",
        "name": ["Ann", "Annie", "A."],
        "mbox": ["mailto:ann@example.com"],
        "mbox_sha1sum": [SHA1],
        "openid": ["https://id.example/ann"],
        "account": [ACCOUNT, {"homePage": "https://other.example", "name": "ann"}],
    }


def test_requested_agent_comes_first() -> None:
    """AGT-005: the requested agent's own data is always present, ahead of the rest."""
    requested = {"name": "Zed", "mbox": "mailto:zed@example.com"}
    known = [{"name": "Ann", "mbox": "mailto:ann@example.com"}]
    person = person_from_agents(requested, known)
    assert person["name"] == ["Zed", "Ann"]
    assert person["mbox"] == ["mailto:zed@example.com", "mailto:ann@example.com"]


def test_only_person_properties_appear() -> None:
    """AGT-006: nothing beyond objectType, name, mbox, mbox_sha1sum, openid, account."""
    requested = {"objectType": "Agent", "mbox": "mailto:ann@example.com", "member": []}
    known = [{"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com", "x": 1}]
    assert set(person_from_agents(requested, known)) == {"objectType", "name", "mbox"}


def test_account_values_are_complete_objects() -> None:
    """AGT-004: account entries carry homePage and name; incomplete ones are skipped."""
    requested = {"account": ACCOUNT}
    known: list[dict[str, Any]] = [
        {"account": {"homePage": "https://lms.example"}},
        {"account": "weird"},
    ]
    assert person_from_agents(requested, known)["account"] == [ACCOUNT]


def test_known_may_be_any_iterable() -> None:
    requested = {"mbox": "mailto:ann@example.com"}
    known = (a for a in [{"openid": "https://id.example/ann"}])
    assert person_from_agents(requested, known)["openid"] == ["https://id.example/ann"]
