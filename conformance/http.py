"""HTTP access to the LRS under test; every exchange is recorded so failures can show it."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx

from .registry import CheckFailed, CheckSkipped

SHOWN_REQUEST_HEADERS = (
    "content-type",
    "x-experience-api-version",
    "if-match",
    "if-none-match",
    "accept",
    "accept-language",
    "origin",
    "access-control-request-method",
)
SHOWN_RESPONSE_HEADERS = (
    "content-type",
    "content-length",
    "x-experience-api-version",
    "x-experience-api-consistent-through",
    "etag",
    "last-modified",
    "www-authenticate",
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
)
EXCERPT = 600
_UNSET: Any = object()


@dataclass(frozen=True)
class Config:
    """Where the LRS is and how to talk to it."""

    endpoint: str
    user: str
    password: str
    version: str = "1.0.3"
    timeout: float = 15.0
    readonly_user: str | None = None
    readonly_password: str | None = None

    @property
    def base(self) -> str:
        """The endpoint with exactly one trailing slash."""
        return self.endpoint.rstrip("/") + "/"


def basic(user: str, password: str) -> str:
    """An HTTP Basic Authorization header value."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _excerpt(data: bytes) -> str:
    text = data[:EXCERPT].decode("utf-8", errors="replace")
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text + (f"... ({len(data)} bytes)" if len(data) > EXCERPT else "")


@dataclass(frozen=True)
class Exchange:
    """One request and its response, trimmed to what a reader needs."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None
    response_headers: dict[str, str]
    response_body: str
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for reports."""
        return dict(self.__dict__)


def _record(request: httpx.Request, response: httpx.Response | None, error: str | None) -> Exchange:
    req_headers = {k: v for k, v in request.headers.items() if k.lower() in SHOWN_REQUEST_HEADERS}
    if "authorization" in request.headers:
        req_headers["authorization"] = request.headers["authorization"].split(" ")[0] + " ..."
    if response is None:
        return Exchange(request.method, str(request.url), req_headers, "", None, {}, "", error)
    resp_headers = {
        k: v for k, v in response.headers.items() if k.lower() in SHOWN_RESPONSE_HEADERS
    }
    return Exchange(
        request.method,
        str(request.url),
        req_headers,
        _excerpt(request.content),
        response.status_code,
        resp_headers,
        _excerpt(response.content),
    )


@dataclass
class Session:
    """What a check uses to talk to the LRS; records exchanges and offers assertions."""

    config: Config
    client: httpx.Client
    exchanges: list[Exchange] = field(default_factory=list)
    cleanups: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def remember(self, path: str, params: Mapping[str, str]) -> None:
        """Note a document this check wrote, to be deleted once the check ends."""
        entry = (path, dict(params))
        if entry not in self.cleanups:
            self.cleanups.append(entry)

    def clean_up(self) -> None:
        """Delete remembered documents, best effort and without recording the exchanges."""
        shown = list(self.exchanges)
        for path, params in self.cleanups:
            # cleanup must never mask the check's verdict
            with contextlib.suppress(Exception):
                self.request("DELETE", path, params=params)
        self.exchanges = shown

    @property
    def version(self) -> str:
        """The xAPI version this run speaks."""
        return self.config.version

    @property
    def is_v2(self) -> bool:
        """True for a 2.0.0 run."""
        return self.config.version.startswith("2.")

    def url(self, path: str) -> str:
        """Resolve a resource path (``statements``) or a server-relative ``more`` IRL."""
        if path.startswith(("http://", "https://")):
            return path
        if path.startswith("/"):
            return urljoin(self.config.base, path)
        return self.config.base + path

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = _UNSET,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | bool | None = True,
        version: str | bool | None = True,
    ) -> httpx.Response:
        """Send one request. ``auth``/``version`` True means the run's defaults, None omits them."""
        hdrs: dict[str, str] = {}
        if version is True:
            hdrs["X-Experience-API-Version"] = self.config.version
        elif isinstance(version, str):
            hdrs["X-Experience-API-Version"] = version
        if auth is True:
            hdrs["Authorization"] = basic(self.config.user, self.config.password)
        elif isinstance(auth, tuple):
            hdrs["Authorization"] = basic(*auth)
        body: bytes | None = content.encode("utf-8") if isinstance(content, str) else content
        if json_body is not _UNSET:
            body = json.dumps(json_body).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        request = self.client.build_request(
            method,
            self.url(path),
            params=dict(params) if params else None,
            content=body,
            headers=hdrs,
        )
        try:
            response = self.client.send(request)
        except httpx.HTTPError as exc:
            self.exchanges.append(_record(request, None, f"{type(exc).__name__}: {exc}"))
            raise CheckFailed(f"{method} {path}: no usable response ({exc})") from exc
        self.exchanges.append(_record(request, response, None))
        return response

    def get(self, path: str, params: Mapping[str, str] | None = None, **kw: Any) -> httpx.Response:
        """GET shortcut."""
        return self.request("GET", path, params=params, **kw)

    # -- assertions -------------------------------------------------------------------------
    def expect(self, condition: object, message: str) -> None:
        """Fail the check with ``message`` unless ``condition`` holds."""
        if not condition:
            raise CheckFailed(message)

    def expect_status(self, response: httpx.Response, *codes: int, why: str = "") -> None:
        """Fail unless the response status is one of ``codes``."""
        if response.status_code not in codes:
            wanted = " or ".join(str(c) for c in codes)
            req = response.request
            raise CheckFailed(
                f"{req.method} {req.url.path}: expected {wanted}, got {response.status_code}"
                + (f" ({why})" if why else "")
            )

    def json(self, response: httpx.Response) -> Any:
        """The response body as JSON, failing the check if it is not JSON."""
        try:
            return response.json()
        except ValueError as exc:
            raise CheckFailed(f"{response.request.url.path}: body is not JSON") from exc

    def skip(self, reason: str) -> None:
        """Stop the check without a verdict."""
        raise CheckSkipped(reason)
