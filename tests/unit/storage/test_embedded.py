"""The embedded PostgreSQL: first start, reuse across processes, recovery after SIGKILL.

Each test gets its own data dir, so each pays for one ``initdb`` (under a second).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import lrs
from lrs.storage.embedded import EmbeddedPostgres, EmbeddedPostgresError
from lrs.storage.embedded_memory import memory_limit_bytes, shared_buffers_mb
from lrs.storage.embedded_settings import SETTINGS_FILE

SRC = str(Path(lrs.__file__).resolve().parents[1])
HOLDER = """
import sys, time
from pathlib import Path
from lrs.storage.embedded import EmbeddedPostgres
print(EmbeddedPostgres(Path(sys.argv[1])).start(), flush=True)
time.sleep(120)
"""

Spawn = Callable[[], "subprocess.Popen[str]"]


def postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return None


def alive(pid: int) -> bool:
    """True for a live process; a zombie counts as dead."""
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (ProcessLookupError, FileNotFoundError):
        return False
    return state != "Z"


def wait_dead(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


async def fetch(url: str, sql: str) -> list[tuple[object, ...]]:
    """Run ``sql`` (one or more statements) over asyncpg; rows of the last one."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        *setup, last = [part for part in sql.split(";") if part.strip()]
        for statement in setup:
            await conn.execute(statement)
        return [tuple(row) for row in await conn.fetch(last)]
    finally:
        await conn.close()


def url_of(holder: subprocess.Popen[str]) -> str:
    assert holder.stdout is not None
    url = holder.stdout.readline().strip()
    assert url, "the holder process could not start the server"
    return url


