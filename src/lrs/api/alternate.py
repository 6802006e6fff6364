"""The 1.0.3 Alternate Request Syntax as pure ASGI middleware (ALT-001..008, CORS-004).

A browser that cannot send custom headers cross-origin POSTs ``?method=GET|PUT|POST|DELETE``
with an ``application/x-www-form-urlencoded`` body. This middleware turns such a request into
the request it stands for before anything else looks at it: header fields of the form become
headers (ALT-004), ``content`` becomes the body (ALT-003) and every other field becomes a query
parameter (ALT-005). Everything downstream (version, authentication, validation, concurrency)
then applies unchanged (ALT-008). 2.0 removed the syntax, so a 2.0.x request is refused.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lrs.api.errors import error_response
from lrs.errors import BadRequest, LRSError, PayloadTooLarge
from lrs.xapi.versions import VERSION_HEADER, XapiVersion, negotiate

XAPI_PREFIX = "/xAPI/"
# The extension's resources are not xAPI resources: the syntax (a cross-site form POST that
# needs no preflight) is refused there.
EXTENSIONS_PREFIX = "/xAPI/extensions/"
METHODS = frozenset({"GET", "PUT", "POST", "DELETE"})
FORM_TYPE = "application/x-www-form-urlencoded"
# Form fields that stand for headers (ALT-004), by lower-case name.
HEADER_FIELDS = frozenset(
    {
        "authorization",
        "x-experience-api-version",
        "content-type",
        "content-length",
        "if-match",
        "if-none-match",
    }
)
# Headers of the outer request that describe the form, not the embedded request.
_OUTER_ONLY = frozenset({b"content-type", b"content-length", b"transfer-encoding"})


class AlternateRequest:
    """The embedded request of an alternate-syntax POST (ALT-001, ALT-003..005)."""

    def __init__(self, method: str, headers: dict[str, str], query: str, body: bytes) -> None:
        self.method = method
        self.headers = headers
        self.query = query
        self.body = body


def _path(field: str) -> str:
    return f"param:{field}"


def parse_alternate(
    query: list[tuple[str, str]], content_type: str | None, form_body: bytes
) -> AlternateRequest:
    """Read an alternate-syntax request; raises `BadRequest` when it breaks the syntax."""
    methods = [value for name, value in query if name == "method"]
    method = methods[0] if methods else ""
    if method not in METHODS:
        raise BadRequest(
            f"method must be one of GET, PUT, POST, DELETE, not {method!r} (ALT-001)",
            path=_path("method"),
        )
    extra = [name for name, _ in query if name != "method"]
    if extra or len(methods) != 1:
        name = extra[0] if extra else "method"
        raise BadRequest(
            f"an alternate-syntax request carries only 'method' in its query string; send "
            f"{name!r} as a form field (ALT-002)",
            path=_path(name),
        )
    if (content_type or "").split(";")[0].strip().lower() != FORM_TYPE:
        raise BadRequest(
            f"an alternate-syntax request must have a {FORM_TYPE} body (ALT-003)",
            path="header:Content-Type",
        )
    try:
        fields = parse_qsl(
            form_body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(form_body)
        )
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the form body is not valid UTF-8 form data (ALT-003)") from None
    return _split_fields(method, fields)


def _split_fields(method: str, fields: list[tuple[str, str]]) -> AlternateRequest:
    headers: dict[str, str] = {}
    params: list[tuple[str, str]] = []
    content: str | None = None
    seen: set[str] = set()
    for name, value in fields:
        folded = name.lower() if name.lower() in HEADER_FIELDS else name
        if folded in seen:
            raise BadRequest(f"form field {name!r} is given more than once", path=_path(name))
        seen.add(folded)
        if name == "content":
            content = value
        elif folded in HEADER_FIELDS:
            if not value.isascii():
                raise BadRequest(
                    f"form field {name!r} must be ASCII text (ALT-004)", path=_path(name)
                )
            headers[folded] = value
        else:
            params.append((name, value))
    body = (content or "").encode("utf-8")
    headers.pop("content-length", None)
    if content is not None:
        headers["content-length"] = str(len(body))
    return AlternateRequest(method, headers, urlencode(params), body)


def _refuse_2_0(headers: dict[str, str], outer: Headers) -> None:
    """2.0 dropped the syntax: under a 2.0.x version `method` is an unknown parameter."""
    raw = headers.get("x-experience-api-version", outer.get(VERSION_HEADER))
    try:
        version = negotiate(raw)
    except LRSError:
        return  # the version middleware explains a missing or unsupported version
    if version is XapiVersion.V2_0_0:
        raise BadRequest(
            "the alternate request syntax (?method=) exists only in xAPI 1.0.3; xAPI 2.0 "
            "removed it (ALT-001)",
            path=_path("method"),
        )


class AlternateRequestMiddleware:
    """Rewrites `POST /xAPI/...?method=X` form requests into X requests (ALT-*)."""

    def __init__(self, app: ASGIApp, primary: XapiVersion, max_bytes: int) -> None:
        self.app = app
        self.primary = primary
        self.max_bytes = max_bytes

    def _applies(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "POST":
            return False
        if not str(scope["path"]).startswith(XAPI_PREFIX):
            return False
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        return any(name == "method" for name, _ in query)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        outer = Headers(scope=scope)
        version_header = {VERSION_HEADER: self.primary.value}
        if str(scope["path"]).startswith(EXTENSIONS_PREFIX):
            refusal = BadRequest(
                "the alternate request syntax (?method=) is not accepted under "
                f"{EXTENSIONS_PREFIX}; send the request itself",
                path=_path("method"),
            )
            await error_response(refusal, headers=version_header)(scope, receive, send)
            return
        try:
            form_body = await self._read_body(receive)
            version_header[VERSION_HEADER] = self._answer_version(outer, form_body)
            query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            embedded = parse_alternate(query, outer.get("content-type"), form_body)
            _refuse_2_0(embedded.headers, outer)
        except LRSError as error:
            await error_response(error, headers=version_header)(scope, receive, send)
            return
        await self.app(_rewrite(scope, embedded), _replay(embedded.body, receive), send)

    def _answer_version(self, outer: Headers, form_body: bytes) -> str:
        """The version an error answers with: the request's (form field first, read
        leniently since the form may be what is wrong), else the primary (HDR-002)."""
        fields = parse_qsl(form_body.decode("utf-8", "replace"), keep_blank_values=True)
        named = [v for k, v in fields if k.lower() == "x-experience-api-version"]
        try:
            return negotiate(named[0] if named else outer.get(VERSION_HEADER)).value
        except LRSError:
            return self.primary.value

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise PayloadTooLarge(
                    f"request body larger than the limit of {self.max_bytes} bytes "
                    "(LRS_MAX_BODY_BYTES)"
                )
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


def _rewrite(scope: Scope, embedded: AlternateRequest) -> Scope:
    kept = [(k, v) for k, v in scope["headers"] if k.lower() not in _OUTER_ONLY]
    replaced = {name.encode("latin-1") for name in embedded.headers}
    headers = [(k, v) for k, v in kept if k.lower() not in replaced]
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in embedded.headers.items()]
    return {
        **scope,
        "method": embedded.method,
        "query_string": embedded.query.encode("latin-1"),
        "headers": headers,
    }


def _replay(body: bytes, outer: Receive) -> Receive:
    """The embedded body once, then the real connection's messages (its disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await outer()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
