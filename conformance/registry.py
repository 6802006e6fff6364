"""The registry of checks: each check names the requirement IDs it verifies.

Use the ``@check(...)`` decorator for hand-written checks and ``add(...)`` for checks generated
from tables. A check is a function taking a :class:`~conformance.http.Session`; it passes by
returning, fails by raising :class:`CheckFailed` and opts out with :class:`CheckSkipped`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .requirements import RANK, VERSIONS, load

if TYPE_CHECKING:
    from .http import Session

CheckFunc = Callable[["Session"], None]

AREAS = (
    "headers",
    "about",
    "auth",
    "errors",
    "statements-validation",
    "statements-write",
    "statements-read",
    "statements-query",
    "voiding",
    "attachments",
    "signatures",
    "alternate-syntax",
    "documents-state",
    "documents-activity-profile",
    "documents-agent-profile",
    "concurrency",
    "agents",
    "activities",
    "ordering",
    "limits",
    "cors",
    "versions",
)


class CheckFailed(AssertionError):
    """The LRS did something the cited requirements forbid."""


class CheckSkipped(Exception):
    """The check cannot run here (e.g. optional credentials not given)."""


@dataclass(frozen=True)
class Check:
    """One registered check."""

    name: str
    ids: tuple[str, ...]
    area: str
    func: CheckFunc
    versions: frozenset[str]
    fixed_level: str | None = None
    doc: str = field(default="", compare=False)

    def level(self, version: str) -> str:
        """The strongest level among the cited IDs in force for ``version`` (or the fixed one)."""
        if self.fixed_level is not None:
            return self.fixed_level
        reqs = load()
        levels = [reqs[i].level(version) for i in self.ids if reqs[i].applies_to(version)]
        return max(levels, key=RANK.__getitem__) if levels else "MAY"

    def applies_to(self, version: str) -> bool:
        """Run only when declared for this version and at least one cited ID is in force."""
        reqs = load()
        return version in self.versions and any(reqs[i].applies_to(version) for i in self.ids)


REGISTRY: dict[str, Check] = {}


def add(
    name: str,
    ids: Iterable[str],
    area: str,
    func: CheckFunc,
    *,
    level: str | None = None,
    versions: Iterable[str] = VERSIONS,
) -> Check:
    """Register a check; IDs must exist in the shipped checklist and names must be unique."""
    ids = tuple(ids)
    known = load()
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValueError(f"{name}: unknown requirement IDs {unknown}")
    if area not in AREAS:
        raise ValueError(f"{name}: unknown area {area}")
    if name in REGISTRY:
        raise ValueError(f"duplicate check name {name}")
    doc = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else ""
    entry = Check(name, ids, area, func, frozenset(versions), level, doc)
    REGISTRY[name] = entry
    return entry


def check(
    *ids: str,
    area: str,
    level: str | None = None,
    versions: Iterable[str] = VERSIONS,
    name: str | None = None,
) -> Callable[[CheckFunc], CheckFunc]:
    """Decorator form of :func:`add`; the check's name defaults to ``area/function_name``."""

    def register(func: CheckFunc) -> CheckFunc:
        add(name or f"{area}/{func.__name__}", ids, area, func, level=level, versions=versions)
        return func

    return register


def load_all() -> dict[str, Check]:
    """Import every checks module (which registers its checks) and return the registry."""
    from . import checks

    checks.import_all()
    return REGISTRY
