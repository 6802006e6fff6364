"""Check modules, one per area; importing a module registers its checks."""

from __future__ import annotations

import importlib
import pkgutil


def import_all() -> None:
    """Import every module in this package (registration happens at import)."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
