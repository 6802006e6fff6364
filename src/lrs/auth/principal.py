"""Who is calling: a credential's key, scopes and the authority its statements get."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lrs.auth.scopes import GRANTS, Access, Scope
from lrs.errors import Forbidden

AUTHORITY_HOMEPAGE = "https://lrs.invalid/credentials"


def authority_for(key: str, name: str) -> dict[str, Any]:
    """The deterministic authority Agent of a credential (ST-PROC-008/009)."""
    return {
        "objectType": "Agent",
        "name": name,
        "account": {"homePage": AUTHORITY_HOMEPAGE, "name": key},
    }


def authority_key_for(key: str) -> str:
    """The IFI key of `authority_for(key, ...)`, as lrs.xapi.ifi computes it."""
    return f"account:{AUTHORITY_HOMEPAGE} {key}"


class StaleCredential(Exception):
    """A credential taken from memory changed or was revoked since it was remembered: the
    write that found out stored nothing, and the request must authenticate again."""


@dataclass(frozen=True)
class Principal:
    """`version` identifies the credential row the principal was read from. `confirmed` is
    False for a principal taken from memory for a statement write: that write confirms the
    row in its own transaction, before it stores anything (`lrs.auth.authenticator`)."""

    key: str
    name: str
    scopes: frozenset[Scope]
    authority: dict[str, Any]
    version: str = ""
    confirmed: bool = True

    @property
    def authority_key(self) -> str:
        return authority_key_for(self.key)

    def allows(self, access: Access) -> bool:
        return not self.scopes.isdisjoint(GRANTS[access])

    def require(self, access: Access) -> None:
        """403 when no scope of this credential grants the access (AUTH-005, ERR-010)."""
        if not self.allows(access):
            granted = ", ".join(sorted(s.value for s in GRANTS[access]))
            raise Forbidden(
                f"credential {self.key!r} lacks a scope for {access.value}; needs one of: {granted}"
            )

    @property
    def reads_only_own_statements(self) -> bool:
        """`statements/read/mine` without a broader read scope (C 4.2)."""
        broader = {Scope.STATEMENTS_READ, Scope.ALL_READ, Scope.ALL}
        return Scope.STATEMENTS_READ_MINE in self.scopes and self.scopes.isdisjoint(broader)
