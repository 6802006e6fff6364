"""A deliberately wrong LRS: accepts every statement, ignores query filters, sends no
version header, checks no credentials and keeps no ETags. Used to prove the suite catches it."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PREFIX = "/xAPI/"


class BadLRS(BaseHTTPRequestHandler):
    """Request handler; state lives on the server object."""

    server: BadServer

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def _send(self, status: int, body: Any = None, ctype: str = "application/json") -> None:
        data = (
            b""
            if body is None
            else (body if isinstance(body, bytes) else json.dumps(body).encode())
        )
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _route(self) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        return parts.path.removeprefix(PREFIX), params

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        """Statements ignore every filter; documents come back without ETag."""
        path, params = self._route()
        if path == "about":
            self._send(200, {"version": ["1.0.3"]})
        elif path == "statements":
            sid = params.get("statementId") or params.get("voidedStatementId")
            if sid:
                found = [st for st in self.server.statements if st.get("id") == sid]
                self._send(200, found[0]) if found else self._send(404, {"error": "no"})
            else:
                self._send(200, {"statements": self.server.statements[-50:], "more": ""})
        elif path in self.server.docs_paths:
            doc = self.server.docs.get(self.path.split("?", 1)[-1])
            self._send(200, doc[0], doc[1]) if doc else self._send(200, [])
        else:
            self._send(200, {})

    do_HEAD = do_GET

    def do_POST(self) -> None:
        """Every statement body is accepted."""
        path, _ = self._route()
        raw = self._body()
        if path != "statements":
            self._send(204)
            return
        try:
            data = json.loads(raw)
        except ValueError:
            data = {}
        batch = data if isinstance(data, list) else [data]
        ids = []
        for st in batch:
            if not isinstance(st, dict):
                st = {}
            st.setdefault("id", str(uuid.uuid4()))
            self.server.statements.append(st)
            ids.append(st["id"])
        self._send(200, ids)

    def do_PUT(self) -> None:
        """Statements and documents are stored without any check."""
        path, params = self._route()
        raw = self._body()
        if path == "statements":
            try:
                st = json.loads(raw)
            except ValueError:
                st = {}
            if isinstance(st, dict):
                st["id"] = params.get("statementId", str(uuid.uuid4()))
                self.server.statements.append(st)
        else:
            ctype = self.headers.get("Content-Type", "application/octet-stream")
            self.server.docs[self.path.split("?", 1)[-1]] = (raw, ctype)
        self._send(204)

    def do_DELETE(self) -> None:
        """Deletes always 'succeed'."""
        self.server.docs.pop(self.path.split("?", 1)[-1], None)
        self._send(204)


class BadServer(ThreadingHTTPServer):
    """Holds the bad LRS's in-memory state."""

    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), BadLRS)
        self.statements: list[dict[str, Any]] = []
        self.docs: dict[str, tuple[bytes, str]] = {}
        self.docs_paths = {"activities/state", "activities/profile", "agents/profile"}


def start() -> tuple[BadServer, str]:
    """Start the bad LRS on a free loopback port in a daemon thread; returns it and its URL."""
    server = BadServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"


if __name__ == "__main__":
    srv, url = start()
    print(url, flush=True)
    threading.Event().wait()
