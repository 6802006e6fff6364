"""`lrs serve`'s conversation with the operator: the banner once the port is bound, and a
first-start credential shown once, never in the logs.

With stderr on a terminal the banner is for people (and a first-start credential is printed
there). Otherwise stderr is a log stream of JSON lines only: the banner is a log line, and a
first-start credential goes to stdout, or nowhere (and is then not created) when stdout is
the log stream too.
"""

from __future__ import annotations

import logging
import os
import resource
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from rich.console import Console

log = logging.getLogger("lrs")

# uvicorn logs this right after binding the port, in the serving process (one worker) or in
# the supervisor before it starts the workers.
_BOUND_MESSAGE = "Uvicorn running on"


@dataclass(frozen=True)
class Startup:
    url: str
    database: str
    bootstrap_key: str | None
    issued: tuple[str, str] | None


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def secret_stream() -> TextIO | None:
    """Where a first-start secret may be shown: the terminal on stderr; else stdout, unless
    stdout is the log stream itself (one file or pipe for both)."""
    if stderr_is_terminal():
        return sys.stderr
    try:
        out, err = os.fstat(sys.stdout.fileno()), os.fstat(sys.stderr.fileno())
    except (OSError, ValueError):
        return None
    if (out.st_dev, out.st_ino) == (err.st_dev, err.st_ino):
        return None
    return sys.stdout


def raise_open_files_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit, and return it.

    Every connection holds a file descriptor; many systems start a process with a soft limit
    of 1,024, which a few hundred slow clients and the database pool would use up (new
    connections are then refused). The hard limit is what the operator allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1_048_576)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            return soft
        return wanted
    return soft


def on_port_bound(callback: Callable[[], None]) -> None:
    """Call `callback` once, when uvicorn reports the port bound (whatever LRS_LOG_LEVEL
    says: its INFO line is let through to this filter, then dropped if below the level)."""
    uvicorn_log = logging.getLogger("uvicorn.error")
    wanted = logging.getLogger().getEffectiveLevel()

    class Bound(logging.Filter):
        fired = False

        def filter(self, record: logging.LogRecord) -> bool:
            if not self.fired and str(record.msg).startswith(_BOUND_MESSAGE):
                self.fired = True
                callback()
            return record.levelno >= wanted

    uvicorn_log.setLevel(min(wanted, logging.INFO))
    uvicorn_log.addFilter(Bound())


def announce(startup: Startup) -> None:
    if stderr_is_terminal():
        _announce_on_terminal(startup)
        return
    log.info(
        "serving xAPI at %s (%s)",
        startup.url,
        startup.database,
        extra={"url": startup.url, "database": startup.database},
    )
    if startup.bootstrap_key:
        log.info("credential: the bootstrap key %r (LRS_BOOTSTRAP_KEY)", startup.bootstrap_key)
    stream = secret_stream()
    if startup.issued is not None and stream is not None:
        key, secret = startup.issued
        log.info("no credentials existed, so one was created; its secret is on stdout, once")
        stream.write(
            "No credentials existed, so one was created (shown only now):\n"
            f"  key:    {key}\n  secret: {secret}\n"
        )
        stream.flush()


def _announce_on_terminal(startup: Startup) -> None:
    console = Console(stderr=True)
    console.print(
        f"[bold]lrs[/] serving xAPI at {startup.url} ({startup.database})",
        highlight=False,
        soft_wrap=True,
    )
    if startup.issued is not None:
        key, secret = startup.issued
        console.print(
            "[bold yellow]No credentials existed, so one was created (shown only now):[/]\n"
            f"  key:    {key}\n  secret: {secret}\n"
            f"  e.g. curl -u {key}:{secret} -H 'X-Experience-API-Version: 2.0.0' "
            f"{startup.url}statements",
            highlight=False,
            soft_wrap=True,
        )
    elif startup.bootstrap_key:
        console.print(
            f"credential: the bootstrap key {startup.bootstrap_key!r} (LRS_BOOTSTRAP_KEY)",
            highlight=False,
            soft_wrap=True,
        )
