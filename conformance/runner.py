"""Runs the selected checks concurrently and collects their outcomes."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from .http import Config, Exchange, Session
from .registry import Check, CheckFailed, CheckSkipped

PASSED, FAILED, WARNING, SKIPPED = "passed", "failed", "warning", "skipped"
PROGRESS = {PASSED: ".", FAILED: "F", WARNING: "W", SKIPPED: "s"}


@dataclass
class Result:
    """The outcome of one check."""

    check: Check
    level: str
    status: str
    message: str = ""
    seconds: float = 0.0
    exchanges: list[Exchange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the report file."""
        return {
            "name": self.check.name,
            "area": self.check.area,
            "ids": list(self.check.ids),
            "level": self.level,
            "status": self.status,
            "message": self.message,
            "description": self.check.doc,
            "seconds": round(self.seconds, 3),
            "exchanges": [e.to_dict() for e in self.exchanges],
        }


def select(
    checks: Iterable[Check], version: str, areas: set[str] | None
) -> tuple[list[Check], list[Check]]:
    """Split checks into those to run and those not applicable to ``version``."""
    chosen = [c for c in checks if areas is None or c.area in areas]
    return [c for c in chosen if c.applies_to(version)], [
        c for c in chosen if not c.applies_to(version)
    ]


def run_one(check: Check, config: Config, client: httpx.Client) -> Result:
    """Run one check; a failure below MUST level becomes a warning."""
    session = Session(config, client)
    level = check.level(config.version)
    started = time.monotonic()
    try:
        check.func(session)
        status, message = PASSED, ""
    except CheckSkipped as exc:
        status, message = SKIPPED, str(exc)
    except CheckFailed as exc:
        status, message = (FAILED if level == "MUST" else WARNING), str(exc)
    except Exception as exc:  # a crash inside a check is reported, never hidden
        last = traceback.format_exception_only(exc)[-1].strip()
        status, message = (FAILED if level == "MUST" else WARNING), f"check error: {last}"
    finally:
        session.clean_up()
    return Result(check, level, status, message, time.monotonic() - started, session.exchanges)


def run(
    checks: list[Check],
    config: Config,
    *,
    workers: int = 8,
    progress: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Run checks on a thread pool, one shared connection pool, results in registry order."""
    limits = httpx.Limits(max_connections=workers * 2, max_keepalive_connections=workers)
    with (
        httpx.Client(timeout=config.timeout, limits=limits) as client,
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):
        futures = [pool.submit(run_one, c, config, client) for c in checks]
        results = []
        for future in futures:
            result = future.result()
            if progress is not None:
                progress(result)
            results.append(result)
    return results
