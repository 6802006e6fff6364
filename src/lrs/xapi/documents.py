"""Pure rules of the document resources: keys, ETags, preconditions, JSON merge.

State, Activity Profile and Agent Profile documents (DOC-*, DOC-ST-*, DOC-ACP-*, DOC-AGP-*)
share these rules; they differ only by the parts of their key and by the rules for
unconditional PUTs (CONC-009 applies to the profiles, and to State under 2.0 only: DOC-ST-006,
REF-007, REF-008).
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lrs.errors import BadRequest, Conflict, PayloadTooLarge, PreconditionFailed
from lrs.xapi.jsonparse import loads_strict
from lrs.xapi.versions import XapiVersion

Json = dict[str, Any]

DEFAULT_CONTENT_TYPE = "application/octet-stream"
JSON_MEDIA_TYPE = "application/json"


class DocumentKind(enum.StrEnum):
    """The three document resources, as stored in ``documents.kind``."""

    STATE = "state"
    ACTIVITY_PROFILE = "activity_profile"
    AGENT_PROFILE = "agent_profile"


@dataclass(frozen=True)
class DocumentScope:
    """Every document of one kind for an activity and/or agent (id lists, State bulk DELETE).

    Key parts that do not apply to the kind are ''. ``registration`` None means "any
    registration": a State list or bulk DELETE without ``registration`` covers the
    documents stored with one too (DOC-ST-003/004 read as "activity + agent, narrowed by
    registration when it is given").
    """

    kind: DocumentKind
    activity_id: str = ""
    agent_key: str = ""
    registration: str | None = None


@dataclass(frozen=True)
class DocumentKey:
    """The full key of one document (DOC-ST-002, DOC-018); '' where a part does not apply."""

    kind: DocumentKind
    doc_id: str
    activity_id: str = ""
    agent_key: str = ""
    registration: str = ""


@dataclass(frozen=True)
class Preconditions:
    """The raw If-Match / If-None-Match header values of a write (None when absent)."""

    if_match: str | None = None
    if_none_match: str | None = None

    @property
    def absent(self) -> bool:
        return self.if_match is None and self.if_none_match is None


def etag_for(content: bytes) -> str:
    """Lowercase hex SHA-1 of the document bytes (CONC-003); changes with every change."""
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def quote_etag(tag: str) -> str:
    """The tag as an RFC 7232 strong entity-tag, in double quotes (CONC-002)."""
    return f'"{tag}"'


_ENTITY_TAG = re.compile(r'\s*(W/)?(?:"([^"]*)"|([^\s,"]+))\s*(?:,|$)')


def parse_entity_tags(header: str) -> list[tuple[str, bool]] | None:
    """The (tag, weak) pairs of an If-Match / If-None-Match value; None for ``*``.

    Unquoted tags are accepted as written: some clients echo the ETag without its quotes,
    and refusing them would only turn a clear intent into an error.
    """
    if header.strip() == "*":
        return None
    tags: list[tuple[str, bool]] = []
    position = 0
    text = header.strip()
    while position < len(text):
        match = _ENTITY_TAG.match(text, position)
        if match is None or match.end() == position:
            break
        tag = match.group(2) if match.group(2) is not None else match.group(3)
        tags.append((tag, match.group(1) is not None))
        position = match.end()
    return tags


def _if_match_holds(header: str, current: str | None) -> bool:
    """RFC 7232 §3.1 with strong comparison (CONC-012): ``*`` needs a document, a weak tag
    never matches, and a missing document fails every If-Match (CONC-013)."""
    if current is None:
        return False
    tags = parse_entity_tags(header)
    if tags is None:
        return True
    return any(tag == current and not weak for tag, weak in tags)


def _if_none_match_holds(header: str, current: str | None) -> bool:
    """RFC 7232 §3.2 with weak comparison: ``*`` needs no document (CONC-006, CONC-008)."""
    if current is None:
        return True
    tags = parse_entity_tags(header)
    if tags is None:
        return False
    return all(tag != current for tag, _ in tags)


def check_preconditions(conditions: Preconditions, current_etag: str | None) -> None:
    """Raise 412 unless every given precondition holds for the current document
    (CONC-005..008, CONC-012, CONC-013). ``current_etag`` is None when no document exists."""
    if conditions.if_match is not None and not _if_match_holds(conditions.if_match, current_etag):
        if current_etag is None:
            message = "If-Match was given but no document exists at this key"
        else:
            message = "If-Match does not match the current ETag of the document"
        raise PreconditionFailed(message, path="header:If-Match")
    if conditions.if_none_match is not None and not _if_none_match_holds(
        conditions.if_none_match, current_etag
    ):
        raise PreconditionFailed(
            "If-None-Match does not hold: a document with that ETag exists at this key",
            path="header:If-None-Match",
        )


def requires_precondition(kind: DocumentKind, version: XapiVersion) -> bool:
    """Whether an unconditional PUT over an existing document is a 409 (CONC-009).

    The profile resources need If-Match or If-None-Match to replace a document. State is
    exempt under 1.0.x requests (DOC-ST-006), as the 1.0.3 text says; under 2.0 it is not
    (L2 4.1.4, REF-008).
    """
    return kind is not DocumentKind.STATE or not version.is_legacy


def check_unconditional_put(
    kind: DocumentKind, version: XapiVersion, conditions: Preconditions, *, exists: bool
) -> None:
    """The rules for a PUT with neither If-Match nor If-None-Match.

    Over an existing document it is a 409, never 428, with a message telling the client how
    to retry (CONC-009..011, REF-008). Under a 1.0.x request a profile PUT without either
    header is a 400 even when nothing exists yet (REF-007); 2.0 lets it create."""
    if not conditions.absent:
        return
    if exists and requires_precondition(kind, version):
        raise Conflict(
            "a document already exists at this key; GET it, then repeat the PUT with "
            "If-Match set to its ETag (or If-None-Match: * to write only when absent)",
            path="header:If-Match",
        )
    if version.is_legacy and kind is not DocumentKind.STATE:
        raise BadRequest(
            "under xAPI 1.0.x a PUT to a profile document needs If-Match (to replace it) or "
            "If-None-Match: * (to create it)",
            path="header:If-Match",
        )


def is_json_media_type(content_type: str | None) -> bool:
    """``application/json``, with or without parameters, in any letter case (CT-006)."""
    if content_type is None:
        return False
    return content_type.split(";", 1)[0].strip().lower() == JSON_MEDIA_TYPE


def check_size(content: bytes, limit: int) -> None:
    """413 for a document past the configured limit (LIM-001, ERR-011)."""
    if len(content) > limit:
        raise PayloadTooLarge(
            f"the document is {len(content)} bytes, more than the limit of {limit} bytes "
            "(LRS_MAX_DOCUMENT_BYTES)"
        )


def check_json_body(content: bytes, content_type: str | None) -> None:
    """A body declared as JSON must parse as JSON (CT-004); others are stored as they come."""
    if is_json_media_type(content_type):
        loads_strict(content, path="$")


def parse_json_object(content: bytes, content_type: str | None, *, what: str) -> Json:
    """The JSON object a POST merge works on; 400 when it is not one (DOC-005)."""
    if not is_json_media_type(content_type):
        raise BadRequest(
            f"the {what} document has Content-Type {content_type or 'none'!r}; POST merges "
            "only application/json documents (use PUT to store other types)",
            path="header:Content-Type" if what == "posted" else "$",
        )
    value = loads_strict(content, path="$")
    if not isinstance(value, dict):
        raise BadRequest(f"the {what} document must be a JSON object to be merged", path="$")
    return value


def merge_json(stored: Mapping[str, Any], posted: Mapping[str, Any]) -> Json:
    """Shallow merge (DOC-003): each top-level key of ``posted`` replaces the stored value
    whole; stored keys the post lacks are kept."""
    return {**stored, **posted}


def serialize_json(value: Json) -> bytes:
    """Compact UTF-8 JSON; the stdlib keeps integers of any size exact."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
