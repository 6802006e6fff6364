"""The embedded PostgreSQL's cache is chosen from the machine's memory."""

from __future__ import annotations

import os

import pytest

from lrs.storage.embedded_memory import memory_limit_bytes, parse_limit, shared_buffers_mb

GIB = 1024**3


@pytest.mark.parametrize(
    ("memory", "expected"),
    [
        (None, 128),  # unknown: PostgreSQL's own default
        (512 * 1024**2, 128),  # an eighth would be 64 MB: never below 128
        (2 * GIB, 256),
        (4 * GIB, 512),
        (8 * GIB, 1024),
        (24 * GIB, 1024),  # never above 1 GB
    ],
)
def test_an_eighth_of_memory_between_128_mb_and_1_gb(memory: int | None, expected: int) -> None:
    assert shared_buffers_mb(memory) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1073741824\n", 1073741824), ("max\n", None), ("", None), ("-1", None)],
)
def test_a_cgroup_limit_file_is_read_as_bytes_or_no_limit(text: str, expected: int | None) -> None:
    assert parse_limit(text) == expected


def test_the_limit_is_at_most_the_physical_memory() -> None:
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit = memory_limit_bytes()
    assert limit is not None
    assert 0 < limit <= physical
