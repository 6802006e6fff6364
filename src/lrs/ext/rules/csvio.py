"""Bulk bodies: a JSON array, or CSV with a header row turned into the same JSON items.

CSV is what retail teams export from HR and store systems: UTF-8 (an Excel BOM is fine),
comma or semicolon separated, a header row naming the columns (any order, case-insensitive),
empty cells meaning "not given". Errors name the CSV line and the column, as a JSON path of
the item the row became (``$[2].door``, "CSV line 4: ...").
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from lrs.errors import BadRequest
from lrs.ext.rules.bi_model import KPI_FIELDS
from lrs.ext.rules.model import ASSIGNMENT_FIELDS, DOOR_FIELDS, ROLE_FIELDS, TAG_FIELDS
from lrs.xapi.jsonparse import loads_strict

T = TypeVar("T")

_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n"}
IFI_COLUMNS = ("mbox", "mbox_sha1sum", "openid", "account_homepage", "account_name")
ROSTER_COLUMNS = (*IFI_COLUMNS, *ASSIGNMENT_FIELDS[1:])


@dataclass(frozen=True)
class Kind:
    """What a bulk resource takes as CSV: its columns and how a row becomes a JSON item."""

    columns: tuple[str, ...]
    to_item: Callable[[dict[str, str]], dict[str, Any]]


@dataclass(frozen=True)
class BulkBody:
    items: list[Any]
    # The CSV line of each item; None for a JSON body.
    lines: list[int] | None = None

    def where(self, index: int) -> str:
        return "" if self.lines is None else f"CSV line {self.lines[index]}: "

    def parse_each(self, parse: Callable[[Any, str], T]) -> list[T]:
        """Parse every item, naming the CSV line of the first that fails."""
        out: list[T] = []
        for index, item in enumerate(self.items):
            try:
                out.append(parse(item, f"$[{index}]"))
            except BadRequest as error:
                raise BadRequest(self.where(index) + error.message, path=error.path) from None
        return out

    def refuse(self, index: int, message: str, path: str) -> BadRequest:
        return BadRequest(self.where(index) + message, path=path)

    def check_unique(self, keys: Sequence[object], what: str, field: str) -> None:
        """A batch names each key once (one upsert cannot write a row twice)."""
        seen: set[object] = set()
        for index, key in enumerate(keys):
            if key in seen:
                raise self.refuse(
                    index, f"{what} {key!r} appears twice in this batch", f"$[{index}]{field}"
                )
            seen.add(key)


def _boolean(value: str) -> bool | str:
    folded = value.lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    return value  # left for the model to refuse with its own message


def _plain(booleans: Sequence[str] = ()) -> Callable[[dict[str, str]], dict[str, Any]]:
    def to_item(row: dict[str, str]) -> dict[str, Any]:
        return {k: (_boolean(v) if k in booleans else v) for k, v in row.items()}

    return to_item


def _assignment(row: dict[str, str]) -> dict[str, Any]:
    """IFI columns become the `agent` object; a bare address in `mbox` gets its mailto:."""
    agent: dict[str, Any] = {}
    if "mbox" in row:
        mbox = row["mbox"]
        agent["mbox"] = mbox if mbox.lower().startswith("mailto:") else "mailto:" + mbox
    for column in ("mbox_sha1sum", "openid"):
        if column in row:
            agent[column] = row[column]
    if "account_homepage" in row or "account_name" in row:
        agent["account"] = {
            k: row[c]
            for k, c in (("homePage", "account_homepage"), ("name", "account_name"))
            if c in row
        }
    item: dict[str, Any] = {k: v for k, v in row.items() if k in ASSIGNMENT_FIELDS}
    item["agent"] = agent
    return item


DOORS = Kind(DOOR_FIELDS, _plain(("active",)))
ROLES = Kind(ROLE_FIELDS, _plain(("active",)))
ROSTER = Kind(ROSTER_COLUMNS, _assignment)
TAGS = Kind(TAG_FIELDS, _plain())
KPIS = Kind(KPI_FIELDS, _plain())


async def load_bulk(body: bytes, content_type: str | None, kind: Kind) -> BulkBody:
    """`read_bulk` in a worker thread: a large CSV or JSON body (a 350k-row roster is 20 MB)
    must not hold the event loop while it is parsed."""
    return await asyncio.to_thread(read_bulk, body, content_type, kind)


async def load_json(body: bytes) -> Any:
    """A JSON request body, parsed in a worker thread (bodies may be up to
    LRS_MAX_BODY_BYTES)."""
    return await asyncio.to_thread(loads_strict, body, path="$")


def read_bulk(body: bytes, content_type: str | None, kind: Kind) -> BulkBody:
    """A JSON array (application/json) or CSV (text/csv) body as items to parse."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media == "text/csv":
        return _read_csv(body, kind)
    if media in ("application/json", ""):
        items = loads_strict(body, path="$")
        if not isinstance(items, list):
            raise BadRequest("the body must be a JSON array of objects", path="$")
        return BulkBody(items)
    raise BadRequest(
        f"unsupported Content-Type {media!r}; send application/json or text/csv",
        path="header:Content-Type",
    )


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = body[: error.start].count(b"\n") + 1
        raise BadRequest(f"CSV line {line}: the CSV is not valid UTF-8", path="$") from None


def _header(row: list[str], kind: Kind) -> list[str]:
    names = [cell.strip().lower() for cell in row]
    for name in names:
        if name not in kind.columns:
            raise BadRequest(
                f"CSV line 1: unknown column {name!r}; columns: {', '.join(kind.columns)}",
                path="$",
            )
    if len(set(names)) != len(names):
        raise BadRequest("CSV line 1: a column is named twice", path="$")
    return names


def _read_csv(body: bytes, kind: Kind) -> BulkBody:
    text = _decode(body)
    first = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = _header(next(reader), kind)
    except StopIteration:
        raise BadRequest("CSV line 1: the CSV is empty; a header row is needed", path="$") from None
    items: list[Any] = []
    lines: list[int] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise BadRequest(
                    f"CSV line {reader.line_num}: {len(row)} fields where the header has "
                    f"{len(header)}",
                    path=f"$[{len(items)}]",
                )
            cells = {n: c.strip() for n, c in zip(header, row, strict=True) if c.strip()}
            items.append(kind.to_item(cells))
            lines.append(reader.line_num)
    except csv.Error as error:
        raise BadRequest(f"CSV line {reader.line_num}: {error}", path=f"$[{len(items)}]") from None
    return BulkBody(items, lines)
