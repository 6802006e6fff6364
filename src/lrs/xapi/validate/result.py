"""The Result and its Score (ST-VAL-090..096)."""

from __future__ import annotations

from lrs.xapi import primitives
from lrs.xapi.validate._common import (
    Check,
    Keys,
    check_bool,
    check_extensions,
    check_number,
    check_object,
    check_properties,
    check_string,
    fail,
)
from lrs.xapi.versions import XapiVersion

_SCORE_KEYS = Keys(("scaled", "raw", "min", "max"))


def validate_score(value: object, path: str) -> None:
    """Numbers only; -1 <= scaled <= 1 and min <= raw <= max with min < max."""
    score = check_object(value, path, "a Score object")
    _SCORE_KEYS.check(score, path)
    numbers = {key: check_number(score[key], f"{path}.{key}") for key in score}
    scaled = numbers.get("scaled")
    if scaled is not None and not -1 <= scaled <= 1:
        fail(f"scaled score {scaled} must be between -1 and 1", f"{path}.scaled")
    low, high, raw = numbers.get("min"), numbers.get("max"), numbers.get("raw")
    if low is not None and high is not None and not low < high:
        fail(f"min {low} must be less than max {high}", f"{path}.min")
    if raw is not None and low is not None and raw < low:
        fail(f"raw score {raw} is below min {low}", f"{path}.raw")
    if raw is not None and high is not None and raw > high:
        fail(f"raw score {raw} is above max {high}", f"{path}.raw")


def _check_duration(value: object, path: str) -> None:
    duration = check_string(value, path)
    if not primitives.is_duration(duration):
        fail(f"{duration!r} is not an ISO 8601 duration such as 'PT1H30M' or 'P2W'", path)


# Every Result property is optional; each has its check.
_RESULT_PROPERTIES: dict[str, Check] = {
    "score": validate_score,
    "success": check_bool,
    "completion": check_bool,
    "response": check_string,
    "duration": _check_duration,
    "extensions": check_extensions,
}
_RESULT_KEYS = Keys(_RESULT_PROPERTIES)


def validate_result(obj: object, version: XapiVersion, *, path: str) -> None:
    result = check_object(obj, path, "a Result object")
    _RESULT_KEYS.check(result, path)
    check_properties(result, _RESULT_PROPERTIES, path)