def sigkill(holder: subprocess.Popen[str]) -> None:
    if holder.poll() is None:
        holder.kill()
        holder.wait()
    if holder.stdout is not None:
        holder.stdout.close()


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A fresh data dir; whatever server a test leaves behind is shut down.

    Not under ``tmp_path``: pytest resets its base dir to 0700 whenever a pytest run starts,
    which would lock out the unprivileged server user that a root run hands the cluster to.
    """
    root = Path(tempfile.mkdtemp(prefix="lrs-embedded-"))
    path = root / "lrs"
    yield path
    pid = postmaster_pid(path)
    if pid is not None and alive(pid):
        os.kill(pid, signal.SIGQUIT)
        wait_dead(pid)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    """One initialized, stopped cluster for the tests that do not test initdb."""
    root = Path(tempfile.mkdtemp(prefix="lrs-embedded-"))
    with EmbeddedPostgres(root / "lrs"):
        pass
    yield root / "lrs" / "pgdata"
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def cluster(data_dir: Path, template: Path) -> Path:
    """A data dir holding a copy of the template cluster (owner kept: ``cp -a``)."""
    data_dir.mkdir()
    subprocess.run(["cp", "-a", str(template), str(data_dir / "pgdata")], check=True)
    return data_dir


@pytest.fixture
def spawn_holder(data_dir: Path) -> Iterator[Spawn]:
    """Start processes that start the server on ``data_dir`` and then idle; killed at teardown."""
    holders: list[subprocess.Popen[str]] = []
    path = os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))

    def spawn() -> subprocess.Popen[str]:
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(data_dir)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": path},
        )
        holders.append(holder)
        return holder

    yield spawn
    for holder in holders:
        sigkill(holder)


async def test_first_start_creates_lrs_database_and_data_survives_restart(data_dir: Path) -> None:
    """An acknowledged write is still there after a clean stop and a new start."""
    pg = EmbeddedPostgres(data_dir)
    url = pg.start()
    assert pg.url == url
    assert url.startswith("postgresql+asyncpg://lrs@/lrs?host=")
    assert await fetch(url, "CREATE TABLE t (x int); INSERT INTO t VALUES (42); SELECT 1")
    settings = await fetch(
        url, "SELECT current_setting('fsync'), current_setting('listen_addresses')"
    )
    assert settings == [("on", "")]
    cache_mb = await fetch(
        url, "SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'"
    )
    assert cache_mb == [(shared_buffers_mb(memory_limit_bytes()),)]
    first_pid = postmaster_pid(data_dir)
    assert first_pid is not None

    pg.stop()
    assert pg.url is None
    assert wait_dead(first_pid)
    assert postmaster_pid(data_dir) is None

    again = EmbeddedPostgres(data_dir)
    url = again.start()
    assert await fetch(url, "SELECT x FROM t") == [(42,)]
    again.stop()


async def test_a_configuration_reload_finds_the_settings_in_use(cluster: Path) -> None:
    """A reload (`pg_reload_conf()`, `pg_ctl reload`) reads the values the server was started
    with: nothing is logged as needing a restart and nothing is left pending; a restart
    rewrites the settings file without including it twice."""
    log = cluster / "postgresql.log"
    for _ in range(2):
        with EmbeddedPostgres(cluster) as pg:
            assert pg.url is not None
            logged = log.stat().st_size
            assert await fetch(pg.url, "SELECT pg_reload_conf()") == [(True,)]
            deadline = time.monotonic() + 10
            while b"reloading configuration files" not in log.read_bytes()[logged:]:
                assert time.monotonic() < deadline, "the server did not reload"
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # the lines a reload logs come together
            reload_lines = log.read_bytes()[logged:].decode()
            assert "without restarting" not in reload_lines
            assert "contains errors" not in reload_lines
            pending = await fetch(pg.url, "SELECT name FROM pg_settings WHERE pending_restart")
            assert pending == []
    conf = (cluster / "pgdata" / "postgresql.conf").read_text()
    assert conf.count(f"include_if_exists = '{SETTINGS_FILE}'") == 1
    written = (cluster / "pgdata" / SETTINGS_FILE).read_text()
    assert f"shared_buffers = '{shared_buffers_mb(memory_limit_bytes())}MB'" in written
    assert "fsync = 'on'" in written


def malloc_environment(pid: int) -> dict[str, str]:
    """The MALLOC_* variables a process was started with."""
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    found = dict(pair.decode().partition("=")[::2] for pair in pairs if pair)
    return {key: value for key, value in found.items() if key.startswith("MALLOC_")}


def test_the_servers_processes_keep_freed_memory_for_the_next_write(cluster: Path) -> None:
    """The server (its backends are its children) is started with glibc's malloc told to keep
    up to 8 MiB of freed heap and to serve allocations up to 1 MiB from it (a batch's
    parameters, freed after each write)."""
    with EmbeddedPostgres(cluster):
        postmaster = postmaster_pid(cluster)
        assert postmaster is not None
        assert malloc_environment(postmaster) == {
            "MALLOC_MMAP_THRESHOLD_": "1048576",
            "MALLOC_TRIM_THRESHOLD_": "8388608",
        }


def test_the_operators_malloc_settings_win(cluster: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    with EmbeddedPostgres(cluster):
        postmaster = postmaster_pid(cluster)
        assert postmaster is not None
        assert malloc_environment(postmaster)["MALLOC_TRIM_THRESHOLD_"] == "131072"


async def test_url_is_usable_by_sqlalchemy(cluster: Path) -> None:
    with EmbeddedPostgres(cluster) as pg:
        assert pg.url is not None
        engine = create_async_engine(pg.url)
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT current_database()"))).scalar() == "lrs"
        await engine.dispose()


async def test_second_instance_reuses_server_and_last_user_stops_it(cluster: Path) -> None:
    first, second = EmbeddedPostgres(cluster), EmbeddedPostgres(cluster)
    url = first.start()
    pid = postmaster_pid(cluster)
    assert second.start() == url
    assert postmaster_pid(cluster) == pid

    first.stop()
    assert pid is not None
    assert alive(pid)
    assert await fetch(url, "SELECT 1")

    second.stop()
    assert wait_dead(pid)
    assert postmaster_pid(cluster) is None


async def test_start_after_owner_sigkilled_reuses_orphan_then_stops_it(
    cluster: Path, spawn_holder: Spawn
) -> None:
    """The killed owner's flock is gone, so this process is the last user and stops the orphan."""
    holder = spawn_holder()
    url = url_of(holder)
    orphan = postmaster_pid(cluster)
    sigkill(holder)
    assert orphan is not None
    assert alive(orphan)

    pg = EmbeddedPostgres(cluster)
    assert pg.start() == url
    assert postmaster_pid(cluster) == orphan
    assert await fetch(url, "SELECT 1")
    pg.stop()
    assert wait_dead(orphan)


