"""Pure ASGI middleware: request context, xAPI version negotiation, request body limit."""

from __future__ import annotations

import os
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lrs.api.body_budget import SMALL_BODY_BYTES, ByteBudget
from lrs.api.errors import error_response, unexpected_response
from lrs.api.metrics import Metrics
from lrs.errors import LRSError, PayloadTooLarge
from lrs.logs import log_access, request_id_var
from lrs.xapi.versions import VERSION_HEADER, XapiVersion, negotiate

XAPI_PREFIX = "/xAPI/"
ABOUT_PATH = "/xAPI/about"
EXTENSIONS_PREFIX = "/xAPI/extensions/"
# nginx's status for "the client closed the request": logged and counted, never as a 500.
CLIENT_CLOSED = 499
# Set in a request's scope by the server's protocol (`lrs.api.http_limits`) when it answered
# the request itself while its body was being read (408 for a body that stopped coming, 400
# for one in too many tiny chunks): the app then sees the client as gone.
ANSWERED_STATUS = "lrs.answered_status"
# The request's id, in its scope for the same protocol's 408 (the id of its access line).
REQUEST_ID = "lrs.request_id"


def _new_request_id() -> str:
    """32 random hex digits, as `uuid.uuid4().hex` gave, without building a UUID (a quarter
    of the cost)."""
    return os.urandom(16).hex()


class RequestContextMiddleware:
    """Request id, access log, metrics, and no body on HEAD responses (CT-007)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = Headers(scope=scope).get("x-request-id") or _new_request_id()
        scope[REQUEST_ID] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        responded = False
        is_head = scope["method"] == "HEAD"

        async def send_wrapper(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status = message["status"]
                responded = True
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            elif is_head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except ClientDisconnect:
            # The client went away mid-request, or was answered by the protocol for it.
            status = scope.get(ANSWERED_STATUS, CLIENT_CLOSED)
        except Exception as error:
            # Answered here, inside the request context, rather than by Starlette's outermost
            # handler: the 500 then carries X-Request-ID and the version, the log line its
            # request id, and the keep-alive connection survives.
            if responded:
                raise
            response = unexpected_response(error)
            version = scope.get("state", {}).get("xapi_version")
            if isinstance(version, XapiVersion):
                response.headers[VERSION_HEADER] = version.value
            await response(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(scope["method"], template, status, elapsed)
            log_access(scope["method"], scope["path"], status, round(elapsed * 1000, 2))
            request_id_var.reset(token)


class XapiVersionMiddleware:
    """Negotiates X-Experience-API-Version (HDR-001..009, VER-001) and echoes it on every
    response, errors included. `/xAPI/about` is exempt; `/xAPI/extensions/` accepts the
    header but does not require it."""

    def __init__(self, app: ASGIApp, primary: XapiVersion) -> None:
        self.app = app
        self.primary = primary

    def _choose(self, scope: Scope) -> XapiVersion:
        path: str = scope["path"]
        header = Headers(scope=scope).get(VERSION_HEADER)
        if path == ABOUT_PATH or path == ABOUT_PATH + "/":
            try:
                return negotiate(header) if header else self.primary
            except LRSError:
                return self.primary
        if path.startswith(EXTENSIONS_PREFIX) and not header:
            return self.primary
        return negotiate(header)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(XAPI_PREFIX):
            await self.app(scope, receive, send)
            return
        try:
            version = self._choose(scope)
        except LRSError as error:
            response = error_response(error, headers={VERSION_HEADER: self.primary.value})
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["xapi_version"] = version

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[VERSION_HEADER] = version.value
            await send(message)

        await self.app(scope, receive, send_wrapper)


class BodyLimitMiddleware:
    """413 for request bodies past LRS_MAX_BODY_BYTES, announced or streamed (ERR-011); a
    large body, once read whole, is processed within the worker's LRS_BODY_MEMORY_BYTES
    (`lrs.api.body_budget`)."""

    def __init__(self, app: ASGIApp, max_bytes: int, budget: ByteBudget) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.budget = budget

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"request body larger than the limit of {self.max_bytes} bytes (LRS_MAX_BODY_BYTES)"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(self._too_large())(scope, receive, send)
            return
        received = 0
        held = 0

        async def limited_receive() -> Message:
            nonlocal received, held
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large()
                if received > SMALL_BODY_BYTES and not held and not message.get("more_body"):
                    held = await self.budget.acquire(received)
            return message

        try:
            await self.app(scope, limited_receive, send)
        finally:
            if held:
                self.budget.release(held)
