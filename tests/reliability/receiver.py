"""A local webhook receiver for forwarding tests: a real HTTP server in a thread that
accepts, fails (a status, optionally with Retry-After), or hangs, on command. It checks the
signature of every request it accepts and records the statement ids it received."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Mode:
    status: int = 200
    hang_seconds: float = 0.0
    retry_after: str | None = None


@dataclass
class Receiver:
    secret: str
    mode: Mode = field(default_factory=Mode)
    received: list[str] = field(default_factory=list)
    requests: int = 0
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def set(self, status: int = 200, *, hang: float = 0.0, retry_after: str | None = None) -> None:
        """Answer `status` from now on (after `hang` seconds)."""
        self.mode = Mode(status, hang, retry_after)

    def ids(self) -> list[str]:
        with self.lock:
            return list(self.received)

    def wait_for(self, count: int, timeout: float = 60.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(set(self.ids())) >= count:
                return self.ids()
            time.sleep(0.05)
        raise AssertionError(f"received {len(set(self.ids()))} of {count} statements")

    def wait_for_ids(self, wanted: AbstractSet[str], timeout: float = 60.0) -> list[str]:
        """Wait until every id of `wanted` has arrived (others may arrive too)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if wanted <= set(self.ids()):
                return self.ids()
            time.sleep(0.05)
        missing = len([i for i in wanted if i not in self.ids()])
        raise AssertionError(f"{missing} of {len(wanted)} statements not received")

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                mode = receiver.mode
                with receiver.lock:
                    receiver.requests += 1
                if mode.hang_seconds:
                    time.sleep(mode.hang_seconds)
                if mode.status >= 300:
                    self.send_response(mode.status)
                    if mode.retry_after is not None:
                        self.send_header("Retry-After", mode.retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                stamp = self.headers.get("X-LRS-Timestamp", "")
                mac = hmac.new(
                    receiver.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256
                )
                if not hmac.compare_digest(
                    "sha256=" + mac.hexdigest(), self.headers.get("X-LRS-Signature", "")
                ):
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with receiver.lock:
                    receiver.received.extend(s["id"] for s in json.loads(body))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
