"""Verb (ST-VAL-050..052)."""

from __future__ import annotations

from typing import Any

import pytest

from lrs.errors import BadRequest
from lrs.xapi.validate import validate_statement
from lrs.xapi.versions import XapiVersion
from tests.factories import make_statement

V2 = XapiVersion.V2_0_0


def test_st_val_051_verb_without_display() -> None:
    validate_statement(make_statement(verb={"id": "http://example.com/verbs/x"}), V2)


@pytest.mark.parametrize(
    ("verb", "path"),
    [
        ({}, "$.verb"),
        ({"display": {"en": "x"}}, "$.verb"),
        ({"id": "completed"}, "$.verb.id"),
        ({"id": ""}, "$.verb.id"),
        ({"id": None}, "$.verb.id"),
        ({"id": "http://example.com/v", "display": "completed"}, "$.verb.display"),
        ({"id": "http://example.com/v", "display": {"en_US": "x"}}, "$.verb.display.en_US"),
        ({"id": "http://example.com/v", "name": "x"}, "$.verb.name"),
        ({"Id": "http://example.com/v"}, "$.verb.Id"),
        ("http://example.com/v", "$.verb"),
    ],
)
def test_st_val_050_052_verb_refusals(verb: Any, path: str) -> None:
    with pytest.raises(BadRequest) as info:
        validate_statement(make_statement(verb=verb), V2)
    assert info.value.path == path
