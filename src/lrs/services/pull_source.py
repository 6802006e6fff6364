"""The other LRS that ``lrs pull`` reads: pages of ``GET /statements`` over HTTP (httpx).

Any conformant LRS will do: the first page asks for ``ascending=true`` (stored order,
STR-Q-015) and ``attachments=true`` (ATT-014), later pages follow ``more`` (STR-Q-018) as
the source wrote it, resolved against the URL it came in. A ``multipart/mixed`` answer is
split by `lrs.xapi.multipart`, which checks each payload against its hash.

Network errors, 429 and 5xx answers, and answers cut short (a body that does not parse) are
retried with exponential backoff (``Retry-After`` honoured, capped); any other status stops
the pull at once: retrying a 401 or 404 cannot help.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

from lrs.errors import BadRequest, LRSError
from lrs.xapi.jsonparse import loads_strict
from lrs.xapi.multipart import AttachmentPart, media_type, parse_multipart_statements
from lrs.xapi.prepare import format_stored

OnRetry = Callable[[str, float], None]


class SourceUnavailable(LRSError):
    """The source LRS refused a request, or kept failing after every retry."""

    status = 502


@dataclass(frozen=True)
class Backoff:
    """`attempts` retries after the first try, waiting base * 2**n seconds (at most `cap`)."""

    attempts: int = 8
    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        wait: float = min(self.cap, self.base * 2.0**attempt)
        if retry_after is not None:
            wait = min(self.cap, max(wait, retry_after))
        return wait


@dataclass(frozen=True)
class SourcePage:
    """One page: its statements (parsed JSON, unchecked), the next page's absolute URL, and
    the attachment payloads by sha2."""

    statements: list[Any]
    more: str | None
    parts: dict[str, AttachmentPart] = field(default_factory=dict)


def statements_url(base: str) -> str:
    """The statements resource under an xAPI base URL (the resume key: no credentials)."""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadRequest(f"not an http(s) URL: {base!r}")
    if parts.username or parts.password:
        raise BadRequest("give the credential with --user and --password, not in the URL")
    return base.rstrip("/") + "/statements"


def first_page_url(
    endpoint: str, *, since: datetime | None, until: datetime | None, limit: int
) -> str:
    params: dict[str, str] = {"ascending": "true", "attachments": "true", "limit": str(limit)}
    if since is not None:
        params["since"] = format_stored(since)
    if until is not None:
        params["until"] = format_stored(until)
    return f"{endpoint}?{urlencode(params)}"


def parse_page(body: bytes, content_type: str, url: str) -> SourcePage:
    """A StatementResult (JSON or multipart/mixed); raises ``BadRequest`` when it is not one."""
    parts: dict[str, AttachmentPart] = {}
    if media_type(content_type) == "multipart/mixed":
        request = parse_multipart_statements(body, content_type)
        body, parts = request.statement_part, request.parts
    result = loads_strict(body)
    statements = result.get("statements") if isinstance(result, dict) else None
    if not isinstance(statements, list):
        raise BadRequest("the answer is not a StatementResult (no statements array)")
    more = result.get("more")
    if more is not None and not isinstance(more, str):
        raise BadRequest("the StatementResult's more is not a string")
    return SourcePage(statements, urljoin(url, more) if more else None, parts)


class Source:
    """An HTTP client for one source LRS, with its credential and version header."""

    def __init__(
        self,
        base: str,
        *,
        user: str,
        password: str,
        version: str,
        backoff: Backoff = Backoff(),
        timeout: float = 120.0,
        on_retry: OnRetry = lambda reason, delay: None,
    ) -> None:
        self.endpoint = statements_url(base)
        self.backoff = backoff
        self.on_retry = on_retry
        self.retries = 0
        self._client = httpx.AsyncClient(
            auth=(user, password),
            headers={"X-Experience-API-Version": version},
            timeout=timeout,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def page(self, url: str) -> SourcePage:
        """Fetch and parse one page, retrying what may pass; raises ``SourceUnavailable``."""
        attempt = 0
        while True:
            reason, retry_after = await self._try(url)
            if isinstance(reason, SourcePage):
                return reason
            if attempt >= self.backoff.attempts:
                raise SourceUnavailable(
                    f"{_safe(url)}: gave up after {attempt + 1} attempts; last: {reason}"
                )
            delay = self.backoff.delay(attempt, retry_after)
            self.retries += 1
            self.on_retry(reason, delay)
            await asyncio.sleep(delay)
            attempt += 1

    async def _try(self, url: str) -> tuple[SourcePage | str, float | None]:
        """The page, or why this attempt failed and the server's Retry-After."""
        try:
            response = await self._client.get(url)
        except httpx.TransportError as error:
            return f"{type(error).__name__}: {error}".rstrip(": "), None
        status = response.status_code
        if status == 200:
            try:
                return parse_page(
                    response.content, response.headers.get("content-type", ""), url
                ), None
            except BadRequest as error:
                return f"unreadable answer ({error.message})", None
        if status == 429 or status >= 500:
            return f"HTTP {status}", _retry_after(response)
        raise SourceUnavailable(f"{_safe(url)} answered HTTP {status}: {response.text[:300]}")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdecimal() else None


def _safe(url: str) -> str:
    """The URL without its query (a `more` token means nothing to a reader)."""
    return url.split("?", 1)[0]
