"""Inverse functional identifiers (IFIs) of Agents and Groups (ST-VAL-031, STR-Q-003).

Every identified Agent or Group carries exactly one of ``mbox``, ``mbox_sha1sum``,
``openid`` or ``account``. `ifi_key` turns it into one canonical string, the value the
storage layer indexes and the query filters compare, so "same IFI property with an
equal value" (STR-Q-003) becomes string equality.

Comparison rules:

- IRIs (``mbox``, ``openid``, ``account.homePage``) are compared as plain strings
  (RFC 3987 §5.3.1 simple string comparison, ST-VAL-161/162); no scheme- or
  protocol-based normalisation, so ``http://a.example/`` and ``http://a.example`` differ.
- The one syntax-based normalisation applied (RFC 3987 §5.3.2.1, allowed by ST-VAL-161)
  is the case of the ``mailto:`` scheme, which is case-insensitive.
- ``mbox_sha1sum`` is a hex digest, so letter case carries no meaning: lowercased.
- ``account.name`` is compared exactly (case-sensitive, ST-VAL-012).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")

_MAILTO = "mailto:"
# Agents are plain dicts, so `dict` is tried first: an exact type match is much cheaper than
# the `Mapping` ABC check, which stays for any other mapping.
_MAPPING = (dict, Mapping)


def normalize_mbox(mbox: str) -> str:
    """Lowercase the ``mailto:`` scheme; the address part is kept as written."""
    if mbox.startswith(_MAILTO):  # already canonical, as nearly every mbox is
        return mbox
    if mbox[:7].lower() == _MAILTO:
        return _MAILTO + mbox[7:]
    return mbox


def ifi_key(agent: Mapping[str, Any]) -> str | None:
    """The canonical IFI string of an Agent or Group, or None for an Anonymous Group.

    Forms: ``mbox:mailto:a@b.example``, ``mbox_sha1sum:<40 lowercase hex>``,
    ``openid:<uri>``, ``account:<homePage> <name>``. The space cannot occur inside
    a homePage IRI, so the account form is unambiguous.
    """
    mbox = agent.get("mbox")
    if isinstance(mbox, str):
        return "mbox:" + normalize_mbox(mbox)
    sha1 = agent.get("mbox_sha1sum")
    if isinstance(sha1, str):
        return "mbox_sha1sum:" + sha1.lower()
    openid = agent.get("openid")
    if isinstance(openid, str):
        return "openid:" + openid
    account = agent.get("account")
    if isinstance(account, _MAPPING):
        return f"account:{account.get('homePage', '')} {account.get('name', '')}"
    return None


def ifi_of(agent: Mapping[str, Any]) -> dict[str, Any]:
    """Just the IFI property of an agent, as received (empty for an Anonymous Group).

    Used by the ``ids`` statement format (STR-Q-018) and the Person object (AGT-004).
    """
    for prop in IFI_PROPERTIES:
        if prop in agent:
            return {prop: agent[prop]}
    return {}


def ifi_from_key(key: str) -> dict[str, Any]:
    """Invert `ifi_key`: the IFI property object a key stands for.

    Raises ValueError for a string that no `ifi_key` call could have produced.
    """
    prop, sep, value = key.partition(":")
    if not sep or prop not in IFI_PROPERTIES:
        raise ValueError(f"not an IFI key: {key!r}")
    if prop == "account":
        home_page, space, name = value.partition(" ")
        if not space:
            raise ValueError(f"not an IFI key: {key!r}")
        return {"account": {"homePage": home_page, "name": name}}
    return {prop: value}
