"""Errors cross the socket between the server and its batch process pickled."""

from __future__ import annotations

import pickle

import pytest

from lrs.auth.principal import StaleCredential
from lrs.errors import BadRequest, Conflict, DatabaseUnavailable, LRSError, PayloadTooLarge


@pytest.mark.parametrize(
    "error",
    [
        BadRequest("verb.id is required", path="$[57].verb"),
        Conflict("statement 1 differs"),
        PayloadTooLarge("1001 statements"),
        DatabaseUnavailable("retry later"),
    ],
)
def test_an_error_comes_back_whole(error: LRSError) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert back.to_dict() == error.to_dict()
    assert str(back) == str(error)


def test_an_instance_status_survives() -> None:
    error = LRSError("method not allowed")
    error.status = 405
    assert pickle.loads(pickle.dumps(error)).status == 405


def test_a_stale_credential_survives() -> None:
    back = pickle.loads(pickle.dumps(StaleCredential("key")))
    assert isinstance(back, StaleCredential)
    assert back.args == ("key",)
