"""Result and Score (ST-VAL-090..096, ST-VAL-140..143 via result.duration)."""

from __future__ import annotations

from typing import Any

import pytest

from lrs.errors import BadRequest
from lrs.xapi.validate import validate_statement
from lrs.xapi.versions import XapiVersion
from tests.factories import make_statement

V2 = XapiVersion.V2_0_0


def _accepted(result: Any) -> None:
    validate_statement(make_statement(result=result), V2)


def _refused(result: Any) -> BadRequest:
    with pytest.raises(BadRequest) as info:
        validate_statement(make_statement(result=result), V2)
    return info.value


def test_full_result_is_accepted() -> None:
    _accepted(
        {
            "score": {"scaled": 0.95, "raw": 95, "min": 0, "max": 100},
            "success": True,
            "completion": False,
            "response": "We agreed on some example actions.",
            "duration": "PT1H0M0S",
            "extensions": {
                "http://example.com/profiles/meetings/resultextensions/minuteslocation": None
            },
        }
    )
    _accepted({})


@pytest.mark.parametrize(
    "score",
    [
        {"scaled": -1},
        {"scaled": 1},
        {"scaled": 0.0},
        {"raw": -5, "min": -10, "max": 0},
        {"raw": 10, "min": 10, "max": 11.5},
        {"raw": 11.5, "min": 10, "max": 11.5},
        {"raw": 1e6},
        {"min": -1.5},
    ],
)
def test_st_val_093_096_valid_scores(score: dict[str, Any]) -> None:
    _accepted({"score": score})


@pytest.mark.parametrize(
    ("score", "path", "message"),
    [
        ({"scaled": 1.01}, "$.result.score.scaled", "between -1 and 1"),
        ({"scaled": -1.5}, "$.result.score.scaled", "between -1 and 1"),
        ({"raw": 5, "min": 6}, "$.result.score.raw", "below min"),
        ({"raw": 5, "max": 4}, "$.result.score.raw", "above max"),
        ({"min": 5, "max": 5}, "$.result.score.min", "less than max"),
        ({"min": 6, "max": 5}, "$.result.score.min", "less than max"),
        ({"raw": "5"}, "$.result.score.raw", "must be a number"),
        ({"scaled": True}, "$.result.score.scaled", "must be a number"),
        ({"max": None}, "$.result.score.max", "null"),
        ({"average": 5}, "$.result.score.average", "unknown property"),
        ({"Raw": 5}, "$.result.score.Raw", "written 'raw'"),
    ],
)
def test_st_val_093_096_score_refusals(score: dict[str, Any], path: str, message: str) -> None:
    error = _refused({"score": score})
    assert error.path == path
    assert message in error.message


def test_score_must_be_object() -> None:
    assert _refused({"score": 0.5}).path == "$.result.score"


@pytest.mark.parametrize(
    ("result", "path"),
    [
        ({"success": "true"}, "$.result.success"),
        ({"completion": 1}, "$.result.completion"),
        ({"success": None}, "$.result.success"),
        ({"response": 42}, "$.result.response"),
        ({"duration": "1 hour"}, "$.result.duration"),
        ({"duration": "P0003-01-29T04:35:59"}, "$.result.duration"),
        ({"duration": "P4W1D"}, "$.result.duration"),
        ({"duration": 3600}, "$.result.duration"),
        ({"extensions": {"ext": 1}}, "$.result.extensions.ext"),
        ({"grade": "A"}, "$.result.grade"),
    ],
)
def test_st_val_090_092_result_refusals(result: dict[str, Any], path: str) -> None:
    assert _refused(result).path == path


def test_st_val_143_fine_duration_is_accepted() -> None:
    _accepted({"duration": "PT0.0001S"})


def test_result_must_be_object() -> None:
    assert _refused([]).path == "$.result"