async def test_start_after_postmaster_sigkilled_recovers_committed_data(
    cluster: Path, spawn_holder: Spawn
) -> None:
    """A stale postmaster.pid does not block the next start; crash recovery keeps commits."""
    holder = spawn_holder()
    url = url_of(holder)
    assert await fetch(url, "CREATE TABLE t (x int); INSERT INTO t VALUES (7); SELECT 1")
    crashed = postmaster_pid(cluster)
    assert crashed is not None
    os.kill(crashed, signal.SIGKILL)
    sigkill(holder)
    assert wait_dead(crashed)
    assert (cluster / "pgdata" / "postmaster.pid").exists()

    with EmbeddedPostgres(cluster) as pg:
        assert pg.url is not None
        assert postmaster_pid(cluster) not in (None, crashed)
        assert await fetch(pg.url, "SELECT x FROM t") == [(7,)]


async def test_stale_pid_file_naming_a_live_unrelated_process_is_ignored(cluster: Path) -> None:
    """After a reboot or in a container the old postmaster pid may belong to anything."""
    stranger = await asyncio.create_subprocess_exec("sleep", "30")
    try:
        fake = [str(stranger.pid), str(cluster / "pgdata"), "0", "5432", "/nowhere", "", "0 0"]
        (cluster / "pgdata" / "postmaster.pid").write_text("\n".join([*fake, "ready"]) + "\n")
        with EmbeddedPostgres(cluster) as pg:
            assert pg.url is not None
            assert "/nowhere" not in pg.url
            assert await fetch(pg.url, "SELECT 1")
    finally:
        stranger.kill()
        await stranger.wait()


def test_concurrent_first_starts_share_one_server(data_dir: Path, spawn_holder: Spawn) -> None:
    """The start lock lets two processes race on an empty data dir without a second initdb."""
    holders = [spawn_holder(), spawn_holder()]
    urls = {url_of(holder) for holder in holders}
    pid = postmaster_pid(data_dir)
    for holder in holders:
        sigkill(holder)
    assert len(urls) == 1
    assert "" not in urls
    assert pid is not None
    assert alive(pid)
    with EmbeddedPostgres(data_dir):
        assert postmaster_pid(data_dir) == pid
    assert wait_dead(pid)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root has to drop privileges")
def test_as_root_server_runs_as_unprivileged_user(cluster: Path) -> None:
    with EmbeddedPostgres(cluster):
        pid = postmaster_pid(cluster)
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        fields = {line.split(":")[0]: line.split(":")[1].split() for line in status}
        assert "0" not in fields["Uid"]
        assert "0" not in fields["Gid"]
        assert "0" not in fields["Groups"]


def test_unusable_data_dir_raises_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(EmbeddedPostgresError, match="cannot start PostgreSQL") as caught:
        EmbeddedPostgres(blocker / "data").start()
    assert "\n" not in str(caught.value)
    assert caught.value.status == 500


def test_cluster_of_another_major_version_is_refused(data_dir: Path) -> None:
    (data_dir / "pgdata").mkdir(parents=True)
    (data_dir / "pgdata" / "PG_VERSION").write_text("11\n")
    with pytest.raises(EmbeddedPostgresError, match="PostgreSQL 11 cluster"):
        EmbeddedPostgres(data_dir).start()
