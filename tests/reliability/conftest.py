"""Fixtures for tests that run `lrs serve` as a process on an embedded PostgreSQL they own.

Each module gets its own data dir (one ``initdb``); the cluster is held by the test process,
so it outlives a killed server and can be stopped and started under a running one. These
tests never touch the PostgreSQL named by ``LRS_TEST_DATABASE_URL``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.reliability.live import Cluster, LiveServer

Spawn = Callable[..., LiveServer]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lrs") / "data"


@pytest.fixture(scope="module")
def cluster(data_dir: Path) -> Iterator[Cluster]:
    """The module's embedded PostgreSQL, started before any server and stopped after all."""
    data_dir.mkdir(parents=True, exist_ok=True)
    held = Cluster(data_dir)
    held.start()
    yield held
    held.close()


@pytest.fixture
def spawn(data_dir: Path) -> Iterator[Spawn]:
    """Start `lrs serve` processes on the module's data dir; all are stopped afterwards, and
    the tail of their log is printed (pytest shows it when the test fails)."""
    started: list[LiveServer] = []

    def start(*, workers: int = 1, env: dict[str, str] | None = None) -> LiveServer:
        server = LiveServer(data_dir, workers=workers, env=env)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.close()
    if started:
        print(started[-1].log_text()[-6000:])
