"""The xAPI scopes (C 4.2) and what each one grants."""

from __future__ import annotations

import enum


class Scope(enum.StrEnum):
    STATEMENTS_WRITE = "statements/write"
    STATEMENTS_READ = "statements/read"
    STATEMENTS_READ_MINE = "statements/read/mine"
    STATE = "state"
    DEFINE = "define"
    PROFILE = "profile"
    ALL_READ = "all/read"
    ALL = "all"
    # Extension resources (/xAPI/extensions/...): door and role tagging and BI exports.
    EXT_TAGS_WRITE = "ext/tags/write"
    EXT_BI_READ = "ext/bi/read"
    EXT_BI_IDENTITIES = "ext/bi/identities"
    # Administration (erasure, purge, audit, forwarding): never implied by `all`.
    ADMIN = "admin"


ALL_SCOPES = tuple(scope.value for scope in Scope)


class Access(enum.Enum):
    """What a route needs; each maps to the scopes that grant it."""

    STATEMENTS_READ = "statements read"
    STATEMENTS_WRITE = "statements write"
    STATE_READ = "state read"
    STATE_WRITE = "state write"
    PROFILE_READ = "profile read"
    PROFILE_WRITE = "profile write"
    DEFINITIONS_READ = "agents and activities read"
    EXT_READ = "extension read"
    EXT_WRITE = "extension write"
    EXT_IDENTITIES = "real identities in exports"
    ADMIN = "administration"


GRANTS: dict[Access, frozenset[Scope]] = {
    Access.STATEMENTS_READ: frozenset(
        {Scope.STATEMENTS_READ, Scope.STATEMENTS_READ_MINE, Scope.ALL_READ, Scope.ALL}
    ),
    Access.STATEMENTS_WRITE: frozenset({Scope.STATEMENTS_WRITE, Scope.ALL}),
    Access.STATE_READ: frozenset({Scope.STATE, Scope.ALL_READ, Scope.ALL}),
    Access.STATE_WRITE: frozenset({Scope.STATE, Scope.ALL}),
    Access.PROFILE_READ: frozenset({Scope.PROFILE, Scope.ALL_READ, Scope.ALL}),
    Access.PROFILE_WRITE: frozenset({Scope.PROFILE, Scope.ALL}),
    Access.DEFINITIONS_READ: frozenset({Scope.DEFINE, Scope.PROFILE, Scope.ALL_READ, Scope.ALL}),
    Access.EXT_READ: frozenset({Scope.EXT_BI_READ, Scope.ALL_READ, Scope.ALL}),
    Access.EXT_WRITE: frozenset({Scope.EXT_TAGS_WRITE, Scope.ALL}),
    Access.EXT_IDENTITIES: frozenset({Scope.EXT_BI_IDENTITIES, Scope.ALL}),
    Access.ADMIN: frozenset({Scope.ADMIN}),
}


def parse_scopes(values: list[str]) -> list[Scope]:
    """Validate scope names given on the command line; unknown names raise ValueError."""
    scopes: list[Scope] = []
    for value in values:
        for part in value.replace(",", " ").split():
            try:
                scope = Scope(part)
            except ValueError:
                raise ValueError(
                    f"unknown scope {part!r}; known scopes: {', '.join(ALL_SCOPES)}"
                ) from None
            if scope not in scopes:
                scopes.append(scope)
    return scopes
