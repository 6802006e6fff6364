"""How much memory the embedded PostgreSQL keeps as its own cache (`shared_buffers`).

The cache is chosen from the machine: an eighth of the memory this process may use (the
smaller of the physical memory and its cgroup's limit, so a container's limit counts, not the
host's), at least PostgreSQL's own default of 128 MB and at most 1 GB. Queries read the pages
of the statements they return from it; at 1M statements a page of 100 touches about as many
heap pages, spread over the most recent few hundred megabytes. With 1 GB instead of 128 MB,
queries at 1M had a 7% lower p95 while batches were ingested and a 12% lower one without
(bench/RESULTS.md, nineteenth round). PostgreSQL maps the cache at start but a page of it
uses memory only once a page of the database has been read into it: a small store stays small.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["memory_limit_bytes", "parse_limit", "shared_buffers_mb"]

MIB = 1024 * 1024
MIN_SHARED_BUFFERS_MB = 128
MAX_SHARED_BUFFERS_MB = 1024
SHARE_OF_MEMORY = 8  # one eighth

_CGROUP_ROOT = Path("/sys/fs/cgroup")


def _physical_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # no sysconf, or no such name here
        return None


def _cgroup_files() -> list[Path]:
    """The memory limit files that may bound this process: its own group's (cgroup v2, or
    v1's memory controller) and the root's (inside a container, the container's own group)."""
    files: list[Path] = []
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            hierarchy, controllers, group = line.split(":", 2)
            relative = group.lstrip("/")
            if hierarchy == "0":
                files.append(_CGROUP_ROOT / relative / "memory.max")
            elif "memory" in controllers.split(","):
                files.append(_CGROUP_ROOT / "memory" / relative / "memory.limit_in_bytes")
    except (OSError, ValueError):
        pass
    files += [_CGROUP_ROOT / "memory.max", _CGROUP_ROOT / "memory/memory.limit_in_bytes"]
    return list(dict.fromkeys(files))


def parse_limit(text: str) -> int | None:
    """A cgroup memory limit file's value in bytes; None for `max` (no limit) or anything
    that is not a byte count."""
    value = text.strip()
    return int(value) if value.isdigit() else None


def memory_limit_bytes() -> int | None:
    """The memory this process may use: the smallest of the physical memory and the cgroup
    limits that apply; None when none of them can be read."""
    limits = [_physical_bytes()]
    for file in _cgroup_files():
        try:
            limits.append(parse_limit(file.read_text()))
        except OSError:
            continue
    known = [limit for limit in limits if limit is not None and limit > 0]
    return min(known) if known else None


def shared_buffers_mb(memory_bytes: int | None) -> int:
    """`shared_buffers` in MB for a machine with `memory_bytes` of memory (None: unknown)."""
    if memory_bytes is None:
        return MIN_SHARED_BUFFERS_MB
    share = memory_bytes // SHARE_OF_MEMORY // MIB
    return max(MIN_SHARED_BUFFERS_MB, min(MAX_SHARED_BUFFERS_MB, share))
