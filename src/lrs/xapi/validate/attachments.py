"""Attachment objects in statements (ST-VAL-135..138) and helpers for the API layer (CT-003)."""

from __future__ import annotations

from typing import Any

from lrs.xapi import primitives
from lrs.xapi.validate._common import (
    JsonObject,
    Keys,
    check_array,
    check_iri,
    check_irl,
    check_language_map,
    check_object,
    check_string,
    fail,
    wrong_type,
)
from lrs.xapi.versions import XapiVersion

_ATTACHMENT_KEYS = Keys(
    ("usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"),
    required=("usageType", "display", "contentType", "length", "sha2"),
)


def validate_attachments(value: object, version: XapiVersion, *, path: str) -> None:
    """An array of Attachment objects (ST-VAL-135)."""
    for index, item in enumerate(check_array(value, path)):
        validate_attachment(item, version, path=f"{path}[{index}]")


def validate_attachment(obj: object, version: XapiVersion, *, path: str) -> None:
    """Required and optional Attachment properties with their formats (ST-VAL-136..138)."""
    attachment = check_object(obj, path, "an Attachment object")
    _ATTACHMENT_KEYS.check(attachment, path)
    check_iri(attachment["usageType"], f"{path}.usageType")
    check_language_map(attachment["display"], f"{path}.display")
    if "description" in attachment:
        check_language_map(attachment["description"], f"{path}.description")
    content_type = check_string(attachment["contentType"], f"{path}.contentType")
    if not primitives.is_media_type(content_type):
        fail(f"{content_type!r} is not a media type such as 'text/plain'", f"{path}.contentType")
    length = attachment["length"]
    if not isinstance(length, int) or isinstance(length, bool):
        wrong_type(length, "an integer number of octets", f"{path}.length")
    if length < 0:
        fail("length must not be negative", f"{path}.length")
    sha2 = check_string(attachment["sha2"], f"{path}.sha2")
    if not primitives.is_sha2_hex(sha2):
        fail("sha2 must be a SHA-256, SHA-384 or SHA-512 hex digest", f"{path}.sha2")
    if "fileUrl" in attachment:
        check_irl(attachment["fileUrl"], f"{path}.fileUrl")


def all_attachments(stmt: JsonObject) -> list[JsonObject]:
    """The statement's Attachment objects followed by those of a SubStatement object."""
    found: list[JsonObject] = list(stmt.get("attachments") or ())
    target = stmt.get("object")
    if isinstance(target, dict) and target.get("objectType") == "SubStatement":
        found.extend(target.get("attachments") or ())
    return found


def attachments_without_file_url(statements: list[dict[str, Any]]) -> list[str]:
    """``sha2`` of every Attachment lacking ``fileUrl``, in order (CT-003, ATT-009).

    A non-empty result means the payloads must arrive in a multipart/mixed body.
    """
    return [
        attachment["sha2"]
        for stmt in statements
        for attachment in all_attachments(stmt)
        if "fileUrl" not in attachment
    ]
