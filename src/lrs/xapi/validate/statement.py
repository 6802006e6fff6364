"""Statements and SubStatements: the top-level rules that tie the parts together.

Covers ST-VAL-001, ST-VAL-020, ST-VAL-082..086, ST-VAL-120..132 and voiding (ST-VOID-001/002).
"""

from __future__ import annotations

from lrs.xapi import primitives
from lrs.xapi.jsonparse import child_path
from lrs.xapi.validate._common import (
    JsonObject,
    Keys,
    check_object,
    check_string,
    check_timestamp,
    check_uuid,
    fail,
)
from lrs.xapi.validate.agents import validate_actor, validate_authority
from lrs.xapi.validate.attachments import validate_attachments
from lrs.xapi.validate.context import validate_context
from lrs.xapi.validate.objects import object_type, validate_simple_object
from lrs.xapi.validate.result import validate_result
from lrs.xapi.validate.verb import VOIDED, validate_verb
from lrs.xapi.versions import XapiVersion

_SHARED_KEYS = ("actor", "verb", "object", "result", "context", "timestamp", "attachments")
_STATEMENT_KEYS = Keys(
    ("id", *_SHARED_KEYS, "stored", "authority", "version"),
    required=("actor", "verb", "object"),
)
_SUBSTATEMENT_KEYS = Keys(("objectType", *_SHARED_KEYS), required=("actor", "verb", "object"))
_NOT_IN_SUBSTATEMENT = ("id", "stored", "version", "authority")


def validate_statement(stmt: object, version: XapiVersion, *, path: str = "$") -> None:
    """Validate one statement under the rules of ``version``; raise ``BadRequest`` if invalid."""
    statement = check_object(stmt, path, "a statement object")
    if "objectType" in statement:
        fail(
            "'objectType' is not a Statement property (only a SubStatement has one)",
            f"{path}.objectType",
        )
    _STATEMENT_KEYS.check(statement, path)
    if "id" in statement:
        check_uuid(statement["id"], f"{path}.id")
    kind = _validate_core(statement, version, path, nested=False)
    _check_voiding(statement, kind, path)
    if "stored" in statement:
        check_timestamp(statement["stored"], f"{path}.stored")
    if "authority" in statement:
        validate_authority(statement["authority"], version, path=f"{path}.authority")
    if "version" in statement:
        _check_version(statement["version"], version, f"{path}.version")


def validate_substatement(obj: JsonObject, version: XapiVersion, *, path: str) -> None:
    """A SubStatement: full statement rules minus id/stored/version/authority (ST-VAL-082..086)."""
    for key in _NOT_IN_SUBSTATEMENT:
        if key in obj:
            fail(f"a SubStatement must not have {key!r}", child_path(path, key))
    _SUBSTATEMENT_KEYS.check(obj, path)
    _validate_core(obj, version, path, nested=True)


def _validate_core(statement: JsonObject, version: XapiVersion, path: str, *, nested: bool) -> str:
    """Check the parts a statement and a SubStatement share; return the object's type."""
    validate_actor(statement["actor"], version, path=f"{path}.actor")
    validate_verb(statement["verb"], version, path=f"{path}.verb")
    kind = _validate_object(statement["object"], version, f"{path}.object", nested=nested)
    if "result" in statement:
        validate_result(statement["result"], version, path=f"{path}.result")
    if "context" in statement:
        validate_context(
            statement["context"],
            version,
            path=f"{path}.context",
            object_is_activity=kind == "Activity",
        )
    if "timestamp" in statement:
        # ST-VAL-122/085: a future timestamp is fine, so only the format is checked.
        check_timestamp(statement["timestamp"], f"{path}.timestamp")
    if "attachments" in statement:
        validate_attachments(statement["attachments"], version, path=f"{path}.attachments")
    return kind


def _validate_object(value: object, version: XapiVersion, path: str, *, nested: bool) -> str:
    obj = check_object(
        value, path, "an object (Activity, Agent, Group, StatementRef or SubStatement)"
    )
    kind = object_type(obj, path)
    if kind == "SubStatement":
        if nested:
            fail("a SubStatement cannot have a SubStatement as its object", f"{path}.objectType")
        validate_substatement(obj, version, path=path)
    else:
        validate_simple_object(obj, kind, version, path)
    return kind


def _check_voiding(statement: JsonObject, kind: str, path: str) -> None:
    """A voiding statement must target a StatementRef with an id (ST-VOID-001, ST-VOID-002).

    The id itself was already checked by the StatementRef rules (ST-VAL-080). A SubStatement
    is never processed as a voiding statement, so the rule applies to top-level statements.
    """
    if statement["verb"]["id"] == VOIDED and kind != "StatementRef":
        fail(
            "a statement with the verb 'voided' must have a StatementRef object",
            f"{path}.object",
        )


def _check_version(value: object, version: XapiVersion, path: str) -> None:
    """Statement ``version`` per request version (ST-VAL-131, ST-VAL-132).

    ``1.0`` (and ``2.0`` under 2.0 requests) without a patch level is accepted too, as the
    reference suite expects (REF-002)."""
    text = check_string(value, path)
    if text == "1.0" or (text == "2.0" and version is not XapiVersion.V1_0_3):
        return
    if not primitives.is_semver(text):
        fail(f"version {text!r} is not a semantic version such as '1.0.0'", path)
    if version is XapiVersion.V1_0_3:
        if not text.startswith("1.0."):
            fail(f"version {text!r} must start with '1.0.' in an xAPI 1.0.x request", path)
    elif not primitives.is_semver_xapi_version(text):
        fail(f"version {text!r} must be a 1.0.x or 2.0.x version", path)
