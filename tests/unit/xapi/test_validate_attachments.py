"""Attachment objects (ST-VAL-135..138) and the CT-003 helpers."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from lrs.errors import BadRequest
from lrs.xapi.validate import all_attachments, attachments_without_file_url, validate_statement
from lrs.xapi.versions import XapiVersion
from tests.factories import DROP, make_attachment, make_statement, make_substatement

V2 = XapiVersion.V2_0_0
BOTH = pytest.mark.parametrize("version", [XapiVersion.V1_0_3, V2])


def _refused(attachments: Any) -> BadRequest:
    with pytest.raises(BadRequest) as info:
        validate_statement(make_statement(attachments=attachments), V2)
    return info.value


@BOTH
def test_st_val_136_valid_attachments(version: XapiVersion) -> None:
    attachments = [
        make_attachment(),
        make_attachment(
            b"x",
            description={"en-US": "desc"},
            fileUrl="https://files.example.com/x.txt",
            contentType="application/json; charset=utf-8",
            sha2=hashlib.sha512(b"x").hexdigest(),
        ),
        make_attachment(b"", sha2=hashlib.sha384(b"").hexdigest()),
    ]
    validate_statement(make_statement(attachments=attachments), version)
    validate_statement(make_statement(attachments=[]), version)


@pytest.mark.parametrize("key", ["usageType", "display", "contentType", "length", "sha2"])
def test_st_val_136_required_properties(key: str) -> None:
    overrides: dict[str, Any] = {key: DROP}
    error = _refused([make_attachment(**overrides)])
    assert error.message == f"missing required property {key!r}"
    assert error.path == "$.attachments[0]"


def test_st_val_137_sha2_required_even_with_file_url() -> None:
    attachment = make_attachment(fileUrl="https://files.example.com/x", sha2=DROP)
    assert "'sha2'" in _refused([attachment]).message


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"usageType": "signature"}, "usageType"),
        ({"display": "A file"}, "display"),
        ({"description": {"en-": "x"}}, "description"),
        ({"contentType": "text"}, "contentType"),
        ({"contentType": 5}, "contentType"),
        ({"length": 12.5}, "length"),
        ({"length": 12.0}, "length"),
        ({"length": "12"}, "length"),
        ({"length": True}, "length"),
        ({"length": -1}, "length"),
        ({"length": None}, "length"),
        ({"sha2": "abc"}, "sha2"),
        ({"sha2": hashlib.sha1(b"x").hexdigest()}, "sha2"),
        ({"fileUrl": "x.txt"}, "fileUrl"),
        ({"fileurl": "https://x.example/f"}, "fileurl"),
        ({"data": "aGVsbG8="}, "data"),
    ],
)
def test_st_val_136_138_attachment_refusals(overrides: dict[str, Any], field: str) -> None:
    error = _refused([make_attachment(), make_attachment(**overrides)])
    assert error.path is not None
    assert error.path.startswith(f"$.attachments[1].{field}")


def test_st_val_135_attachments_must_be_array_of_objects() -> None:
    assert _refused(make_attachment()).path == "$.attachments"
    assert _refused(["x"]).path == "$.attachments[0]"


def test_st_val_086_substatement_attachments_are_validated() -> None:
    stmt = make_statement(object=make_substatement(attachments=[make_attachment(length="1")]))
    with pytest.raises(BadRequest) as info:
        validate_statement(stmt, V2)
    assert info.value.path == "$.object.attachments[0].length"


def test_all_attachments_includes_substatement_ones() -> None:
    outer = make_attachment(b"outer")
    inner = make_attachment(b"inner")
    stmt = make_statement(attachments=[outer], object=make_substatement(attachments=[inner]))
    assert all_attachments(stmt) == [outer, inner]
    assert all_attachments(make_statement()) == []


def test_ct_003_attachments_without_file_url() -> None:
    remote = make_attachment(b"remote", fileUrl="https://files.example.com/r")
    local = make_attachment(b"local")
    inner = make_attachment(b"inner")
    statements = [
        make_statement(attachments=[remote]),
        make_statement(attachments=[local], object=make_substatement(attachments=[inner])),
        make_statement(),
    ]
    assert attachments_without_file_url(statements) == [
        hashlib.sha256(b"local").hexdigest(),
        hashlib.sha256(b"inner").hexdigest(),
    ]
    assert attachments_without_file_url([make_statement(attachments=[remote])]) == []
